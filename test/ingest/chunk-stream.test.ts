// The chunk reader against hand-built chunks (all header forms, deltas, extended timestamps, control
// messages, limits) and against the chunk writer (random splits give the same messages).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChunkReader } from '../../src/ingest/rtmp/chunk-reader.js';
import { ChunkWriter } from '../../src/ingest/rtmp/chunk-writer.js';
import type { RtmpOutgoingMessage, RtmpReadMessage } from '../../src/ingest/rtmp/message-types.js';
import { RtmpProtocolError } from '../../src/ingest/rtmp/protocol-error.js';
import { prng } from '../helpers/prng.js';

function bytes(n: number, seed: number): Buffer {
  const rand = prng(seed);
  return Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
}

/** fmt 0 chunk header: basic header, 3-byte timestamp, 3-byte length, type, LE stream id [, extended ts]. */
function fmt0(csid: number, ts: number, length: number, type: number, streamId: number): Buffer {
  const ext = ts >= 0xffffff;
  const h = Buffer.alloc(11 + (ext ? 4 : 0));
  h.writeUIntBE(ext ? 0xffffff : ts, 0, 3);
  h.writeUIntBE(length, 3, 3);
  h[6] = type;
  h.writeUInt32LE(streamId, 7);
  if (ext) h.writeUInt32BE(ts, 11);
  return Buffer.concat([basic(0, csid), h]);
}

function basic(fmt: number, csid: number): Buffer {
  if (csid < 64) return Buffer.of((fmt << 6) | csid);
  if (csid < 320) return Buffer.of(fmt << 6, csid - 64);
  return Buffer.of((fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8);
}

function setChunkSize(size: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(size >>> 0, 0);
  return Buffer.concat([fmt0(2, 0, 4, 1, 0), p]);
}

const summary = (m: RtmpReadMessage) => ({
  csid: m.chunkStreamId,
  type: m.type,
  ts: m.timestamp,
  len: m.payload.length,
});

function rejects(fn: () => unknown, reason: RtmpProtocolError['reason']): void {
  assert.throws(fn, (err: unknown) => err instanceof RtmpProtocolError && err.reason === reason);
}

describe('ChunkReader headers', () => {
  test('reads the 1-, 2- and 3-byte basic header forms', () => {
    const ids = [2, 63, 64, 319, 320, 65599];
    const stream = Buffer.concat(
      ids.map((csid) => Buffer.concat([fmt0(csid, 0, 1, 9, 1), Buffer.of(csid & 0xff)])),
    );
    const got = new ChunkReader().push(stream);
    assert.deepEqual(
      got.map((m) => m.chunkStreamId),
      ids,
    );
    assert.deepEqual(
      got.map((m) => m.payload[0]),
      ids.map((id) => id & 0xff),
    );
  });

  test('applies fmt 2 deltas and reuses them on fmt 3 (spec §5.3.2.1 example 1)', () => {
    const p = Buffer.alloc(32, 1);
    const delta20 = Buffer.of(0, 0, 20);
    const stream = Buffer.concat([
      fmt0(3, 1000, 32, 8, 12345),
      p,
      basic(2, 3),
      delta20,
      p,
      basic(3, 3),
      p,
      basic(3, 3),
      p,
    ]);
    const got = new ChunkReader().push(stream);
    assert.deepEqual(
      got.map((m) => m.timestamp),
      [1000, 1020, 1040, 1060],
    );
    assert.ok(got.every((m) => m.streamId === 12345 && m.type === 8 && m.payload.length === 32));
  });

  test('fmt 1 changes length and type; a message spans chunks with fmt 3 continuations (§5.3.2.2)', () => {
    const big = bytes(307, 1);
    const fmt1 = Buffer.concat([basic(1, 4), Buffer.of(0, 0, 33), Buffer.of(0, 0, 10), Buffer.of(9)]);
    const stream = Buffer.concat([
      fmt0(4, 1000, 307, 20, 1),
      big.subarray(0, 128),
      basic(3, 4),
      big.subarray(128, 256),
      basic(3, 4),
      big.subarray(256),
      fmt1,
      bytes(10, 2),
    ]);
    const got = new ChunkReader().push(stream);
    assert.deepEqual(got.map(summary), [
      { csid: 4, type: 20, ts: 1000, len: 307 },
      { csid: 4, type: 9, ts: 1033, len: 10 },
    ]);
    assert.deepEqual(Buffer.from(got[0]!.payload), big);
  });

  test('reads extended timestamps, also on fmt 3 chunks, and extends them past 2^32', () => {
    const payload = bytes(200, 3); // two chunks at the default size of 128
    const ext = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(v, 0);
      return b;
    };
    const stream = Buffer.concat([
      fmt0(6, 0xfffffff0, 200, 9, 1),
      payload.subarray(0, 128),
      basic(3, 6),
      ext(0xfffffff0),
      payload.subarray(128),
      // fmt 2 with an extended delta: the fmt 3 chunks that follow carry it too.
      basic(2, 6),
      Buffer.of(0xff, 0xff, 0xff),
      ext(0x01000000),
      payload.subarray(0, 128),
      basic(3, 6),
      ext(0x01000000),
      payload.subarray(128),
      basic(3, 6),
      ext(0x01000000),
      payload.subarray(0, 128),
      basic(3, 6),
      ext(0x01000000),
      payload.subarray(128),
    ]);
    const got = new ChunkReader().push(stream);
    assert.deepEqual(
      got.map((m) => m.timestamp32),
      [0xfffffff0, 0x00fffff0, 0x01fffff0],
    );
    assert.deepEqual(
      got.map((m) => m.timestamp),
      [0xfffffff0, 2 ** 32 + 0x00fffff0, 2 ** 32 + 0x01fffff0],
    );
    for (const m of got) assert.deepEqual(Buffer.from(m.payload), payload);
  });

  test('a small fmt 2 delta across the 32-bit wrap stays monotonic', () => {
    const stream = Buffer.concat([
      fmt0(4, 0xffffffe0, 1, 8, 1),
      Buffer.of(0),
      basic(2, 4),
      Buffer.of(0, 0, 0x40),
      Buffer.of(0),
    ]);
    const got = new ChunkReader().push(stream);
    assert.deepEqual(
      got.map((m) => [m.timestamp32, m.timestamp]),
      [
        [0xffffffe0, 0xffffffe0],
        [0x20, 2 ** 32 + 0x20],
      ],
    );
  });

  test('Set Chunk Size applies to the chunks after it, mid-stream, and is not returned', () => {
    const payload = bytes(1000, 4);
    const stream = Buffer.concat([
      fmt0(5, 0, 200, 9, 1),
      payload.subarray(0, 128),
      basic(3, 5),
      payload.subarray(128, 200),
      setChunkSize(1000),
      fmt0(5, 40, 1000, 9, 1),
      payload,
    ]);
    const reader = new ChunkReader();
    const got = reader.push(stream);
    assert.deepEqual(got.map(summary), [
      { csid: 5, type: 9, ts: 0, len: 200 },
      { csid: 5, type: 9, ts: 40, len: 1000 },
    ]);
    assert.equal(reader.chunkSize, 1000);
  });

  test('Abort drops the partial message of its chunk stream', () => {
    const abort = Buffer.concat([fmt0(2, 0, 4, 2, 0), Buffer.of(0, 0, 0, 4)]);
    const stream = Buffer.concat([
      fmt0(4, 0, 300, 9, 1),
      bytes(128, 5),
      abort,
      fmt0(4, 80, 3, 9, 1),
      Buffer.of(7, 8, 9),
    ]);
    const got = new ChunkReader().push(stream);
    assert.deepEqual(got.map(summary), [{ csid: 4, type: 9, ts: 80, len: 3 }]);
  });

  test('interleaved chunk streams keep their own partial messages', () => {
    const a = bytes(200, 6);
    const b = bytes(150, 7);
    const stream = Buffer.concat([
      fmt0(4, 10, 200, 8, 1),
      a.subarray(0, 128),
      fmt0(6, 20, 150, 9, 1),
      b.subarray(0, 128),
      basic(3, 4),
      a.subarray(128),
      basic(3, 6),
      b.subarray(128),
    ]);
    const got = new ChunkReader().push(stream);
    assert.deepEqual(got.map(summary), [
      { csid: 4, type: 8, ts: 10, len: 200 },
      { csid: 6, type: 9, ts: 20, len: 150 },
    ]);
    assert.deepEqual(Buffer.from(got[1]!.payload), b);
  });
});

describe('ChunkReader limits', () => {
  test('refuses a chunk size of 0, with bit 31 set, or above the limit', () => {
    rejects(() => new ChunkReader().push(setChunkSize(0)), 'CHUNK_SIZE');
    rejects(() => new ChunkReader().push(setChunkSize(0x80000000)), 'CHUNK_SIZE');
    rejects(() => new ChunkReader().push(setChunkSize(0x7fffffff)), 'CHUNK_SIZE');
    rejects(() => new ChunkReader({ maxChunkSize: 65536 }).push(setChunkSize(65537)), 'CHUNK_SIZE');
  });

  test('refuses a message length above the limit before reading its payload', () => {
    rejects(() => new ChunkReader().push(fmt0(4, 0, 0xffffff, 9, 1)), 'MESSAGE_TOO_LONG');
    rejects(
      () => new ChunkReader({ maxMessageLength: 1000 }).push(fmt0(4, 0, 1001, 9, 1)),
      'MESSAGE_TOO_LONG',
    );
  });

  test('refuses too many partial messages, chunk streams and buffered bytes', () => {
    const partials = Buffer.concat(
      Array.from({ length: 17 }, (_, i) => Buffer.concat([fmt0(10 + i, 0, 300, 9, 1), bytes(128, i)])),
    );
    rejects(() => new ChunkReader().push(partials), 'TOO_MANY_PARTIAL_MESSAGES');
    const streams = Buffer.concat(Array.from({ length: 65 }, (_, i) => fmt0(2 + i, 0, 0, 9, 1)));
    rejects(() => new ChunkReader().push(streams), 'TOO_MANY_CHUNK_STREAMS');
    const two = Buffer.concat([fmt0(4, 0, 300, 9, 1), bytes(128, 1), fmt0(5, 0, 300, 9, 1), bytes(128, 2)]);
    rejects(() => new ChunkReader({ maxBufferedBytes: 200 }).push(two), 'BUFFER_LIMIT');
  });

  test('refuses fmt 1-3 on an unknown chunk stream and a new header inside a message', () => {
    rejects(() => new ChunkReader().push(Buffer.concat([basic(3, 4), Buffer.of(1)])), 'CHUNK_HEADER');
    const nested = Buffer.concat([fmt0(4, 0, 300, 9, 1), bytes(128, 1), fmt0(4, 0, 1, 9, 1)]);
    rejects(() => new ChunkReader().push(nested), 'CHUNK_HEADER');
  });

  test('random bytes end in an RtmpProtocolError or wait for more, never anything else', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const reader = new ChunkReader();
      const data = bytes(4096, seed);
      try {
        for (let off = 0; off < data.length; off += 512) reader.push(data.subarray(off, off + 512));
      } catch (err) {
        assert.ok(err instanceof RtmpProtocolError, `seed ${seed}: ${err}`);
      }
    }
  });
});

describe('ChunkWriter and ChunkReader together', () => {
  const messages: RtmpOutgoingMessage[] = [
    { chunkStreamId: 3, type: 20, streamId: 0, timestamp: 0, payload: bytes(300, 11) },
    { chunkStreamId: 4, type: 8, streamId: 1, timestamp: 23, payload: bytes(9, 12) },
    { chunkStreamId: 70, type: 9, streamId: 1, timestamp: 40, payload: bytes(5000, 13) },
    { chunkStreamId: 400, type: 9, streamId: 1, timestamp: 0x1234567, payload: bytes(700, 14) },
    { chunkStreamId: 6, type: 9, streamId: 1, timestamp: 0xffffffff, payload: Buffer.alloc(0) },
  ];

  function encode(chunkSize: number): Buffer {
    const writer = new ChunkWriter();
    const parts: Buffer[] = [];
    if (chunkSize !== 128) {
      parts.push(setChunkSize(chunkSize));
      writer.setChunkSize(chunkSize);
    }
    for (const m of messages) parts.push(writer.write(m));
    return Buffer.concat(parts);
  }

  const expected = messages.map((m) => ({
    csid: m.chunkStreamId,
    type: m.type,
    ts: m.timestamp,
    len: m.payload.length,
  }));

  test('fmt 0 then fmt 3 chunks: the exact bytes of a two-chunk message', () => {
    const writer = new ChunkWriter();
    writer.setChunkSize(2);
    const out = writer.write({
      chunkStreamId: 3,
      type: 20,
      streamId: 1,
      timestamp: 5,
      payload: Buffer.of(1, 2, 3),
    });
    assert.deepEqual(
      out,
      Buffer.from([
        0x03, // fmt 0, csid 3
        0x00,
        0x00,
        0x05, // timestamp 5
        0x00,
        0x00,
        0x03, // message length 3
        0x14, // type 20: AMF0 command
        0x01,
        0x00,
        0x00,
        0x00, // message stream id 1, little-endian
        0x01,
        0x02, // first chunk
        0xc3, // fmt 3, csid 3
        0x03, // second chunk
      ]),
    );
  });

  for (const chunkSize of [128, 4096, 60]) {
    test(`round trip at chunk size ${chunkSize}, whole, byte by byte and in random splits`, () => {
      const stream = encode(chunkSize);
      const whole = new ChunkReader().push(stream);
      assert.deepEqual(whole.map(summary), expected);
      for (const [i, m] of whole.entries()) assert.deepEqual(Buffer.from(m.payload), messages[i]!.payload);

      const byteReader = new ChunkReader();
      const byByte = [...stream].flatMap((b) => byteReader.push(Buffer.of(b)));
      assert.deepEqual(byByte, whole);

      for (let seed = 1; seed <= 20; seed++) {
        const rand = prng(seed);
        const reader = new ChunkReader();
        const got: RtmpReadMessage[] = [];
        for (let off = 0; off < stream.length; ) {
          const n = 1 + Math.floor(rand() * 300);
          got.push(...reader.push(stream.subarray(off, off + n)));
          off += n;
        }
        assert.deepEqual(got, whole);
      }
    });
  }
});
