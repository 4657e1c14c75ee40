// Reads the samples of one planned segment with few large reads (nearby samples coalesced) and turns
// them into 90 kHz MediaSamples for the TS muxer. The read is injected; this file does no I/O itself.
import { HlsError } from '../core/errors.js';
import type { MediaSample } from '../core/media.js';
import { to90k } from '../core/time.js';
import type { ReadAt } from '../mp4/box-scan.js';
import type { Mp4Index, Mp4Track } from '../mp4/mp4-index.js';
import type { PlannedSegment } from './segment-plan.js';

/**
 * Added to every timestamp (90 kHz ticks, 10 s): keeps edit-list times that start below zero
 * positive, and is the same for every segment so consecutive segments join without a discontinuity.
 */
export const TS_OFFSET_90K = 900_000;
/** Samples closer than this in the file are fetched in one read; the gap bytes are read and dropped. */
export const MAX_READ_GAP = 64 * 1024;
/** A single read never grows past this unless one sample alone is larger. */
export const MAX_READ_BYTES = 32 * 1024 * 1024;

/** The samples of one segment, in decode order per track. */
export interface SegmentSamples {
  readonly video: MediaSample[];
  readonly audio: MediaSample[];
}

/** One contiguous byte range of the file and the samples inside it. */
export interface ReadRun {
  readonly start: number;
  readonly end: number;
  /** Indices into the span list given to planReads. */
  readonly spans: number[];
}

/** A byte range of one sample. */
export interface Span {
  readonly offset: number;
  readonly size: number;
}

/** Groups spans into runs: sorted by offset, merged while the gap is at most `maxGap`. Pure. */
export function planReads(
  spans: readonly Span[],
  maxGap = MAX_READ_GAP,
  maxBytes = MAX_READ_BYTES,
): ReadRun[] {
  const order = spans.map((_, i) => i).sort((a, b) => spans[a]!.offset - spans[b]!.offset || a - b);
  const runs: { start: number; end: number; spans: number[] }[] = [];
  let run: { start: number; end: number; spans: number[] } | undefined;
  for (const i of order) {
    const { offset, size } = spans[i]!;
    const end = offset + size;
    if (run !== undefined && offset - run.end <= maxGap && Math.max(run.end, end) - run.start <= maxBytes) {
      run.end = Math.max(run.end, end);
      run.spans.push(i);
    } else {
      run = { start: offset, end, spans: [i] };
      runs.push(run);
    }
  }
  return runs;
}

interface Wanted extends Span {
  readonly track: 'video' | 'audio';
  readonly sample: number;
}

function collect(
  track: Mp4Track | undefined,
  kind: 'video' | 'audio',
  range: PlannedSegment['video'],
): Wanted[] {
  if (track === undefined || range === undefined) return [];
  if (range.first < 0 || range.end > track.samples.count) {
    throw new HlsError(
      'INTERNAL',
      `segment ${kind} samples ${range.first}..${range.end} are not in this file`,
    );
  }
  const out: Wanted[] = [];
  for (let i = range.first; i < range.end; i++) {
    out.push({ track: kind, sample: i, offset: track.samples.offset[i]!, size: track.samples.size[i]! });
  }
  return out;
}

function toMediaSample(track: Mp4Track, i: number, data: Uint8Array): MediaSample {
  const { dts, cto, sync } = track.samples;
  const pts = to90k(dts[i]! + cto[i]!, track.timescale) + TS_OFFSET_90K;
  // A negative composition offset (ctts version 1) must not put DTS after PTS in the PES header.
  const decode = Math.min(pts, to90k(dts[i]!, track.timescale) + TS_OFFSET_90K);
  return { dts: decode, pts, data, keyframe: sync[i] === 1 };
}

/**
 * Reads the samples of `segment` from a file of `fileSize` bytes. A sample that lies past the end
 * of the file, or a short read, is MEDIA_INVALID; nothing is read beyond `fileSize`.
 */
export async function readSegmentSamples(
  read: ReadAt,
  fileSize: number,
  index: Mp4Index,
  segment: PlannedSegment,
): Promise<SegmentSamples> {
  const wanted = [
    ...collect(index.video, 'video', segment.video),
    ...collect(index.audio, 'audio', segment.audio),
  ];
  for (const w of wanted) {
    if (w.offset < 0 || w.offset + w.size > fileSize) {
      throw new HlsError(
        'MEDIA_INVALID',
        `invalid MP4 file: ${w.track} sample ${w.sample + 1} lies past the end of the file (truncated?)`,
      );
    }
  }
  const data: Uint8Array[] = new Array(wanted.length);
  for (const run of planReads(wanted)) {
    const length = run.end - run.start;
    const bytes = length === 0 ? new Uint8Array(0) : await read(run.start, length);
    if (bytes.length < length) {
      throw new HlsError('MEDIA_INVALID', 'invalid MP4 file: the file ended while reading samples');
    }
    for (const i of run.spans) {
      const start = wanted[i]!.offset - run.start;
      data[i] = bytes.subarray(start, start + wanted[i]!.size);
    }
  }
  const video: MediaSample[] = [];
  const audio: MediaSample[] = [];
  wanted.forEach((w, i) => {
    if (w.track === 'video') video.push(toMediaSample(index.video!, w.sample, data[i]!));
    else audio.push(toMediaSample(index.audio!, w.sample, data[i]!));
  });
  return { video, audio };
}
