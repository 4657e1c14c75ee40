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

/** Muxes a VOD segment into MPEG-TS and encrypts it when a key is given. */
export function runSegmentJob(job: SegmentJob): Uint8Array {
  const ts = new TsMuxer(job.tracks).muxSegment(
    { video: job.video, audio: job.audio },
    { standaloneSequence: job.sequence },
  );
  return job.key && job.iv ? encryptSegment(ts, job.key, job.iv) : ts;
}
