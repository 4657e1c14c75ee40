// When acknowledgements go out: each window of bytes is acknowledged once the reader has caught up
// with the sender, never while it drains a backlog (a sender that pushed ahead and finished would
// leave the acknowledgement unread, and its close would turn into a reset that drops its unsent
// bytes); a sender that stops to wait for one still gets it.

import assert from 'node:assert/strict';
import { createServer, type Server, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ChunkReader } from '../../src/ingest/rtmp/chunk-reader.js';
import { ChunkWriter } from '../../src/ingest/rtmp/chunk-writer.js';
import { commandMessage } from '../../src/ingest/rtmp/control-messages.js';
import type { RtmpReadMessage } from '../../src/ingest/rtmp/message-types.js';
import { RtmpSession } from '../../src/ingest/rtmp/session.js';
import { attachRtmpConnection } from '../../src/ingest/rtmp-server.js';
import { HANDSHAKE_BYTES, RTMP_C0, S0S1S2_BYTES } from '../helpers/live-rtmp-peer.js';
import { recordingHandler, ScriptedClient, type SessionLog } from './scripted-client.js';

/** Acknowledgement message type id (§5.4.3). */
const ACK_TYPE = 3;
/** The server's default window (RtmpSession's DEFAULT_WINDOW_ACK_SIZE). */
const WINDOW = 2_500_000;
const silent = { info: () => {}, warn: () => {} };

const video = (timestamp: number, bytes: number) => ({
  chunkStreamId: 6,
  type: 9 as const,
  streamId: 1,
  timestamp,
  payload: Buffer.concat([Buffer.from('2701000000', 'hex'), Buffer.alloc(bytes, 0x11)]),
});

describe('RtmpSession acknowledgements of counted bytes', () => {
  function publishing() {
    const log: SessionLog = { events: [], ended: [], sent: [] };
    const session = new RtmpSession(recordingHandler(log), {
      send: (b) => log.sent.push(Buffer.from(b)),
      end: (r) => log.ended.push(r),
      randomBytes: (n) => new Uint8Array(n),
      windowAckSize: 5000,
    });
    const client = new ScriptedClient(session, log);
    client.publish('live', 'test');
    client.send({
      chunkStreamId: 2,
      type: 5,
      streamId: 0,
      timestamp: 0,
      payload: Buffer.from('00001388', 'hex'),
    });
    client.received();
    return { session, client };
  }

  test('bytes read while the sender is ahead are acknowledged only once the reader catches up', () => {
    const { session, client } = publishing();
    for (let i = 0; i < 6; i++) {
      const bytes = client.writer.write(video(i * 40, 1000));
      session.received(bytes.length, false);
      session.push(bytes, true);
    }
    assert.equal(client.received().filter((m) => m.type === ACK_TYPE).length, 0, 'nothing sent while behind');
    session.received(0, true);
    const acks = client.received().filter((m) => m.type === ACK_TYPE);
    assert.equal(acks.length, 1);
    assert.ok(Buffer.from(acks[0]!.payload).readUInt32BE(0) > 5000);
  });

  test('bytes read by a reader that is caught up are acknowledged at once', () => {
    const { session, client } = publishing();
    for (let i = 0; i < 6; i++) {
      const bytes = client.writer.write(video(i * 40, 1000));
      session.received(bytes.length, true);
      session.push(bytes, true);
    }
    assert.equal(client.received().filter((m) => m.type === ACK_TYPE).length, 1);
  });
});

describe('RTMP connection acknowledgements', () => {
  let server: Server;
  let port: number;

  before(async () => {
    const log: SessionLog = { events: [], ended: [], sent: [] };
    // As on the shared HTTP/RTMP port, the first read is taken to tell RTMP from HTTP and handed over.
    server = createServer((socket) =>
      socket.once('data', (head: Buffer) =>
        attachRtmpConnection(socket, { handler: recordingHandler(log), logger: silent, head }),
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    port = address.port;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /**
   * Connects, publishes and sends `frames` video messages of `frameBytes` in one write (with a
   * Window Acknowledgement Size of `window` first, when given), then waits for an acknowledgement.
   */
  async function burstThenWait(frames: number, frameBytes: number, window?: number) {
    const socket = tcpConnect(port, '127.0.0.1');
    const reader = new ChunkReader();
    const messages: RtmpReadMessage[] = [];
    let handshake = Buffer.alloc(0);
    const arrived = new Promise<RtmpReadMessage>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        let bytes = chunk;
        if (handshake.length < S0S1S2_BYTES) {
          const need = S0S1S2_BYTES - handshake.length;
          handshake = Buffer.concat([handshake, bytes.subarray(0, need)]);
          bytes = bytes.subarray(need);
        }
        for (const m of reader.push(bytes)) {
          messages.push(m);
          if (m.type === ACK_TYPE) resolve(m);
        }
      });
    });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const writer = new ChunkWriter();
    const command = (streamId: number, values: Parameters<typeof commandMessage>[2]) =>
      writer.write(commandMessage(streamId, 3, values));
    const burst: Uint8Array[] = [
      Buffer.concat([Buffer.of(RTMP_C0), Buffer.alloc(HANDSHAKE_BYTES, 1), Buffer.alloc(HANDSHAKE_BYTES, 2)]),
    ];
    if (window !== undefined) {
      const size = Buffer.alloc(4);
      size.writeUInt32BE(window);
      burst.push(writer.write({ chunkStreamId: 2, type: 5, streamId: 0, timestamp: 0, payload: size }));
    }
    burst.push(
      command(0, ['connect', 1, { app: 'live', tcUrl: 'rtmp://h/live' }]),
      command(0, ['createStream', 2, null]),
      command(1, ['publish', 3, null, 'burst', 'live']),
    );
    for (let i = 0; i < frames; i++) burst.push(writer.write(video(i * 40, frameBytes)));
    const sent = Buffer.concat(burst);
    socket.write(sent);
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000).unref());
    const ack = await Promise.race([arrived, timeout]);
    socket.destroy();
    assert.ok(
      ack !== undefined,
      `no acknowledgement; got message types ${messages.map((m) => m.type).join(',')}`,
    );
    return { sequence: Buffer.from(ack.payload).readUInt32BE(0), sent: sent.length };
  }

  test('a sender that writes more than a window in one burst and then waits gets its acknowledgement', async () => {
    // Three megabytes of video in one write: the server reads them in full 64 KiB reads.
    const { sequence, sent } = await burstThenWait(30, 100_000);
    assert.ok(sent > WINDOW);
    assert.ok(sequence >= WINDOW && sequence <= sent, `sequence ${sequence}`);
  });

  test('bytes that arrived before the session was connected are acknowledged once it is', async () => {
    // One read of under 64 KiB holds everything, handshake included: it is counted before the
    // session is connected, and no read follows.
    const window = 4096;
    const { sequence, sent } = await burstThenWait(3, 10_000, window);
    assert.ok(sent < 64 * 1024);
    assert.ok(sequence >= window && sequence <= sent, `sequence ${sequence}`);
  });
});
