import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { h264CodecString, parseH264Sps } from '../../src/codecs/h264-sps.js';

// SPS NAL units written by x264 through ffmpeg (`-f lavfi -i testsrc2=size=WxH -c:v libx264 ...`).
const SPS = {
  high640x360: '6764001eacd940a02ff97011000003000100000300320f162d96',
  high1920x1080: '67640028acd940780227e5c044000003000400000300c83c60c658',
  baseline320x240: '6742c00dd90141fb011000000300100000030320f142a480',
  high444with_cqm352x288: '67f4000d919b282c12d808800000030080000019078a14cb',
  high422with_cqm1280x720: '677a001fbcd9405005bb011000000300100000030320f1831960',
  interlaced720x576: '6764001eacd940b424d8088000000300800000190f8a14cb',
  odd642x362: '6764001eacd940a42fe224c044000003000400000300c83c58b658',
};

const sps = (hex: string) => Buffer.from(hex, 'hex');

describe('parseH264Sps', () => {
  test('High profile 640x360 (cropped from 368 coded lines)', () => {
    assert.deepEqual(parseH264Sps(sps(SPS.high640x360)), {
      profileIdc: 100,
      constraintFlags: 0,
      levelIdc: 30,
      width: 640,
      height: 360,
    });
  });

  test('High profile 1920x1080 (cropped from 1088)', () => {
    const info = parseH264Sps(sps(SPS.high1920x1080));
    assert.deepEqual([info.width, info.height, info.levelIdc], [1920, 1080, 40]);
  });

  test('Constrained Baseline has no chroma format fields', () => {
    const info = parseH264Sps(sps(SPS.baseline320x240));
    assert.deepEqual([info.profileIdc, info.constraintFlags, info.width, info.height], [66, 0xc0, 320, 240]);
  });

  test('4:4:4 and 4:2:2 profiles with scaling matrices', () => {
    const h444 = parseH264Sps(sps(SPS.high444with_cqm352x288));
    assert.deepEqual([h444.profileIdc, h444.width, h444.height], [244, 352, 288]);
    const h422 = parseH264Sps(sps(SPS.high422with_cqm1280x720));
    assert.deepEqual([h422.profileIdc, h422.width, h422.height], [122, 1280, 720]);
  });

  test('interlaced (field macroblock pairs)', () => {
    const info = parseH264Sps(sps(SPS.interlaced720x576));
    assert.deepEqual([info.width, info.height], [720, 576]);
  });

  test('odd sizes cropped on the right and bottom', () => {
    const info = parseH264Sps(sps(SPS.odd642x362));
    assert.deepEqual([info.width, info.height], [642, 362]);
  });

  test('rejects a NAL that is not an SPS, and a truncated SPS', () => {
    assert.throws(() => parseH264Sps(Uint8Array.of(0x68, 0xeb, 0xe3, 0xcb)), { code: 'MEDIA_INVALID' });
    assert.throws(() => parseH264Sps(sps(SPS.high640x360).subarray(0, 6)), { code: 'MEDIA_INVALID' });
  });
});

describe('h264CodecString', () => {
  test('profile, constraint flags and level as hex', () => {
    assert.equal(h264CodecString(sps(SPS.high640x360)), 'avc1.64001e');
    assert.equal(h264CodecString(sps(SPS.high1920x1080)), 'avc1.640028');
    assert.equal(h264CodecString(sps(SPS.baseline320x240)), 'avc1.42c00d');
    assert.equal(
      h264CodecString({ profileIdc: 100, constraintFlags: 0, levelIdc: 31, width: 1280, height: 720 }),
      'avc1.64001f',
    );
  });
});
