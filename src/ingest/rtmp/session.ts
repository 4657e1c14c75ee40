// Server side of one RTMP publishing connection, sans-I/O: bytes in through push(), bytes out through the
// send callback, publish and media events through the handler. Play is refused: this server only ingests.

import { errorMessage } from '../../core/errors.js';
import type { AacTrackInfo, H264TrackInfo, MediaSample } from '../../core/media.js';
import { parseFlvAudioTag, parseFlvVideoTag } from '../flv.js';
import { type Amf0Object, type Amf0Value, decodeAmf0 } from './amf0.js';
import { ChunkReader, type ChunkReaderLimits } from './chunk-reader.js';
import { ChunkWriter } from './chunk-writer.js';
import {
  connectResultMessage,
  fcStatusMessage,
  onStatusMessage,
  resultMessage,
} from './command-responses.js';
import {
  acknowledgementMessage,
  pingResponseMessage,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  streamBeginMessage,
  USER_CONTROL_PING_REQUEST,
  windowAckSizeMessage,
} from './control-messages.js';
import { RtmpServerHandshake } from './handshake.js';
import * as T from './message-types.js';
import { RtmpProtocolError } from './protocol-error.js';
import { type ConnectTarget, parseConnectTarget, parseStreamTarget } from './publish-target.js';

/** What a publisher asked for; the handler decides whether to accept it. */
export interface PublishRequest {
  readonly app: string;
  readonly instance: string;
  readonly stream: string;
  /** The query after `?` in the published name (e.g. `secret=x`), '' when none. */
  readonly query: string;
  readonly tcUrl: string;
}

/** The handler's answer to a publish: a refusal is sent to the client as an onStatus error, then the connection closes. */
export type PublishDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly description: string };

/** Events of one publishing connection. Only onPublish is required. */
export interface RtmpIngestHandler {
  onPublish(request: PublishRequest): PublishDecision;
  onVideoConfig?(info: H264TrackInfo): void;
  onAudioConfig?(info: AacTrackInfo): void;
  onSample?(kind: 'video' | 'audio', sample: MediaSample): void;
  onMetaData?(metadata: Amf0Object): void;
  onUnpublish?(): void;
  /** Called once when the session ends, for whatever reason. */
  onClose?(reason: string): void;
}

/** I/O and tuning of a session. */
export interface RtmpSessionOptions {
  /** Bytes to send to the peer, in order. */
  send(bytes: Uint8Array): void;
  /** The session wants the connection closed (after what was sent); called at most once. */
  end(reason: string): void;
  /** Fills the handshake's S1. */
  randomBytes(size: number): Uint8Array;
  /** Outgoing chunk size announced after connect (default 4096, as nginx-rtmp and OBS use). */
  chunkSize?: number;
  /** Window Acknowledgement Size and peer bandwidth announced after connect (default 2,500,000). */
  windowAckSize?: number;
  limits?: Partial<ChunkReaderLimits>;
}

/** Where the session is in the life of the connection. */
export type RtmpSessionState = 'handshake' | 'connecting' | 'connected' | 'publishing' | 'closed';

const DEFAULT_OUT_CHUNK_SIZE = 4096;
const DEFAULT_WINDOW_ACK_SIZE = 2_500_000;
/** A peer may not make us acknowledge more often than this (a tiny window would turn us into an amplifier). */
const MIN_PEER_WINDOW = 4096;
/** Message streams a connection may create; an encoder needs one. */
const MAX_CREATED_STREAMS = 8;
/** AMF3 command/data messages start with a format byte 0 and then carry AMF0 (§7.1.1). */
const AMF3_FORMAT_BYTE = 0;
/** Acknowledgement sequence numbers wrap at 2^32 (§5.4.3). */
const TWO_POW_32 = 2 ** 32;

/** One publishing RTMP connection: handshake, chunk stream, commands, media. */
export class RtmpSession {
  private stateValue: RtmpSessionState = 'handshake';
  private readonly handshake: RtmpServerHandshake;
  private readonly reader: ChunkReader;
  private readonly writer = new ChunkWriter();
  private readonly outChunkSize: number;
  private readonly windowAckSize: number;
  private output: Uint8Array[] = [];
  private bytesReceived = 0;
  private lastAck = 0;
  private peerWindow: number;
  private connectTarget: ConnectTarget | undefined;
  private nextStreamId = 1;
  private readonly createdStreams = new Set<number>();
  private publishStreamId = 0;

  constructor(
    private readonly handler: RtmpIngestHandler,
    private readonly options: RtmpSessionOptions,
  ) {
    this.handshake = new RtmpServerHandshake(options.randomBytes);
    this.reader = new ChunkReader(options.limits);
    this.outChunkSize = options.chunkSize ?? DEFAULT_OUT_CHUNK_SIZE;
    this.windowAckSize = options.windowAckSize ?? DEFAULT_WINDOW_ACK_SIZE;
    this.peerWindow = this.windowAckSize;
  }

  /** The current state. */
  get state(): RtmpSessionState {
    return this.stateValue;
  }

  /** Feeds received bytes. Protocol violations and handler errors end the session; push never throws. */
  push(bytes: Uint8Array, counted = false): void {
    if (this.stateValue === 'closed') return;
    try {
      if (!counted) this.bytesReceived += bytes.length;
      let rest = bytes;
      if (this.stateValue === 'handshake') {
        const step = this.handshake.push(bytes);
        if (step.output !== undefined) this.output.push(step.output);
        if (!step.done) {
          this.flush();
          return;
        }
        this.stateValue = 'connecting';
        rest = step.rest;
      }
      for (const message of this.reader.push(rest)) {
        this.handleMessage(message);
        if (this.isClosed()) return;
      }
      // Bytes counted on arrival are acknowledged by `received`, when the reader has caught up.
      if (!counted) this.acknowledge();
      this.flush();
    } catch (err) {
      this.fail(errorMessage(err));
    }
  }

  /**
   * Counts bytes when they arrive from the network, before they are processed (`push(bytes, true)`
   * follows later). Acknowledges each window once the reader has `caughtUp` with the sender (no
   * more bytes were waiting in the socket), never while it is still draining a backlog: a sender
   * that pushed faster than real time has finished by then, and a message it leaves unread makes
   * its close a reset that discards what it still had to send. A sender that waits for our
   * acknowledgement stops sending, so the reader catches up and acknowledges.
   */
  received(count: number, caughtUp = true): void {
    if (this.stateValue === 'closed') return;
    this.bytesReceived += count;
    if (caughtUp && (this.stateValue === 'connected' || this.stateValue === 'publishing')) {
      this.acknowledge();
      this.flush();
    }
  }

  /** Ends the session (the peer went away, a timeout): reports unpublish and close once. */
  close(reason: string): void {
    if (this.stateValue === 'closed') return;
    const wasPublishing = this.stateValue === 'publishing';
    this.stateValue = 'closed';
    if (wasPublishing) this.handler.onUnpublish?.();
    this.handler.onClose?.(reason);
  }

  private isClosed(): boolean {
    return this.stateValue === 'closed';
  }

  private fail(reason: string): void {
    if (this.stateValue === 'closed') return;
    this.flush();
    this.options.end(reason);
    this.close(reason);
  }

  private handleMessage(message: T.RtmpReadMessage): void {
    switch (message.type) {
      case T.MSG_WINDOW_ACK_SIZE:
        this.peerWindow = Math.max(MIN_PEER_WINDOW, readU32(message.payload, 'Window Acknowledgement Size'));
        return;
      case T.MSG_USER_CONTROL:
        this.handleUserControl(message.payload);
        return;
      case T.MSG_COMMAND_AMF0:
      case T.MSG_COMMAND_AMF3:
        this.handleCommand(message, decodeAmf0(amf0Body(message)));
        return;
      case T.MSG_DATA_AMF0:
      case T.MSG_DATA_AMF3:
        this.handleData(message, decodeAmf0(amf0Body(message)));
        return;
      case T.MSG_VIDEO:
        if (this.isMedia(message)) this.handleVideo(message);
        return;
      case T.MSG_AUDIO:
        if (this.isMedia(message)) this.handleAudio(message);
        return;
      default:
        return; // Acknowledgement, Set Peer Bandwidth, shared objects: nothing to do for a publisher
    }
  }

  private handleUserControl(payload: Uint8Array): void {
    if (payload.length < 6) return;
    const view = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    if (view.readUInt16BE(0) === USER_CONTROL_PING_REQUEST)
      this.send(pingResponseMessage(view.readUInt32BE(2)));
  }

  private handleCommand(message: T.RtmpReadMessage, values: Amf0Value[]): void {
    const [name, txid] = values;
    if (typeof name !== 'string') throw new RtmpProtocolError('COMMAND', 'command without a name');
    const transactionId = typeof txid === 'number' ? txid : 0;
    if (name !== 'connect' && this.stateValue === 'connecting') {
      throw new RtmpProtocolError('STATE', `'${name}' before connect`);
    }
    switch (name) {
      case 'connect':
        this.onConnect(transactionId, values[2]);
        return;
      case 'releaseStream':
        this.send(resultMessage(transactionId));
        return;
      case 'FCPublish':
        this.send(fcStatusMessage('onFCPublish', 'NetStream.Publish.Start', stringArg(values[3])));
        this.send(resultMessage(transactionId));
        return;
      case 'createStream':
        this.onCreateStream(transactionId);
        return;
      case 'publish':
        this.onPublish(message.streamId, stringArg(values[3]));
        return;
      case 'FCUnpublish':
        this.unpublish();
        this.send(fcStatusMessage('onFCUnpublish', 'NetStream.Unpublish.Success', stringArg(values[3])));
        this.send(resultMessage(transactionId));
        return;
      case 'deleteStream': {
        const id = values[3];
        if (typeof id === 'number' && id === this.publishStreamId) this.unpublish();
        if (typeof id === 'number') this.createdStreams.delete(id);
        return;
      }
      case 'closeStream':
        if (message.streamId === this.publishStreamId) this.unpublish();
        return;
      case 'play':
      case 'play2':
        this.send(
          onStatusMessage(
            message.streamId,
            'error',
            'NetStream.Play.Failed',
            'This server only accepts publishing.',
          ),
        );
        this.fail('play refused: this server only accepts publishing');
        return;
      default:
        return; // _checkbw, getStreamLength, _result of onBWDone ...: nothing a publisher waits for
    }
  }

  private onConnect(transactionId: number, commandObject: Amf0Value): void {
    if (this.stateValue !== 'connecting') throw new RtmpProtocolError('STATE', 'second connect');
    const props = isObject(commandObject) ? commandObject : {};
    const target = parseConnectTarget(stringOrUndefined(props['app']), stringOrUndefined(props['tcUrl']));
    if (target === undefined) throw new RtmpProtocolError('COMMAND', 'connect without an application');
    this.connectTarget = target;
    const objectEncoding = typeof props['objectEncoding'] === 'number' ? props['objectEncoding'] : 0;
    this.send(windowAckSizeMessage(this.windowAckSize));
    this.send(setPeerBandwidthMessage(this.windowAckSize));
    this.send(setChunkSizeMessage(this.outChunkSize));
    this.writer.setChunkSize(this.outChunkSize);
    this.send(connectResultMessage(transactionId, objectEncoding));
    this.stateValue = 'connected';
  }

  private onCreateStream(transactionId: number): void {
    if (this.createdStreams.size >= MAX_CREATED_STREAMS) {
      throw new RtmpProtocolError('COMMAND', `more than ${MAX_CREATED_STREAMS} streams created`);
    }
    const id = this.nextStreamId++;
    this.createdStreams.add(id);
    this.send(resultMessage(transactionId, id));
  }

  private onPublish(streamId: number, name: string): void {
    const target = this.connectTarget!;
    if (this.stateValue === 'publishing' || !this.createdStreams.has(streamId)) {
      this.send(
        onStatusMessage(streamId, 'error', 'NetStream.Publish.BadName', 'Not a stream to publish on.'),
      );
      this.fail(`publish on stream ${streamId} refused: already publishing or not created`);
      return;
    }
    const { stream, query } = parseStreamTarget(name);
    const request: PublishRequest = {
      app: target.app,
      instance: target.instance,
      stream,
      query,
      tcUrl: target.tcUrl,
    };
    const decision =
      stream === ''
        ? { ok: false as const, code: 'NetStream.Publish.BadName', description: 'No stream name.' }
        : this.handler.onPublish(request);
    if (!decision.ok) {
      this.send(onStatusMessage(streamId, 'error', decision.code, decision.description, stream));
      this.fail(`publish of '${stream}' refused: ${decision.code}`);
      return;
    }
    this.publishStreamId = streamId;
    this.stateValue = 'publishing';
    this.send(streamBeginMessage(streamId));
    this.send(
      onStatusMessage(streamId, 'status', 'NetStream.Publish.Start', `${stream} is now published.`, stream),
    );
  }

  private unpublish(): void {
    if (this.stateValue !== 'publishing') return;
    this.stateValue = 'connected';
    this.publishStreamId = 0;
    this.handler.onUnpublish?.();
  }

  private handleData(message: T.RtmpReadMessage, values: Amf0Value[]): void {
    if (!this.isMedia(message)) return;
    // ffmpeg and OBS send ['@setDataFrame', 'onMetaData', {...}]; older encoders ['onMetaData', {...}].
    const start = values[0] === '@setDataFrame' ? 1 : 0;
    const metadata = values[start + 1];
    if (values[start] === 'onMetaData' && isObject(metadata)) this.handler.onMetaData?.(metadata);
  }

  private handleVideo(message: T.RtmpReadMessage): void {
    const result = parseFlvVideoTag(message.payload, message.timestamp);
    if (result.kind === 'config') this.handler.onVideoConfig?.(result.info);
    else if (result.kind === 'sample') this.handler.onSample?.('video', result.sample);
  }

  private handleAudio(message: T.RtmpReadMessage): void {
    const result = parseFlvAudioTag(message.payload, message.timestamp);
    if (result.kind === 'config') this.handler.onAudioConfig?.(result.info);
    else if (result.kind === 'sample') this.handler.onSample?.('audio', result.sample);
  }

  private isMedia(message: T.RtmpReadMessage): boolean {
    return this.stateValue === 'publishing' && message.streamId === this.publishStreamId;
  }

  /** Sends an Acknowledgement each time another window of bytes has arrived (§5.4.3). */
  private acknowledge(): void {
    if (this.bytesReceived - this.lastAck < this.peerWindow) return;
    this.lastAck = this.bytesReceived;
    this.send(acknowledgementMessage(this.bytesReceived % TWO_POW_32));
  }

  private send(message: T.RtmpOutgoingMessage): void {
    this.output.push(this.writer.write(message));
  }

  private flush(): void {
    if (this.output.length === 0) return;
    const bytes = this.output.length === 1 ? this.output[0]! : Buffer.concat(this.output);
    this.output = [];
    this.options.send(bytes);
  }
}

function amf0Body(message: T.RtmpReadMessage): Uint8Array {
  const { payload } = message;
  const amf3 = message.type === T.MSG_COMMAND_AMF3 || message.type === T.MSG_DATA_AMF3;
  return amf3 && payload[0] === AMF3_FORMAT_BYTE ? payload.subarray(1) : payload;
}

function readU32(payload: Uint8Array, what: string): number {
  if (payload.length < 4) throw new RtmpProtocolError('CONTROL_MESSAGE', `short ${what}`);
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).readUInt32BE(0);
}

function isObject(value: Amf0Value): value is Amf0Object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function stringOrUndefined(value: Amf0Value): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function stringArg(value: Amf0Value): string {
  return typeof value === 'string' ? value : '';
}
