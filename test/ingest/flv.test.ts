// FLV tag bodies to track info and samples: a real ffmpeg AVC sequence header, signed composition times,
// AAC config and frames, unsupported codecs.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HlsError } from '../../src/core/errors.js';
import {
  parseAvcDecoderConfigurationRecord,
  parseFlvAudioTag,
  parseFlvVideoTag,
} from '../../src/ingest/flv.js';

const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');

/** The first video tag ffmpeg 5.1 wrote for testsrc2 320x240 through libx264 (High profile, level 1.3). */
const REAL_AVC_SEQUENCE_HEADER = hex(
  '17 00 000000' + // keyframe + AVC, sequence header, composition time 0
    '01 64 00 0d ff e1' + // version 1, High, compat 0, level 13, lengthSizeMinusOne 3, 1 SPS
    '0019 6764000dacd94141fb011000000300100000030320f1429960' + // SPS, 25 bytes
    '01 0006 68ebe3cb22c0' + // 1 PPS, 6 bytes
    'fdf8f800', // High profile extension: chroma format, bit depths, no SPS ext
);

describe('FLV video tags', () => {
  test('parses a real AVC sequence header into SPS, PPS and the NAL length size', () => {
    const result = parseFlvVideoTag(REAL_AVC_SEQUENCE_HEADER, 0);
    assert.equal(result.kind, 'config');
    assert.ok(result.kind === 'config');
    assert.deepEqual(result.info, {
      kind: 'video',
      codec: 'h264',
      sps: [Uint8Array.from(hex('6764000dacd94141fb011000000300100000030320f1429960'))],
      pps: [Uint8Array.from(hex('68ebe3cb22c0'))],
      nalLengthSize: 4,
      width: 0,
      height: 0,
    });
  });

  test('turns NAL unit tags into samples with 90 kHz dts and pts, keeping negative composition times', () => {
    const nal = hex('00000002 0910');
    const key = parseFlvVideoTag(Buffer.concat([hex('17 01 000050'), nal]), 1000); // cts +80
    assert.deepEqual(key, {
      kind: 'sample',
      sample: { dts: 90_000, pts: 97_200, data: nal, keyframe: true },
    });
    const inter = parseFlvVideoTag(Buffer.concat([hex('27 01 ffffd8'), nal]), 2000); // cts -40
    assert.deepEqual(inter, {
      kind: 'sample',
      sample: { dts: 180_000, pts: 176_400, data: nal, keyframe: false },
    });
    const minimum = parseFlvVideoTag(Buffer.concat([hex('27 01 800000'), nal]), 10_000_000);
    assert.ok(minimum.kind === 'sample');
    assert.equal(minimum.sample.pts - minimum.sample.dts, -8_388_608 * 90);
  });

  test('keeps timestamps past 2^32 ms exact', () => {
    const ms = 2 ** 32 + 40;
    const result = parseFlvVideoTag(hex('27 01 000000 00000001 09'), ms);
    assert.ok(result.kind === 'sample');
    assert.equal(result.sample.dts, ms * 90);
  });

  test('end of sequence, info frames and empty bodies carry nothing', () => {
    assert.deepEqual(parseFlvVideoTag(hex('17 02 000000'), 0), { kind: 'end-of-sequence' });
    assert.deepEqual(parseFlvVideoTag(hex('57 00'), 0), { kind: 'ignored' });
    assert.deepEqual(parseFlvVideoTag(new Uint8Array(0), 0), { kind: 'ignored' });
  });

  test('refuses HEVC, enhanced RTMP and other codecs as unsupported media', () => {
    const unsupported = (body: Buffer, pattern: RegExp) =>
      assert.throws(
        () => parseFlvVideoTag(body, 0),
        (err: unknown) =>
          err instanceof HlsError && err.code === 'UNSUPPORTED_MEDIA' && pattern.test(err.message),
      );
    unsupported(hex('1c 00 000000'), /HEVC/);
    unsupported(Buffer.concat([hex('90'), Buffer.from('hvc1')]), /hvc1/);
    unsupported(hex('12 00'), /codec 2/);
  });

  test('refuses malformed AVC records', () => {
    const invalid = (body: Buffer) =>
      assert.throws(
        () => parseFlvVideoTag(body, 0),
        (err: unknown) => err instanceof HlsError && err.code === 'MEDIA_INVALID',
      );
    invalid(hex('17 00 00'));
    invalid(hex('17 00 000000 01640d'));
    invalid(hex('17 00 000000 02 64 00 0d ff e1 0001 67 01 0001 68'));
    invalid(hex('17 00 000000 01 64 00 0d ff e1 0019 6764'));
    invalid(hex('17 07 000000'));
    assert.throws(() => parseAvcDecoderConfigurationRecord(hex('01 64 00 0d ff e0 00')), HlsError);
  });
});

describe('FLV audio tags', () => {
  test('parses an AAC AudioSpecificConfig (as ffmpeg sends it) and raw frames', () => {
    assert.deepEqual(parseFlvAudioTag(hex('af 00 1208 56e500'), 0), {
      kind: 'config',
      info: { kind: 'audio', codec: 'aac', audioSpecificConfig: Uint8Array.from(hex('120856e500')) },
    });
    const frame = hex('de0200 4c61');
    assert.deepEqual(parseFlvAudioTag(Buffer.concat([hex('af 01'), frame]), 57), {
      kind: 'sample',
      sample: { dts: 5130, pts: 5130, data: frame, keyframe: true },
    });
  });

  test('refuses other sound formats and short configs', () => {
    assert.throws(
      () => parseFlvAudioTag(hex('2f 00'), 0),
      (e: unknown) => e instanceof HlsError && e.code === 'UNSUPPORTED_MEDIA',
    );
    assert.throws(
      () => parseFlvAudioTag(hex('af 00 12'), 0),
      (e: unknown) => e instanceof HlsError && e.code === 'MEDIA_INVALID',
    );
  });
});
