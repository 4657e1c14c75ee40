import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BitReader } from '../../src/codecs/bit-reader.js';

describe('BitReader', () => {
  test('reads bits MSB first', () => {
    const r = new BitReader(Uint8Array.of(0b1010_0000, 0xff));
    assert.equal(r.readBit(), 1);
    assert.equal(r.readBits(3), 0b010);
    r.skipBits(4);
    assert.equal(r.readBits(8), 0xff);
    assert.equal(r.bitsLeft, 0);
  });

  test('reads Exp-Golomb codes (ue and se)', () => {
    // 1 | 010 | 011 | 00100 | 00101 → ue 0, 1, 2, 3, 4
    const r = new BitReader(Uint8Array.of(0b1010_0110, 0b0100_0010, 0b1000_0000));
    assert.deepEqual([r.readUe(), r.readUe(), r.readUe(), r.readUe(), r.readUe()], [0, 1, 2, 3, 4]);
    const s = new BitReader(Uint8Array.of(0b1010_0110, 0b0100_0010, 0b1000_0000));
    assert.deepEqual([s.readSe(), s.readSe(), s.readSe(), s.readSe(), s.readSe()], [0, 1, -1, 2, -2]);
  });

  test('reads up to 32 bits', () => {
    const r = new BitReader(Uint8Array.of(0xff, 0xff, 0xff, 0xfe));
    assert.equal(r.readBits(32), 0xfffffffe);
  });

  test('throws MEDIA_INVALID past the end and on runaway codes', () => {
    const r = new BitReader(Uint8Array.of(0xff));
    assert.throws(() => r.readBits(9), { code: 'MEDIA_INVALID' });
    assert.throws(() => new BitReader(new Uint8Array(8)).readUe(), { code: 'MEDIA_INVALID' });
    assert.throws(() => new BitReader(new Uint8Array(2)).readUe(), { code: 'MEDIA_INVALID' });
  });
});
