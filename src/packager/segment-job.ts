// One segment's packaging work, muxing then encryption, as a plain function of plain data, so it
// can run on the main thread or in a worker thread alike.

import type { AacTrackInfo, H264TrackInfo, MediaSample } from '../core/media.js';
import { encryptSegment } from '../crypto/segment-cipher.js';
import { TsMuxer } from '../ts/segment-muxer.js';

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

/** Where encrypted jobs mux to before AES copies the bytes out; grows to the largest segment. */
let arena = new Uint8Array(0);

/** Muxes a VOD segment into MPEG-TS and encrypts it when a key is given. */
export function runSegmentJob(job: SegmentJob): Uint8Array {
  const muxer = new TsMuxer(job.tracks);
  const samples = { video: job.video, audio: job.audio };
  if (!job.key || !job.iv) return muxer.muxSegment(samples, { standaloneSequence: job.sequence });
  // The TS bytes only live until they are encrypted: one reused buffer holds them rather than
  // fresh memory for every segment. When it is too small the muxer allocates; it grows for next time.
  const ts = muxer.muxSegment(samples, { standaloneSequence: job.sequence, output: arena });
  if (ts.buffer !== arena.buffer) arena = new Uint8Array(Math.ceil(ts.length * ARENA_HEADROOM));
  return encryptSegment(ts, job.key, job.iv);
}

/** The arena grows with room to spare, so slightly larger segments do not grow it again. */
const ARENA_HEADROOM = 1.25;
