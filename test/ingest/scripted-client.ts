// A scripted RTMP client for session tests: does the client half of the handshake, writes commands and
// media with the ChunkWriter, and reads what the server sent back with a ChunkReader.

import { Amf0EcmaArray, type Amf0Value, decodeAmf0 } from '../../src/ingest/rtmp/amf0.js';
import { ChunkReader } from '../../src/ingest/rtmp/chunk-reader.js';
import { ChunkWriter } from '../../src/ingest/rtmp/chunk-writer.js';
import { commandMessage } from '../../src/ingest/rtmp/control-messages.js';
import { HANDSHAKE_PACKET_SIZE } from '../../src/ingest/rtmp/handshake.js';
import type { RtmpOutgoingMessage, RtmpReadMessage } from '../../src/ingest/rtmp/message-types.js';
import type { RtmpIngestHandler, RtmpSession } from '../../src/ingest/rtmp/session.js';

/** Everything the session told its I/O and its handler. */
export interface SessionLog {
  events: [string, ...unknown[]][];
  ended: string[];
  sent: Buffer[];
}

/** A handler that records every event in `log.events`, with the given publish answer. */
export function recordingHandler(
  log: SessionLog,
  decision = { ok: true } as ReturnType<RtmpIngestHandler['onPublish']>,
): RtmpIngestHandler {
  return {
    onPublish: (r) => {
      log.events.push(['publish', r]);
      return decision;
    },
    onVideoConfig: (i) => log.events.push(['videoConfig', i]),
    onAudioConfig: (i) => log.events.push(['audioConfig', i]),
    onSample: (k, s) => log.events.push(['sample', k, s]),
    onMetaData: (m) => log.events.push(['metadata', m]),
    onUnpublish: () => log.events.push(['unpublish']),
    onClose: (r) => log.events.push(['close', r]),
  };
}

/** Drives a session as a client would. */
export class ScriptedClient {
  readonly writer = new ChunkWriter();
  private readonly reader = new ChunkReader();
  private consumed = 0;
  private txid = 1;

  constructor(
    private readonly session: RtmpSession,
    private readonly log: SessionLog,
  ) {}

  /** C0+C1 then C2. */
  handshake(): void {
    this.session.push(Buffer.concat([Buffer.of(3), Buffer.alloc(HANDSHAKE_PACKET_SIZE, 1)]));
    this.session.push(Buffer.alloc(HANDSHAKE_PACKET_SIZE, 2));
  }

  send(message: RtmpOutgoingMessage): void {
    this.session.push(this.writer.write(message));
  }

  command(name: string, streamId: number, ...args: Amf0Value[]): void {
    this.send(commandMessage(streamId, 3, [name, this.txid++, ...args]));
  }

  data(streamId: number, values: Amf0Value[]): RtmpOutgoingMessage {
    const m = commandMessage(streamId, 4, values);
    return { ...m, type: 18 };
  }

  /** connect, releaseStream, FCPublish, createStream, publish: what ffmpeg sends. */
  publish(app: string, name: string): void {
    this.handshake();
    this.command('connect', 0, { app, type: 'nonprivate', flashVer: 'FMLE/3.0', tcUrl: `rtmp://h/${app}` });
    this.command('releaseStream', 0, null, name);
    this.command('FCPublish', 0, null, name);
    this.command('createStream', 0, null);
    this.command('publish', 1, null, name, 'live');
  }

  /** Server messages received since the last call, decoded from chunks (after S0+S1+S2). */
  received(): RtmpReadMessage[] {
    const all = Buffer.concat(this.log.sent);
    const fresh = all.subarray(Math.max(this.consumed, 1 + 2 * HANDSHAKE_PACKET_SIZE));
    this.consumed = all.length;
    return this.reader.push(fresh);
  }

  /** The AMF0 values of the received command messages. */
  commands(): Amf0Value[][] {
    return this.received()
      .filter((m) => m.type === 20)
      .map((m) => decodeAmf0(m.payload));
  }
}

export { Amf0EcmaArray };
