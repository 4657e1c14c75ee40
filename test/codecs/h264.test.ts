import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { annexBSize, avccToAnnexB, scanAccessUnit } from '../../src/codecs/h264.js';
import type { H264TrackInfo } from '../../src/core/media.js';

const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x0d);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const IDR = Uint8Array.of(0x65, 0x88, 0x84, 0x00, 0x33);
const SLICE = Uint8Array.of(0x41, 0x9a, 0x02);
const SEI = Uint8Array.of(0x06, 0x05, 0x01, 0xaa);
const AUD = Uint8Array.of(0x09, 0x10);

function track(nalLengthSize: number): H264TrackInfo {
  return { kind: 'video', codec: 'h264', sps: [SPS], pps: [PPS], nalLengthSize, width: 320, height: 240 };
}

/** Builds an AVCC sample with `size`-byte big-endian length prefixes. */
function avcc(size: number, ...nals: Uint8Array[]): Uint8Array {
  const parts: number[] = [];
  for (const nal of nals) {
    for (let i = size - 1; i >= 0; i--) parts.push((nal.length >> (8 * i)) & 0xff);
    parts.push(...nal);
  }
  return Uint8Array.from(parts);
}

const START = [0x00, 0x00, 0x00, 0x01];
const AUD_OUT = [...START, 0x09, 0xf0];

describe('avccToAnnexB', () => {
  test('an IDR gets an AUD, then SPS and PPS from the track, then its own NAL units', () => {
    const out = avccToAnnexB(avcc(4, SEI, IDR), track(4), true);
    // biome-ignore format: one line per NAL unit
    assert.deepEqual([...out], [
      ...AUD_OUT, //          access unit delimiter, primary_pic_type 7
      ...START, ...SPS, //    sequence parameter set from the track
      ...START, ...PPS, //    picture parameter set from the track
      ...START, ...SEI, //    the sample's own NAL units, in order
      ...START, ...IDR,
    ]);
  });

  test('a non-IDR access unit gets only the AUD', () => {
    const out = avccToAnnexB(avcc(4, SLICE), track(4), false);
    assert.deepEqual([...out], [...AUD_OUT, ...START, ...SLICE]);
  });

  test('an AUD already in the sample is dropped, not doubled', () => {
    const out = avccToAnnexB(avcc(4, AUD, SLICE), track(4), false);
    assert.deepEqual([...out], [...AUD_OUT, ...START, ...SLICE]);
  });

  test('an IDR that carries its own SPS and PPS gets no second copy', () => {
    const ownSps = Uint8Array.of(0x67, 0x64, 0x00, 0x1f);
    const out = avccToAnnexB(avcc(4, AUD, ownSps, PPS, IDR), track(4), true);
    assert.deepEqual([...out], [...AUD_OUT, ...START, ...ownSps, ...START, ...PPS, ...START, ...IDR]);
  });

  test('an IDR NAL gets parameter sets even when the sample is not flagged as a keyframe', () => {
    const out = avccToAnnexB(avcc(4, IDR), track(4), false);
    assert.deepEqual([...out.subarray(6, 14)], [...START, ...SPS]);
  });

  for (const size of [1, 2, 4]) {
    test(`reads ${size}-byte NAL length prefixes`, () => {
      const out = avccToAnnexB(avcc(size, SLICE, SEI), track(size), false);
      assert.deepEqual([...out], [...AUD_OUT, ...START, ...SLICE, ...START, ...SEI]);
    });
  }

  test('annexBSize predicts the written size', () => {
    const data = avcc(2, AUD, SEI, IDR);
    const scan = scanAccessUnit(data, 2);
    assert.deepEqual(scan, { nalBytes: SEI.length + IDR.length, nalCount: 2, hasIdr: true, hasSps: false });
    assert.equal(annexBSize(scan, track(2), true), avccToAnnexB(data, track(2), true).length);
  });

  test('skips empty NAL units', () => {
    const out = avccToAnnexB(avcc(4, new Uint8Array(0), SLICE), track(4), false);
    assert.deepEqual([...out], [...AUD_OUT, ...START, ...SLICE]);
  });

  test('a length prefix that runs past the sample throws MEDIA_INVALID', () => {
    const bad = Uint8Array.of(0x00, 0x00, 0x00, 0x09, 0x41, 0x9a);
    assert.throws(() => avccToAnnexB(bad, track(4), false), { code: 'MEDIA_INVALID' });
  });

  test('a sample ending inside a length prefix throws MEDIA_INVALID', () => {
    const bad = Uint8Array.of(...avcc(4, SLICE), 0x00, 0x00);
    assert.throws(() => avccToAnnexB(bad, track(4), false), { code: 'MEDIA_INVALID' });
  });

  test('a prefix larger than the buffer (e.g. a wrong nalLengthSize) throws MEDIA_INVALID', () => {
    assert.throws(() => avccToAnnexB(avcc(2, SLICE), track(4), false), { code: 'MEDIA_INVALID' });
    assert.throws(() => avccToAnnexB(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x41), track(4), false), {
      code: 'MEDIA_INVALID',
    });
  });

  test('an invalid nalLengthSize throws MEDIA_INVALID', () => {
    assert.throws(() => avccToAnnexB(avcc(1, SLICE), track(0), false), { code: 'MEDIA_INVALID' });
    assert.throws(() => avccToAnnexB(avcc(1, SLICE), track(5), false), { code: 'MEDIA_INVALID' });
  });
});
