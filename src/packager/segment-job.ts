// One VOD segment's packaging work, reading, muxing and encryption, as a plain function of plain
// data, so it runs on a worker thread (or the main thread) alike. Reads and TS output go into
// buffers reused from job to job, and segments into buffers recycled from segments the cache
// let go: first touches of fresh memory cost more than the muxing itself.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { HlsError } from '../core/errors.js';
import type { AacTrackInfo, H264TrackInfo, MediaSample } from '../core/media.js';
import { encryptedLength, encryptSegment } from '../crypto/segment-cipher.js';
import { type MuxSegmentOptions, TsMuxer } from '../ts/segment-muxer.js';
import { type SegmentReadPlan, samplesFrom } from './mp4-segment-reader.js';
import type { Mp4Source } from './mp4-source.js';
import type { SegmentPlan } from './segment-plan.js';
import { freshBuffer, SpareBuffers } from './spare-buffers.js';

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

/** The codec setup of a source's tracks, by kind. */
export function tracksOf(src: Mp4Source): { video?: H264TrackInfo; audio?: AacTrackInfo } {
  const v = src.index.video?.info;
  const a = src.index.audio?.info;
  return { video: v?.kind === 'video' ? v : undefined, audio: a?.kind === 'audio' ? a : undefined };
}

/** The job of segment `sequence` of `plan` (a plan of `src`), encrypted when `key` and `iv` are given. */
export function segmentJobOf(
  src: Mp4Source,
  plan: SegmentPlan,
  sequence: number,
  key?: Uint8Array,
  iv?: Uint8Array,
): SegmentJob {
  return {
    tracks: tracksOf(src),
    file: { path: src.path, size: src.size, mtimeMs: src.mtimeMs },
    reads: src.readPlan(plan, sequence),
    sequence,
    key,
    iv,
  };
}

/** Buffers grow with room to spare, so slightly larger segments do not grow them again. */
const HEADROOM = 1.25;
/** Spare output buffers kept per thread: enough for the segments in flight between two evictions. */
const MAX_SPARES = 4;
/** Where sample bytes are read to; they only live until muxed. */
let readArena = new Uint8Array(0);
/** Where segments are muxed before AES (or a copy) moves the bytes to their output buffer. */
let muxArena = new Uint8Array(0);
/** Output buffers of segments that left the cache, for the next segments packaged on this thread. */
const spares = new SpareBuffers(MAX_SPARES);

/** A packaged segment. */
export interface SegmentOutput {
  /** The segment, a view at the start of a buffer of its own (possibly larger). */
  readonly data: Uint8Array;
  /** Whether `data` lies in a recycled buffer rather than fresh memory. */
  readonly reused: boolean;
}

/** Keeps the buffer of a segment no longer used anywhere for the next segments on this thread. */
export function recycleOutput(buffer: ArrayBuffer): void {
  spares.give(buffer);
}

/** TS bytes per packet, and payload bytes a packet carries at most. */
const PACKET_BYTES = 188;
const PACKET_PAYLOAD = 184;
/** A video PES header with PTS and DTS, plus the AUD before the first NAL unit. */
const VIDEO_PES_OVERHEAD = 19 + 6;
/** An audio PES header with PTS; each AAC frame gets a 7-byte ADTS header. */
const AUDIO_PES_OVERHEAD = 14;
const ADTS_HEADER = 7;
/** Audio frames per PES, about: grouping stops at each video frame (2 AAC frames per 25 fps frame). */
const AUDIO_FRAMES_PER_PES = 2;
/** PAT, PMT and a spare packet or two for PCRs. */
const FIXED_PACKETS = 4;

/**
 * About how many bytes `job`'s segment will take (a little more, rarely less), known before it is
 * muxed: enough to pick a recycled buffer for it.
 */
export function estimateOutputBytes(job: SegmentJob): number {
  const { video, audio } = job.reads;
  const track = job.tracks.video;
  const setup = track ? [...track.sps, ...track.pps].reduce((n, b) => n + b.length + 4, 0) : 0;
  let bytes = 0;
  for (const s of video) bytes += s.size + VIDEO_PES_OVERHEAD + (s.keyframe ? setup : 0);
  for (const s of audio) bytes += s.size + ADTS_HEADER;
  const audioPes = Math.ceil(audio.length / AUDIO_FRAMES_PER_PES);
  bytes += audioPes * AUDIO_PES_OVERHEAD;
  // Each PES ends in a packet it only partly fills: count it whole.
  const packets = Math.ceil(bytes / PACKET_PAYLOAD) + video.length + audioPes + FIXED_PACKETS;
  return packets * PACKET_BYTES + 16;
}

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
 * Muxes samples with `muxer` and encrypts the result when a key is given, into a buffer from
 * `allocate`. The TS bytes only live until AES (or a copy) moves them out, so they go into a
 * reused buffer.
 */
export function packageSegment(
  muxer: TsMuxer,
  samples: { readonly video: readonly MediaSample[]; readonly audio: readonly MediaSample[] },
  options: MuxSegmentOptions,
  key?: Uint8Array,
  iv?: Uint8Array,
  allocate: (size: number) => Uint8Array = (size) => Buffer.allocUnsafe(size),
): Uint8Array {
  const ts = muxer.muxSegment(samples, { ...options, output: muxArena });
  // Too small: the muxer allocated; grow for next time.
  if (ts.buffer !== muxArena.buffer) muxArena = new Uint8Array(Math.ceil(ts.length * HEADROOM));
  if (!key || !iv) {
    const out = allocate(ts.length);
    out.set(ts);
    return out;
  }
  return encryptSegment(ts, key, iv, allocate(encryptedLength(ts.length)));
}

/** Reads, muxes (counters from its sequence number) and, given a key, encrypts one VOD segment. */
export function runSegmentJob(job: SegmentJob): SegmentOutput {
  const samples = samplesFrom(job.reads, readRuns(job));
  let reused = false;
  const data = packageSegment(
    new TsMuxer(job.tracks),
    samples,
    { standaloneSequence: job.sequence },
    job.key,
    job.iv,
    (size) => {
      const spare = spares.take(size);
      reused = spare !== undefined;
      return new Uint8Array(spare ?? freshBuffer(size), 0, size);
    },
  );
  return { data, reused };
}
