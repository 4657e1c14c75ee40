// Cuts an indexed MP4 into HLS segments: at video sync samples once the target has passed, audio
// following the video's time ranges; audio-only files at multiples of the target. Deterministic.
import { HlsError } from '../core/errors.js';
import type { Mp4Index, Mp4Track } from '../mp4/mp4-index.js';
import { estimateTsBytes, peakBitrate, type SampleRange } from './segment-plan-bitrate.js';

/** One segment: its time range and the samples of each track it carries. */
export interface PlannedSegment {
  readonly index: number;
  /** Seconds on the movie timeline. */
  readonly start: number;
  /** Seconds, true duration. */
  readonly duration: number;
  readonly video?: { readonly first: number; readonly end: number };
  readonly audio?: { readonly first: number; readonly end: number };
  /** Media payload bytes. */
  readonly bytes: number;
}

/** The segments of one file at one target duration, and the numbers a playlist needs. */
export interface SegmentPlan {
  readonly segments: readonly PlannedSegment[];
  /** Max duration rounded up, seconds (EXT-X-TARGETDURATION). */
  readonly targetDuration: number;
  /** Seconds, the sum of the segment durations. */
  readonly duration: number;
  /** Bits/s including an estimate of TS overhead (BANDWIDTH). */
  readonly peakBitrate: number;
  /** Bits/s including an estimate of TS overhead (AVERAGE-BANDWIDTH). */
  readonly averageBitrate: number;
}

/** Durations a hair above a whole second (float noise) do not raise the target duration. */
const TARGET_ROUNDING_SLACK = 1e-6;
const MS_PER_SECOND = 1000;

/** One cut before byte counting: sample ranges and the time range in seconds. */
interface Cut {
  readonly start: number;
  readonly end: number;
  readonly video?: SampleRange;
  readonly audio?: SampleRange;
}

function pts(track: Mp4Track, i: number): number {
  return track.samples.dts[i]! + track.samples.cto[i]!;
}

/** Decode-order indices of the video samples that start segments. */
function videoCutPoints(video: Mp4Track, targetMs: number): number[] {
  const { count, sync } = video.samples;
  const targetTicks = (targetMs * video.timescale) / MS_PER_SECOND;
  const cuts = [0];
  let segmentStart = pts(video, 0);
  for (let i = 1; i < count; i++) {
    if (sync[i] !== 1) continue;
    const t = pts(video, i);
    if (t >= segmentStart + targetTicks) {
      cuts.push(i);
      segmentStart = t;
    }
  }
  return cuts;
}

/** End (exclusive) of the audio samples presented before `boundary` video ticks, from `from` on. */
function audioEndBefore(audio: Mp4Track, from: number, boundary: number, videoTimescale: number): number {
  let j = from;
  // Cross-multiplied so the comparison is exact for integer ticks of both timescales.
  while (j < audio.samples.count && pts(audio, j) * videoTimescale < boundary * audio.timescale) j++;
  return j;
}

function cutWithVideo(index: Mp4Index, video: Mp4Track, targetMs: number): Cut[] {
  const cuts = videoCutPoints(video, targetMs);
  const audio = index.audio;
  const result: Cut[] = [];
  let audioFirst = 0;
  for (let k = 0; k < cuts.length; k++) {
    const first = cuts[k]!;
    const isLast = k === cuts.length - 1;
    const end = isLast ? video.samples.count : cuts[k + 1]!;
    const boundary = isLast ? Number.POSITIVE_INFINITY : pts(video, end);
    let audioRange: SampleRange | undefined;
    let endSeconds = isLast ? video.duration : boundary / video.timescale;
    if (audio !== undefined) {
      const audioEnd = isLast
        ? audio.samples.count
        : audioEndBefore(audio, audioFirst, boundary, video.timescale);
      audioRange = { first: audioFirst, end: audioEnd };
      audioFirst = audioEnd;
      // The last segment lasts until the later of the two tracks ends.
      if (isLast && audioEnd > audioRange.first) endSeconds = Math.max(endSeconds, audio.duration);
    }
    result.push({
      start: pts(video, first) / video.timescale,
      end: endSeconds,
      video: { first, end },
      audio: audioRange,
    });
  }
  return result;
}

function cutAudioOnly(audio: Mp4Track, targetMs: number): Cut[] {
  const count = audio.samples.count;
  const targetTicks = (targetMs * audio.timescale) / MS_PER_SECOND;
  const result: Cut[] = [];
  let first = 0;
  // The first cut is at the first multiple after 0 even when priming frames start before 0.
  let multiple = Math.max(1, Math.floor(pts(audio, 0) / targetTicks) + 1);
  while (first < count) {
    let end = first + 1;
    while (end < count && pts(audio, end) < multiple * targetTicks) end++;
    const endSeconds = end < count ? pts(audio, end) / audio.timescale : audio.duration;
    result.push({ start: pts(audio, first) / audio.timescale, end: endSeconds, audio: { first, end } });
    if (end < count) multiple = Math.floor(pts(audio, end) / targetTicks) + 1;
    first = end;
  }
  return result;
}

function payloadBytes(index: Mp4Index, cut: Cut): number {
  let bytes = 0;
  const add = (track: Mp4Track | undefined, range: SampleRange | undefined) => {
    if (track === undefined || range === undefined) return;
    for (let i = range.first; i < range.end; i++) bytes += track.samples.size[i]!;
  };
  add(index.video, cut.video);
  add(index.audio, cut.audio);
  return bytes;
}

/**
 * Plans the segments of `index` for a target duration of `targetMs`. The same index and target give
 * the same plan on every origin, so segment URLs and bytes agree across servers.
 */
export function planSegments(index: Mp4Index, targetMs: number): SegmentPlan {
  if (!(Number.isFinite(targetMs) && targetMs > 0)) {
    throw new HlsError('CONFIG_INVALID', `segment target must be a positive number of ms, got ${targetMs}`);
  }
  const video = index.video !== undefined && index.video.samples.count > 0 ? index.video : undefined;
  const cuts =
    video !== undefined
      ? cutWithVideo(index, video, targetMs)
      : index.audio !== undefined && index.audio.samples.count > 0
        ? cutAudioOnly(index.audio, targetMs)
        : [];
  if (cuts.length === 0) throw new HlsError('MEDIA_INVALID', 'invalid MP4 file: no samples to package');
  const segments: PlannedSegment[] = cuts.map((cut, i) => ({
    index: i,
    start: cut.start,
    duration: Math.max(0, cut.end - cut.start),
    ...(cut.video ? { video: cut.video } : {}),
    ...(cut.audio ? { audio: cut.audio } : {}),
    bytes: payloadBytes(index, cut),
  }));
  const durations = segments.map((s) => s.duration);
  const tsBytes = cuts.map((cut) => estimateTsBytes(index, cut.video, cut.audio));
  const duration = durations.reduce((a, b) => a + b, 0);
  const targetDuration = Math.max(
    1,
    Math.ceil(durations.reduce((a, b) => Math.max(a, b), 0) - TARGET_ROUNDING_SLACK),
  );
  const totalBytes = tsBytes.reduce((a, b) => a + b, 0);
  const averageBitrate = duration > 0 ? Math.ceil((totalBytes * 8) / duration) : 0;
  return {
    segments,
    targetDuration,
    duration,
    peakBitrate: peakBitrate(durations, tsBytes, targetDuration, averageBitrate),
    averageBitrate,
  };
}
