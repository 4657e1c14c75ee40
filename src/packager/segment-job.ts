// One segment's packaging work, muxing then encryption, as a plain function of plain data, so it
// can run on the main thread or in a worker thread alike.

import type { AacTrackInfo, H264TrackInfo, MediaSample } from '../core/media.js';
import { encryptSegment } from '../crypto/segment-cipher.js';
import { type MuxSegmentOptions, TsMuxer } from '../ts/segment-muxer.js';

/** Everything needed to package one VOD segment; structured-cloneable. */
export interface SegmentJob {
  readonly tracks: { readonly video?: H264TrackInfo; readonly audio?: AacTrackInfo };
  readonly video: readonly MediaSample[];
  readonly audio: readonly MediaSample[];
  readonly sequence: number;
  /** AES-128 key and IV; absent when the policy serves the stream in the clear. */
  readonly key?: Uint8Array;
  readonly iv?: Uint8Array;
}

/** Where encrypted segments are muxed before AES copies the bytes out; grows to the largest segment. */
let arena = new Uint8Array(0);
/** The arena grows with room to spare, so slightly larger segments do not grow it again. */
const ARENA_HEADROOM = 1.25;

/**
 * Muxes samples with `muxer` and encrypts the result when a key is given. The TS bytes of an
 * encrypted segment only live until AES has copied them out, so they go into one reused buffer
 * rather than fresh memory each time (first touches of fresh pages dominate otherwise).
 */
export function packageSegment(
  muxer: TsMuxer,
  samples: { readonly video: readonly MediaSample[]; readonly audio: readonly MediaSample[] },
  options: MuxSegmentOptions,
  key?: Uint8Array,
  iv?: Uint8Array,
): Uint8Array {
  if (!key || !iv) return muxer.muxSegment(samples, options);
  const ts = muxer.muxSegment(samples, { ...options, output: arena });
  // Too small: the muxer allocated; grow for next time.
  if (ts.buffer !== arena.buffer) arena = new Uint8Array(Math.ceil(ts.length * ARENA_HEADROOM));
  return encryptSegment(ts, key, iv);
}

/** Muxes a VOD segment on its own (counters from its sequence number) and encrypts it when a key is given. */
export function runSegmentJob(job: SegmentJob): Uint8Array {
  return packageSegment(
    new TsMuxer(job.tracks),
    { video: job.video, audio: job.audio },
    { standaloneSequence: job.sequence },
    job.key,
    job.iv,
  );
}
