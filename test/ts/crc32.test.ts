import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crc32Mpeg2 } from '../../src/ts/crc32.js';

describe('crc32Mpeg2', () => {
  test('matches the CRC-32/MPEG-2 check value of "123456789"', () => {
    assert.equal(crc32Mpeg2(new TextEncoder().encode('123456789')), 0x0376e6e7);
  });

  test("matches ffmpeg's PAT CRC", () => {
    // ffmpeg's first packet payload is pointer_field 00, then this section; the CRC covers the section.
    const pat = Buffer.from('00b00d0001c100000001f000', 'hex');
    assert.equal(crc32Mpeg2(pat), 0x2ab104b2);
  });

  test('honours start and end', () => {
    const padded = Buffer.from('ff00b00d0001c100000001f000ff', 'hex');
    assert.equal(crc32Mpeg2(padded, 1, padded.length - 1), 0x2ab104b2);
  });

  test('a section followed by its own CRC leaves remainder 0', () => {
    const withCrc = Buffer.from('00b00d0001c100000001f0002ab104b2', 'hex');
    assert.equal(crc32Mpeg2(withCrc), 0);
  });
});
