// One VOD segment's packaging work, reading, muxing and encryption, as a plain function of plain
// data, so it runs on a worker thread (or the main thread) alike. Reads and TS output go into
// buffers reused from job to job: first touches of fresh memory cost more than the muxing itself.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { HlsError } from '../core/errors.js';
import type { AacTrackInfo, H264TrackInfo, MediaSample } from '../core/media.js';
import { encryptSegment } from '../crypto/segment-cipher.js';
import { type MuxSegmentOptions, TsMuxer } from '../ts/segment-muxer.js';
import { type SegmentReadPlan, samplesFrom } from './mp4-segment-reader.js';

/** Everything needed to package one VOD segment; structured-cloneable. */
export interface SegmentJob {
  readonly tracks: { readonly video?: H264TrackInfo; readonly audio?: AacTrackInfo };
  /** The MP4 file as it was indexed; a file changed since then is not read. */
  readonly file: { readonly path: string; readonly size: number; readonly mtimeMs: number };
  readonly reads: SegmentReadPlan;
  readonly sequence: number;
  /** AES-128 key and IV; absent when the policy serves the stream in the clear. */
  readonly key?: Uint8Array;
  readonly iv?: Uint8Array;
}

/** Buffers grow with room to spare, so slightly larger segments do not grow them again. */
const HEADROOM = 1.25;
/** Where sample bytes are read to; they only live until muxed. */
let readArena = new Uint8Array(0);
/** Where encrypted segments are muxed before AES copies the bytes out. */
let muxArena = new Uint8Array(0);

/** Reads the runs of `job` into the read arena; returns a view of each run. */
function readRuns(job: SegmentJob): Uint8Array[] {
  const total = job.reads.runs.reduce((sum, r) => sum + r.length, 0);
  if (readArena.length < total) readArena = new Uint8Array(Math.ceil(total * HEADROOM));
  let fd: number;
  try {
    fd = openSync(job.file.path, 'r');
  } catch (err) {
    throw new HlsError('NOT_FOUND', 'media file not found', { cause: err });
  }
  try {
    const st = fstatSync(fd);
    if (st.size !== job.file.size || st.mtimeMs !== job.file.mtimeMs) {
      throw new HlsError(
        'SEGMENT_NOT_FOUND',
        'the media file changed since it was indexed; reload the playlist',
      );
    }
    const views: Uint8Array[] = [];
    let at = 0;
    for (const run of job.reads.runs) {
      const view = readArena.subarray(at, at + run.length);
      let got = 0;
      while (got < run.length) {
        const n = readSync(fd, view, got, run.length - got, run.start + got);
        if (n === 0) break;
        got += n;
      }
      if (got < run.length)
        throw new HlsError('MEDIA_INVALID', 'invalid MP4 file: the file ended while reading samples');
      views.push(view);
      at += run.length;
    }
    return views;
  } finally {
    closeSync(fd);
  }
}

/**
 * Muxes samples with `muxer` and encrypts the result when a key is given. The TS bytes of an
 * encrypted segment only live until AES has copied them out, so they go into a reused buffer.
 */
export function packageSegment(
  muxer: TsMuxer,
  samples: { readonly video: readonly MediaSample[]; readonly audio: readonly MediaSample[] },
  options: MuxSegmentOptions,
  key?: Uint8Array,
  iv?: Uint8Array,
): Uint8Array {
  if (!key || !iv) return muxer.muxSegment(samples, options);
  const ts = muxer.muxSegment(samples, { ...options, output: muxArena });
  // Too small: the muxer allocated; grow for next time.
  if (ts.buffer !== muxArena.buffer) muxArena = new Uint8Array(Math.ceil(ts.length * HEADROOM));
  return encryptSegment(ts, key, iv);
}

/** Reads, muxes (counters from its sequence number) and, given a key, encrypts one VOD segment. */
export function runSegmentJob(job: SegmentJob): Uint8Array {
  const samples = samplesFrom(job.reads, readRuns(job));
  return packageSegment(
    new TsMuxer(job.tracks),
    samples,
    { standaloneSequence: job.sequence },
    job.key,
    job.iv,
  );
}
