import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NalType, nalType, splitAnnexB, unescapeRbsp } from '../../src/codecs/nal.js';

describe('NAL helpers', () => {
  test('nalType reads the low 5 bits', () => {
    assert.equal(nalType(0x67), NalType.SPS);
    assert.equal(nalType(0x68), NalType.PPS);
    assert.equal(nalType(0x65), NalType.IDR);
    assert.equal(nalType(0x09), NalType.AUD);
  });

  test('unescapeRbsp drops emulation prevention bytes only after two zeros', () => {
    const escaped = Uint8Array.of(0x00, 0x00, 0x03, 0x01, 0x03, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03);
    assert.deepEqual([...unescapeRbsp(escaped)], [0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00]);
  });

  test('splitAnnexB handles 3- and 4-byte start codes and trailing zeros', () => {
    const stream = Uint8Array.of(
      0,
      0,
      0,
      1,
      0x09,
      0xf0,
      0,
      0,
      1,
      0x67,
      0x42,
      0,
      0,
      0,
      0,
      1,
      0x65,
      0x88,
      0x80,
    );
    const units = splitAnnexB(stream).map((u) => [...u]);
    assert.deepEqual(units, [
      [0x09, 0xf0],
      [0x67, 0x42],
      [0x65, 0x88, 0x80],
    ]);
  });
});
