// Hostile peers on the shared HTTP/RTMP port while ffmpeg publishes: garbage after 0x03, a handshake
// cut short, a huge Set Chunk Size, a message length of 0xFFFFFF with a few bytes, and slow HTTP
// headers. Each is disconnected; the live stream keeps advancing and HTTP keeps answering.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type FfmpegRun, publish } from '../helpers/live-ffmpeg.js';
import { fetchChunklist, lastSequence, waitFor, waitForFirstSegment } from '../helpers/live-hls.js';
import {
  c0c1,
  c2,
  connectCommand,
  connectRaw,
  HANDSHAKE_BYTES,
  type RawPeer,
  RTMP_C0,
  S0S1S2_BYTES,
  setChunkSize,
  truncatedMessage,
} from '../helpers/live-rtmp-peer.js';
import { LIVE_APP, type LiveServer, startLiveServer } from '../helpers/live-server.js';
import { get } from '../helpers/vod-server.js';

const STREAM = 'x';
/** Long enough to outlast the 10 s RTMP handshake timeout the wiring uses, with a segment to spare. */
const PUBLISH_SECONDS = 16;
/** No attacker may hold a connection longer than this. */
const CLOSE_DEADLINE_MS = 15_000;
/** node:http's header timeout in this test, so a slow-header peer is dropped quickly. */
const HEADERS_TIMEOUT_MS = 1000;
/** Largest message length the 24-bit field can declare (RTMP 1.0 §5.3.1.2.1). */
const MAX_DECLARED_LENGTH = 0xffffff;

/** What each attacker did and whether the server closed it. */
interface Attack {
  readonly name: string;
  readonly peer: RawPeer;
  /** Bytes the server had to answer before dropping the peer (0 when it need not answer). */
  readonly expectAtLeast: number;
}

describe('hostile peers on the shared port', () => {
  let server: LiveServer;
  let publisher: FfmpegRun;
  let chunklistUrl: string;
  const attacks: Attack[] = [];

  before(async () => {
    server = await startLiveServer({}, { httpHeadersTimeoutMs: HEADERS_TIMEOUT_MS });
    publisher = publish(server.rtmpUrl(STREAM), { seconds: PUBLISH_SECONDS, realtime: true });
    const masterUrl = server.httpUrl(STREAM, 'playlist.m3u8');
    chunklistUrl = await waitForFirstSegment(masterUrl);
  });

  after(async () => {
    publisher?.kill();
    for (const a of attacks) a.peer.destroy();
    await server?.close();
  });

  test('every hostile peer is disconnected', async () => {
    // Random bytes after the version byte: a random C1 and C2, then garbage as chunks.
    const garbage = await connectRaw(server.port);
    garbage.socket.write(Buffer.concat([Buffer.of(RTMP_C0), randomBytes(2 * HANDSHAKE_BYTES + 4096)]));
    attacks.push({ name: 'random bytes after 0x03', peer: garbage, expectAtLeast: S0S1S2_BYTES });

    // C0 and half of C1, then silence: only the handshake timeout ends it.
    const truncated = await connectRaw(server.port);
    truncated.socket.write(c0c1().subarray(0, 1 + HANDSHAKE_BYTES / 2));
    attacks.push({ name: 'truncated handshake', peer: truncated, expectAtLeast: 0 });

    // A proper connect, then a Set Chunk Size of 2^31-1.
    const chunkSize = await connectRaw(server.port);
    chunkSize.socket.write(c0c1());
    assert.ok(await chunkSize.waitForBytes(S0S1S2_BYTES, 5000), 'S0+S1+S2');
    chunkSize.socket.write(Buffer.concat([c2(), connectCommand(LIVE_APP)]));
    assert.ok(await chunkSize.waitForBytes(S0S1S2_BYTES + 1, 5000), 'an answer to connect');
    chunkSize.socket.write(setChunkSize(0x7fffffff));
    attacks.push({ name: 'Set Chunk Size 0x7FFFFFFF', peer: chunkSize, expectAtLeast: S0S1S2_BYTES + 1 });

    // A chunk header declaring a 16 MiB message, followed by a few bytes.
    const bigMessage = await connectRaw(server.port);
    bigMessage.socket.write(Buffer.concat([c0c1(), c2(), truncatedMessage(MAX_DECLARED_LENGTH, 16)]));
    attacks.push({ name: 'message length 0xFFFFFF', peer: bigMessage, expectAtLeast: S0S1S2_BYTES });

    // HTTP whose headers never end (slowloris): node:http's headersTimeout must apply on the shared port.
    const slowHeaders = await connectRaw(server.port);
    slowHeaders.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `);
    attacks.push({ name: 'HTTP headers that never end', peer: slowHeaders, expectAtLeast: 0 });

    const closed = await Promise.all(attacks.map((a) => a.peer.closedWithin(CLOSE_DEADLINE_MS)));
    attacks.forEach((a, i) => {
      assert.ok(closed[i], `${a.name}: still connected after ${CLOSE_DEADLINE_MS} ms`);
      assert.ok(a.peer.received() >= a.expectAtLeast, `${a.name}: got ${a.peer.received()} bytes`);
    });
  });

  test('the server says why it dropped each RTMP peer', async () => {
    // The server logs a close when its side of the socket closes, which can follow the peer's by a tick.
    const reasonOf = (name: string) => {
      const a = attacks.find((x) => x.name === name);
      assert.ok(a);
      return waitFor(
        `the close of "${name}" in the log`,
        () => {
          const r = server.log
            .records()
            .find((x) => x.msg === 'rtmp connection closed' && x.remotePort === a.peer.localPort);
          return r === undefined ? undefined : String(r.reason);
        },
        2000,
      );
    };
    assert.match(await reasonOf('truncated handshake'), /handshake timeout/);
    assert.match(await reasonOf('Set Chunk Size 0x7FFFFFFF'), /chunk size/i);
    assert.match(await reasonOf('message length 0xFFFFFF'), /length|bytes/i);
    assert.ok(await reasonOf('random bytes after 0x03'));
  });

  test('the live stream keeps advancing and HTTP keeps answering', async () => {
    const before = lastSequence(await fetchChunklist(chunklistUrl));
    assert.ok(before !== undefined);
    await waitFor(
      'a segment after the attacks',
      async () => {
        const last = lastSequence(await fetchChunklist(chunklistUrl));
        return last !== undefined && last > before ? last : undefined;
      },
      5000,
    );
    const health = await get(`${server.origin}/healthz`);
    assert.equal(health.status, 200);
    const streams = server.app.live.list();
    assert.deepEqual(
      streams.map((s) => [s.name, s.state]),
      [[STREAM, 'publishing']],
    );
    const done = await publisher.done;
    assert.equal(done.code, 0, `publisher: ${done.stderr}`);
  });
});
