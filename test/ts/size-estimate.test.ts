import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AacTrackInfo, H264TrackInfo, MediaSample } from '../../src/core/media.js';
import { TsMuxer } from '../../src/ts/segment-muxer.js';
import { estimateTsSize } from '../../src/ts/size-estimate.js';

const VIDEO: H264TrackInfo = {
  kind: 'video',
  codec: 'h264',
  sps: [Uint8Array.of(0x67, 0x42, 0xc0, 0x0d)],
  pps: [Uint8Array.of(0x68, 0xce, 0x3c, 0x80)],
  nalLengthSize: 4,
  width: 320,
  height: 240,
};
const AUDIO: AacTrackInfo = { kind: 'audio', codec: 'aac', audioSpecificConfig: Uint8Array.of(0x11, 0x90) };

/** Pseudo-random sizes around `mean`, deterministic. */
function samples(count: number, step: number, mean: number, type: number): MediaSample[] {
  return Array.from({ length: count }, (_, i) => {
    const size = Math.round(mean * (0.5 + ((i * 7919) % 101) / 100));
    const data = new Uint8Array(4 + size);
    new DataView(data.buffer).setUint32(0, size);
    data[4] = type;
    return {
      dts: i * step,
      pts: i * step,
      data: type === 0 ? data.subarray(4) : data,
      keyframe: i % 50 === 0,
    };
  });
}

const totals = (s: MediaSample[]) => ({ count: s.length, bytes: s.reduce((n, x) => n + x.data.length, 0) });

describe('estimateTsSize', () => {
  for (const [name, withVideo, withAudio] of [
    ['video and audio', true, true],
    ['video only', true, false],
    ['audio only', false, true],
  ] as const) {
    test(`lands within 5% of the muxed size: ${name}`, () => {
      const video = withVideo ? samples(150, 3600, 4000, 0x41) : [];
      const audio = withAudio ? samples(282, 1920, 350, 0) : [];
      const muxer = new TsMuxer({
        video: withVideo ? VIDEO : undefined,
        audio: withAudio ? AUDIO : undefined,
      });
      const actual = muxer.muxSegment({ video, audio }).length;
      const estimate = estimateTsSize(
        withVideo ? totals(video) : undefined,
        withAudio ? totals(audio) : undefined,
      );
      assert.ok(Math.abs(estimate - actual) / actual < 0.05, `estimate ${estimate}, actual ${actual}`);
    });
  }

  test('an empty segment is two packets', () => {
    assert.equal(estimateTsSize(undefined, { count: 0, bytes: 0 }), 376);
  });
});
