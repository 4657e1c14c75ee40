// The server handshake: S0+S1+S2 after C0+C1 (S2 echoes C1), done after C2, in any split.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HANDSHAKE_PACKET_SIZE, RtmpServerHandshake } from '../../src/ingest/rtmp/handshake.js';
import { RtmpProtocolError } from '../../src/ingest/rtmp/protocol-error.js';

const fill = (size: number): Uint8Array => new Uint8Array(size).fill(0xab);

function clientBytes(): { c0c1: Buffer; c2: Buffer; tail: Buffer } {
  const c1 = Buffer.alloc(HANDSHAKE_PACKET_SIZE);
  for (let i = 0; i < c1.length; i++) c1[i] = (i * 7) & 0xff;
  const c2 = Buffer.alloc(HANDSHAKE_PACKET_SIZE, 0x5a);
  return { c0c1: Buffer.concat([Buffer.of(3), c1]), c2, tail: Buffer.of(1, 2, 3) };
}

describe('RtmpServerHandshake', () => {
  test('answers C0+C1 with S0, S1 and S2 echoing C1, then finishes on C2 and returns the bytes after it', () => {
    const { c0c1, c2, tail } = clientBytes();
    const hs = new RtmpServerHandshake(fill, 0);
    const first = hs.push(c0c1);
    assert.equal(first.done, false);
    assert.ok(first.output);
    const out = Buffer.from(first.output);
    assert.equal(out.length, 1 + 2 * HANDSHAKE_PACKET_SIZE);
    assert.equal(out[0], 3, 'S0 version');
    assert.deepEqual(out.subarray(1, 9), Buffer.alloc(8), 'S1 time 0 and zero bytes');
    assert.deepEqual(
      out.subarray(9, 1 + HANDSHAKE_PACKET_SIZE),
      Buffer.alloc(HANDSHAKE_PACKET_SIZE - 8, 0xab),
    );
    assert.deepEqual(out.subarray(1 + HANDSHAKE_PACKET_SIZE), c0c1.subarray(1), 'S2 echoes C1');
    const second = hs.push(Buffer.concat([c2, tail]));
    assert.equal(second.done, true);
    assert.equal(second.output, undefined);
    assert.deepEqual(Buffer.from(second.rest), tail);
    assert.equal(hs.done, true);
  });

  test('gives the same result fed one byte at a time', () => {
    const { c0c1, c2, tail } = clientBytes();
    const all = Buffer.concat([c0c1, c2, tail]);
    const hs = new RtmpServerHandshake(fill);
    const outputs: Uint8Array[] = [];
    let rest = Buffer.alloc(0);
    for (let i = 0; i < all.length; i++) {
      const step = hs.push(all.subarray(i, i + 1));
      if (step.output) outputs.push(step.output);
      if (step.done) rest = Buffer.concat([rest, step.rest]);
    }
    assert.equal(outputs.length, 1);
    assert.deepEqual(Buffer.from(outputs[0]!).subarray(1 + HANDSHAKE_PACKET_SIZE), c0c1.subarray(1));
    assert.deepEqual(rest, tail);
  });

  test('refuses a version byte other than 3 at once', () => {
    const hs = new RtmpServerHandshake(fill);
    assert.throws(
      () => hs.push(Buffer.of(6)),
      (err: unknown) => err instanceof RtmpProtocolError && err.reason === 'HANDSHAKE_VERSION',
    );
    assert.throws(
      () => new RtmpServerHandshake(fill).push(Buffer.from('GET / HTTP/1.1\r\n')),
      RtmpProtocolError,
    );
  });
});
