import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  maxBoundedPesPayload,
  pesHeaderSize,
  STREAM_ID_AUDIO,
  STREAM_ID_VIDEO,
  writePesHeader,
} from '../../src/ts/pes.js';

function header(streamId: number, pts: number, dts: number, payloadLength: number | undefined): number[] {
  const out = new Uint8Array(32);
  const size = writePesHeader(out, 0, streamId, pts, dts, payloadLength);
  assert.equal(size, pesHeaderSize(pts, dts));
  return [...out.subarray(0, size)];
}

describe('PES header', () => {
  test('PTS only when PTS equals DTS, with the true length (audio)', () => {
    // biome-ignore format: one line per field
    const expected = [
      0x00, 0x00, 0x01, // packet_start_code_prefix
      0xc0, //             stream_id: audio stream 0
      0x00, 0x6c, //       PES_packet_length 108 = 3 + 5 + 100
      0x80, //             '10', not scrambled, no priority/alignment/copyright, copy
      0x80, //             PTS_DTS_flags '10', no other optional fields
      0x05, //             PES_header_data_length
      0x21, 0x00, 0x37, 0x77, 0x41, // '0010' PTS 900000 (10 s) with marker bits
    ];
    assert.deepEqual(header(STREAM_ID_AUDIO, 900_000, 900_000, 100), expected);
  });

  test('PTS and DTS when they differ; video length 0', () => {
    // biome-ignore format: one line per field
    const expected = [
      0x00, 0x00, 0x01, // packet_start_code_prefix
      0xe0, //             stream_id: video stream 0
      0x00, 0x00, //       PES_packet_length 0: unbounded video
      0x80, //             '10' and flags
      0xc0, //             PTS_DTS_flags '11'
      0x0a, //             PES_header_data_length 10
      0x31, 0x00, 0x37, 0x93, 0x61, // '0011' PTS 903600 (DTS + 40 ms)
      0x11, 0x00, 0x37, 0x77, 0x41, // '0001' DTS 900000
    ];
    assert.deepEqual(header(STREAM_ID_VIDEO, 903_600, 900_000, undefined), expected);
  });

  test('uses all 33 bits and wraps larger values', () => {
    const max = 2 ** 33 - 1;
    assert.deepEqual(header(STREAM_ID_VIDEO, max, max, undefined).slice(9), [0x2f, 0xff, 0xff, 0xff, 0xff]);
    assert.deepEqual(
      header(STREAM_ID_VIDEO, 2 ** 33 + 1, 2 ** 33 + 1, undefined).slice(9),
      [0x21, 0, 1, 0, 3],
    );
  });

  test('treats PTS and DTS equal after wrapping as one timestamp', () => {
    assert.equal(pesHeaderSize(2 ** 33 + 5, 5), 14);
    assert.equal(pesHeaderSize(10, 5), 19);
  });

  test('bounds the payload so PES_packet_length fits 16 bits', () => {
    assert.equal(maxBoundedPesPayload(0, 0), 65535 - 8);
    const out = new Uint8Array(32);
    assert.throws(() => writePesHeader(out, 0, STREAM_ID_AUDIO, 0, 0, 65535 - 7), { code: 'INTERNAL' });
  });
});
