// One live stream: its publish sessions, the window of encrypted segments, and the discontinuity
// bookkeeping of republishes. Segments are muxed and encrypted once, when they are cut.

import type { LiveAppConfig } from '../config/schema.js';
import type { AacTrackInfo, H264TrackInfo, MediaSample } from '../core/media.js';
import type { SegmentKeyRef } from '../core/stream.js';
import type { KeyRequest, KeyStore, ResolvedKey } from '../keys/key-store.js';
import { packageSegment } from '../packager/segment-job.js';
import { segmentKey } from '../packager/segment-keys.js';
import { TsMuxer } from '../ts/segment-muxer.js';
import { type CutSegment, LiveSegmenter } from './segmenter.js';

/** One encrypted segment of the live window. */
export interface LiveSegment {
  readonly sequence: number;
  readonly duration: number;
  readonly data: Uint8Array;
  readonly key: SegmentKeyRef;
  /** The AES key that encrypted it (kept so its key URI answers while it is in the window). */
  readonly aesKey?: Buffer;
  readonly discontinuity: boolean;
  readonly programDateTime: Date;
  /** Media payload bytes of the samples in the segment (before muxing and encryption). */
  readonly mediaBytes: number;
}

/** Where a stream is in its life. */
export type LiveState = 'publishing' | 'waiting' | 'ended';

/** What a live stream needs from outside. */
export interface LiveStreamDeps {
  readonly keys: KeyStore;
  readonly keyRequest: KeyRequest;
  readonly logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Called with the time spent muxing and encrypting each segment (for metrics). */
  readonly onPackaged?: (ms: number, bytes: number) => void;
}

/** Added to RTMP timestamps so the PCR, which runs ahead of the DTS, never goes below zero. */
const LIVE_TS_OFFSET_90K = 900_000;

/** A live stream and its segment window. */
export class LiveStream {
  state: LiveState = 'publishing';
  video?: H264TrackInfo;
  audio?: AacTrackInfo;
  publisher?: string;
  readonly startedAt: Date;
  private segments: LiveSegment[] = [];
  private nextSequence: number;
  private droppedDiscontinuities = 0;
  private segmenter?: LiveSegmenter;
  private muxer?: TsMuxer;
  private discontinuityPending = false;
  /** A cut segment was dropped (no usable key, mux failure): the next kept one follows missing media. */
  private afterGap = false;
  /** Segments are encrypted in the order they were cut, one after another. */
  private queue: Promise<void> = Promise.resolve();
  private bytesIn = 0;

  constructor(
    readonly app: string,
    readonly instance: string,
    readonly name: string,
    readonly config: LiveAppConfig,
    private readonly deps: LiveStreamDeps,
  ) {
    this.startedAt = new Date(deps.now());
    // Media sequence numbers start from the wall clock in ms, so a restarted server never repeats
    // one and a key and IV pair is never reused (SPEC §5).
    this.nextSequence = deps.now();
  }

  /** A publisher (re)starts: a republish continues the sequence after a discontinuity. */
  startPublish(publisher: string): void {
    if (this.segments.length > 0 || this.state !== 'publishing') this.discontinuityPending = true;
    this.state = 'publishing';
    this.publisher = publisher;
    this.segmenter = undefined;
    this.muxer = undefined;
    this.video = undefined;
    this.audio = undefined;
  }

  /** Takes one sample from the publisher. */
  addSample(kind: 'video' | 'audio', sample: MediaSample): void {
    this.bytesIn += sample.data.byteLength;
    if (!this.segmenter) {
      if (kind === 'video' && !this.video) return;
      if (kind === 'audio' && !this.audio) return;
      this.segmenter = new LiveSegmenter(this.config.hls.chunkDurationTarget, this.video !== undefined);
    }
    const shifted: MediaSample = {
      dts: sample.dts + LIVE_TS_OFFSET_90K,
      pts: sample.pts + LIVE_TS_OFFSET_90K,
      data: sample.data,
      keyframe: sample.keyframe,
    };
    const cut = this.segmenter.push(kind, shifted);
    if (cut) this.enqueue(cut);
  }

  /** The publisher left: the last partial segment is cut and the stream waits for a republish. */
  stopPublish(): Promise<void> {
    const last = this.segmenter?.flush();
    if (last) this.enqueue(last);
    this.segmenter = undefined;
    this.state = 'waiting';
    this.publisher = undefined;
    return this.queue;
  }

  /** No republish came in time: the playlist ends. */
  end(): void {
    this.state = 'ended';
  }

  /** Segments in the window, oldest first. */
  window(): readonly LiveSegment[] {
    return this.segments;
  }

  /** EXT-X-DISCONTINUITY-SEQUENCE of a playlist starting at `firstListed`. */
  discontinuitySequence(firstListed: number): number {
    let n = this.droppedDiscontinuities;
    for (const s of this.segments) {
      if (s.sequence >= firstListed) break;
      if (s.discontinuity) n++;
    }
    return n;
  }

  /** Bytes received from publishers so far (media payload). */
  get ingestBytes(): number {
    return this.bytesIn;
  }

  /** Media bits per second received, over the segments in the window; 0 before the first. */
  get ingestBitrate(): number {
    let bytes = 0;
    let seconds = 0;
    for (const s of this.segments) {
      bytes += s.mediaBytes;
      seconds += s.duration;
    }
    return seconds > 0 ? Math.round((bytes * 8) / seconds) : 0;
  }

  /** Resolves once every cut segment has been encrypted and added (tests and shutdown). */
  settled(): Promise<void> {
    return this.queue;
  }

  private enqueue(cut: CutSegment): void {
    const discontinuity = this.discontinuityPending;
    this.discontinuityPending = false;
    const programDateTime = new Date(this.deps.now() - cut.duration * 1000);
    // Segments are muxed in the order they were cut (continuity counters run on), once their key is known.
    this.queue = this.queue.then(() => this.packageAndAdd(cut, discontinuity, programDateTime));
  }

  /** Remembers that media is missing before the next kept segment. */
  private markGap(discontinuity: boolean): void {
    if (discontinuity || this.segments.length > 0) this.afterGap = true;
  }

  private async packageAndAdd(cut: CutSegment, discontinuity: boolean, programDateTime: Date): Promise<void> {
    // A number is used up only by a kept segment: a playlist numbers its segments EXT-X-MEDIA-SEQUENCE + i,
    // with no holes (RFC 8216 §6.2.1), and players derive the IV from that number when none is written.
    const sequence = this.nextSequence;
    const marked = discontinuity || this.afterGap;
    const { duration } = cut;
    let resolved: ResolvedKey;
    try {
      resolved = await this.deps.keys.resolve(this.deps.keyRequest);
    } catch (err) {
      // Fail closed: without a usable key the segment is never published.
      this.deps.logger.error(
        { stream: this.name, err: (err as Error).message },
        'no usable key; live segment dropped',
      );
      this.markGap(discontinuity);
      return;
    }
    const stream = { app: this.app, instance: this.instance, name: this.name };
    const k =
      resolved.kind === 'key'
        ? segmentKey(resolved.file, resolved.version, stream, this.config.encryption.keyRotation, sequence)
        : undefined;
    let data: Uint8Array;
    try {
      const started = performance.now();
      this.muxer ??= new TsMuxer({ video: this.video, audio: this.audio });
      data = packageSegment(this.muxer, { video: cut.video, audio: cut.audio }, {}, k?.key, k?.iv);
      this.deps.onPackaged?.(performance.now() - started, data.byteLength);
    } catch (err) {
      this.deps.logger.error({ stream: this.name, err }, 'live segment could not be muxed; dropped');
      this.markGap(discontinuity);
      return;
    }
    let mediaBytes = 0;
    for (const sample of cut.video) mediaBytes += sample.data.byteLength;
    for (const sample of cut.audio) mediaBytes += sample.data.byteLength;
    const common = { sequence, duration, data, discontinuity: marked, programDateTime, mediaBytes };
    const segment: LiveSegment = k
      ? { ...common, key: k.ref, aesKey: k.key }
      : { ...common, key: { kind: 'none' } };
    this.nextSequence++;
    this.afterGap = false;
    this.segments.push(segment);
    while (this.segments.length > this.config.hls.maxChunkCount) {
      const gone = this.segments.shift();
      if (gone?.discontinuity) this.droppedDiscontinuities++;
    }
  }
}
