// Cuts a live sample stream into segments: at the first video keyframe at or after the target
// duration (SPEC §7), or for audio-only streams at the first frame at or after it. No I/O, no timers.

import type { MediaSample } from '../core/media.js';
import { TS_CLOCK_HZ } from '../core/time.js';

/** The samples of one finished segment. */
export interface CutSegment {
  readonly video: MediaSample[];
  readonly audio: MediaSample[];
  /** DTS of the segment's first sample (90 kHz). */
  readonly startDts: number;
  /** Seconds. */
  readonly duration: number;
}

/** Accumulates samples and hands back a segment whenever one is complete. */
export class LiveSegmenter {
  private video: MediaSample[] = [];
  private audio: MediaSample[] = [];
  private startDts: number | undefined;
  private lastDts = 0;
  private started = false;
  private readonly targetTicks: number;

  /**
   * @param targetMs the segment duration target
   * @param hasVideo whether the stream carries video (then segments start on keyframes)
   */
  constructor(
    targetMs: number,
    private readonly hasVideo: boolean,
  ) {
    this.targetTicks = (targetMs * TS_CLOCK_HZ) / 1000;
  }

  /** Adds a sample; returns the segment it completes, if any. */
  push(kind: 'video' | 'audio', sample: MediaSample): CutSegment | undefined {
    if (!this.started) {
      // Segments must start decodable: wait for a keyframe (or any audio frame without video).
      const opens = this.hasVideo ? kind === 'video' && sample.keyframe : kind === 'audio';
      if (!opens) return undefined;
      this.started = true;
      this.startDts = sample.dts;
    }
    let cut: CutSegment | undefined;
    const cutsHere = this.hasVideo ? kind === 'video' && sample.keyframe : kind === 'audio';
    if (cutsHere && this.startDts !== undefined && sample.dts - this.startDts >= this.targetTicks) {
      cut = this.cut(sample.dts);
    }
    (kind === 'video' ? this.video : this.audio).push(sample);
    if (sample.dts > this.lastDts) this.lastDts = sample.dts;
    return cut;
  }

  /** Ends the stream: returns the last, partial segment if it holds anything. */
  flush(): CutSegment | undefined {
    if (this.startDts === undefined || (this.video.length === 0 && this.audio.length === 0)) return undefined;
    const frames = this.hasVideo ? this.video : this.audio;
    const span =
      frames.length > 1 ? (frames[frames.length - 1]!.dts - frames[0]!.dts) / (frames.length - 1) : 0;
    return this.cut(this.lastDts + span);
  }

  private cut(endDts: number): CutSegment {
    const start = this.startDts ?? endDts;
    // Audio that belongs after the cut point (it can arrive before the keyframe) moves on.
    const audioHere = this.audio.filter((s) => s.dts < endDts);
    const audioNext = this.audio.filter((s) => s.dts >= endDts);
    const segment: CutSegment = {
      video: this.video,
      audio: audioHere,
      startDts: start,
      duration: Math.max(0, endDts - start) / TS_CLOCK_HZ,
    };
    this.video = [];
    this.audio = audioNext;
    this.startDts = endDts;
    return segment;
  }
}
