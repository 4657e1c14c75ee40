// Track setups shared by the muxer tests: a tiny H.264 stream and AAC-LC stereo at 48 kHz.

import type { AacTrackInfo, H264TrackInfo } from '../../src/core/media.js';

/** H.264 Baseline 320x240 with a 4-byte NAL length prefix. */
export const VIDEO: H264TrackInfo = {
  kind: 'video',
  codec: 'h264',
  sps: [Uint8Array.of(0x67, 0x42, 0xc0, 0x0d)],
  pps: [Uint8Array.of(0x68, 0xce, 0x3c, 0x80)],
  nalLengthSize: 4,
  width: 320,
  height: 240,
};
/** AAC-LC, 48000 Hz, stereo: 1920 ticks of 90 kHz per frame. */
export const AUDIO: AacTrackInfo = {
  kind: 'audio',
  codec: 'aac',
  audioSpecificConfig: Uint8Array.of(0x11, 0x90),
};
/** One video frame at 25 fps, in 90 kHz ticks. */
export const FRAME_90K = 3600;
/** One AAC frame (1024 samples at 48 kHz), in 90 kHz ticks. */
export const AAC_90K = 1920;
