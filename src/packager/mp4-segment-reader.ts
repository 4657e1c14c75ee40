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

/** Where one sample's bytes lie (`at` bytes into read `run`) and its 90 kHz timing. */
export interface SampleSlot {
  readonly dts: number;
  readonly pts: number;
  readonly keyframe: boolean;
  readonly run: number;
  readonly at: number;
  readonly size: number;
}

/** A segment's reads and the places of its samples in them: all but the bytes. Structured-cloneable. */
export interface SegmentReadPlan {
  readonly runs: readonly { readonly start: number; readonly length: number }[];
  readonly video: readonly SampleSlot[];
  readonly audio: readonly SampleSlot[];
}

function slotOf(track: Mp4Track, i: number, run: number, at: number): SampleSlot {
  const { dts, cto, sync, size } = track.samples;
  const pts = to90k(dts[i]! + cto[i]!, track.timescale) + TS_OFFSET_90K;
  // A negative composition offset (ctts version 1) must not put DTS after PTS in the PES header.
  const decode = Math.min(pts, to90k(dts[i]!, track.timescale) + TS_OFFSET_90K);
  return { dts: decode, pts, keyframe: sync[i] === 1, run, at, size: size[i]! };
}

/**
 * Plans the reads of `segment` in a file of `fileSize` bytes: nearby samples share a read. A sample
 * that lies past the end of the file is MEDIA_INVALID.
 */
export function planSegmentRead(fileSize: number, index: Mp4Index, segment: PlannedSegment): SegmentReadPlan {
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
  const runs = planReads(wanted);
  const place: { run: number; at: number }[] = new Array(wanted.length);
  runs.forEach((run, r) => {
    for (const i of run.spans) place[i] = { run: r, at: wanted[i]!.offset - run.start };
  });
  const video: SampleSlot[] = [];
  const audio: SampleSlot[] = [];
  wanted.forEach((w, i) => {
    const { run, at } = place[i]!;
    if (w.track === 'video') video.push(slotOf(index.video!, w.sample, run, at));
    else audio.push(slotOf(index.audio!, w.sample, run, at));
  });
  return { runs: runs.map((r) => ({ start: r.start, length: r.end - r.start })), video, audio };
}

/** The samples of a planned read, as views into the bytes of its runs. */
export function samplesFrom(plan: SegmentReadPlan, runBytes: readonly Uint8Array[]): SegmentSamples {
  const sample = (s: SampleSlot): MediaSample => ({
    dts: s.dts,
    pts: s.pts,
    keyframe: s.keyframe,
    data: runBytes[s.run]!.subarray(s.at, s.at + s.size),
  });
  return { video: plan.video.map(sample), audio: plan.audio.map(sample) };
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
  const plan = planSegmentRead(fileSize, index, segment);
  const bytes: Uint8Array[] = [];
  for (const run of plan.runs) {
    const got = run.length === 0 ? new Uint8Array(0) : await read(run.start, run.length);
    if (got.length < run.length) {
      throw new HlsError('MEDIA_INVALID', 'invalid MP4 file: the file ended while reading samples');
    }
    bytes.push(got);
  }
  return samplesFrom(plan, bytes);
}
