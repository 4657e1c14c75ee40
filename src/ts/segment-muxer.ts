// Muxes one HLS segment of H.264 and AAC samples into MPEG-TS: PAT and PMT first, PES packets
// interleaved by DTS, PCR on the PCR PID, all written into one buffer sized exactly beforehand.

import {
  ADTS_HEADER_SIZE,
  type AdtsParams,
  adtsParams,
  parseAudioSpecificConfig,
  writeAdtsHeader,
} from '../codecs/aac.js';
import { type AccessUnitScan, annexBSize, scanAccessUnit, writeAnnexB } from '../codecs/h264.js';
import { HlsError } from '../core/errors.js';
import type { AacTrackInfo, H264TrackInfo, MediaSample } from '../core/media.js';
import { TS_CLOCK_HZ, wrap33 } from '../core/time.js';
import { ContinuityCounter } from './continuity-counter.js';
import {
  pesPacketCount,
  TS_PACKET_SIZE,
  writePcrPacket,
  writePesPackets,
  writeSectionPacket,
} from './packetizer.js';
import {
  maxBoundedPesPayload,
  pesHeaderSize,
  STREAM_ID_AUDIO,
  STREAM_ID_VIDEO,
  writePesHeader,
} from './pes.js';
import {
  AUDIO_PID,
  buildPatSection,
  buildPmtSection,
  PAT_PID,
  PMT_PID,
  type PmtStream,
  StreamType,
  VIDEO_PID,
} from './psi.js';

/** A segment's samples together with their track setup. */
export interface SegmentInput {
  video?: { info: H264TrackInfo; samples: readonly MediaSample[] };
  audio?: { info: AacTrackInfo; samples: readonly MediaSample[] };
}

/**
 * PCR runs this far behind the DTS of the PES it rides with: ffmpeg's default max_delay (0.7 s),
 * which leaves decoders the same buffering time as ffmpeg's own output.
 */
export const PCR_LEAD_90K = 63_000;
/** PCRs must come at most 100 ms apart (ISO 13818-1 §2.7.2). */
const PCR_MAX_INTERVAL_90K = TS_CLOCK_HZ / 10;
/** A PES off the PCR PID gets a PCR-only packet before it once this much time passed since the last PCR. */
const PCR_REFRESH_90K = TS_CLOCK_HZ / 25;
/** Audio frames per PES at most, as ffmpeg groups them. */
const AUDIO_FRAMES_PER_PES = 5;
/** AAC frames decode to 1024 samples each (960-sample framing is not used by MP4 or FLV AAC). */
const AAC_FRAME_SAMPLES = 1024;
/** PAT and PMT open every segment. */
const PSI_PACKETS = 2;
/** Room the scratch PES buffer starts with; it grows to the largest PES seen. */
const INITIAL_SCRATCH_SIZE = 256 * 1024;
/**
 * Where each PES is built before it is cut into packets. One per thread, shared by every muxer:
 * muxing is synchronous, and a muxer per VOD segment would otherwise zero a fresh one each time.
 */
let scratch = new Uint8Array(0);

/** One PES to write, planned before anything is written so the output size is known. */
interface PesPlan {
  readonly isVideo: boolean;
  /** Index of the first sample in its track's array, and how many samples the PES holds. */
  readonly first: number;
  readonly count: number;
  /** PES header plus payload. */
  readonly pesLength: number;
  /** The access unit's NAL scan (video only), kept so the write pass need not scan again. */
  readonly scan: AccessUnitScan | undefined;
  readonly randomAccess: boolean;
  /** PCR base carried in the PES's first packet (PCR PID only). */
  readonly pcr: number | undefined;
  /** PCR base of a PCR-only packet written just before this PES. */
  readonly pcrBefore: number | undefined;
  /** discontinuity_indicator on the PCR-only packet before the PES / on the PES's first packet. */
  readonly pcrBeforeDiscontinuity: boolean;
  readonly discontinuity: boolean;
}

/** How one segment relates to the segments before it. */
export interface MuxSegmentOptions {
  /**
   * The segment's media sequence number when segments are muxed one by one, in any order (VOD).
   * PAT and PMT counters then start at `standaloneSequence % 16`, so they run on from segment to
   * segment; the first packet of each elementary PID carries discontinuity_indicator (§2.4.3.5)
   * instead, since its counter cannot be known without muxing every earlier segment.
   */
  readonly standaloneSequence?: number;
  /**
   * A buffer to write the segment into when it is large enough; the result is then a view of it,
   * valid until the buffer is reused. Saves a fresh allocation when the caller consumes the
   * bytes at once (e.g. encrypts them into a buffer of its own).
   */
  readonly output?: Uint8Array;
}

/** Where PCRs go: derived from DTS, monotonic within a segment. */
class PcrSchedule {
  private last: number | undefined;

  /** The PCR fields of a PES with this DTS, on the PCR PID or not. */
  place(dts: number, onPcrPid: boolean): { pcr: number | undefined; pcrBefore: number | undefined } {
    const pcr = Math.max(dts - PCR_LEAD_90K, this.last ?? 0, 0);
    if (onPcrPid) {
      this.last = pcr;
      return { pcr: wrap33(Math.floor(pcr)), pcrBefore: undefined };
    }
    // Off the PCR PID, a PCR-only packet keeps PCRs coming when the PCR PID is quiet (or not started).
    if (this.last === undefined || pcr - this.last >= PCR_REFRESH_90K) {
      this.last = pcr;
      return { pcr: undefined, pcrBefore: wrap33(Math.floor(pcr)) };
    }
    return { pcr: undefined, pcrBefore: undefined };
  }
}

/** Muxes segments for one pair of tracks; continuity counters carry over from call to call. */
export class TsMuxer {
  private readonly video: H264TrackInfo | undefined;
  private readonly adts: AdtsParams | undefined;
  private readonly audioFrameTicks: number;
  private readonly pcrPid: number;
  private readonly pat: Uint8Array;
  private readonly pmt: Uint8Array;
  private readonly patCounter = new ContinuityCounter();
  private readonly pmtCounter = new ContinuityCounter();
  private readonly videoCounter = new ContinuityCounter();
  private readonly audioCounter = new ContinuityCounter();

  constructor(tracks: { video?: H264TrackInfo; audio?: AacTrackInfo }) {
    if (!tracks.video && !tracks.audio) {
      throw new HlsError('UNSUPPORTED_MEDIA', 'no H.264 or AAC track to mux');
    }
    this.video = tracks.video;
    const streams: PmtStream[] = [];
    if (tracks.video) streams.push({ streamType: StreamType.H264, pid: VIDEO_PID });
    let frameTicks = 0;
    if (tracks.audio) {
      const config = parseAudioSpecificConfig(tracks.audio.audioSpecificConfig);
      this.adts = adtsParams(config);
      frameTicks = (AAC_FRAME_SAMPLES * TS_CLOCK_HZ) / config.sampleRate;
      streams.push({ streamType: StreamType.AAC_ADTS, pid: AUDIO_PID });
    }
    this.audioFrameTicks = frameTicks;
    this.pcrPid = tracks.video ? VIDEO_PID : AUDIO_PID;
    this.pat = buildPatSection();
    this.pmt = buildPmtSection(this.pcrPid, streams);
  }

  /**
   * Muxes one segment into one freshly allocated buffer (or `options.output`); continuity counters carry over between calls
   * on the same muxer unless `options.standaloneSequence` is given.
   */
  muxSegment(
    input: { video?: readonly MediaSample[]; audio?: readonly MediaSample[] },
    options: MuxSegmentOptions = {},
  ): Uint8Array {
    const video = input.video ?? [];
    const audio = input.audio ?? [];
    if (video.length > 0 && !this.video) {
      throw new HlsError('INTERNAL', 'video samples for a muxer without video');
    }
    if (audio.length > 0 && !this.adts) {
      throw new HlsError('INTERNAL', 'audio samples for a muxer without audio');
    }
    const standalone = options.standaloneSequence;
    const plans = this.plan(video, audio, standalone !== undefined);
    let packets = PSI_PACKETS;
    let largestPes = 0;
    for (const p of plans) {
      largestPes = Math.max(largestPes, p.pesLength);
      packets += pesPacketCount(p.pesLength, p.pcr !== undefined, p.randomAccess, p.discontinuity);
      if (p.pcrBefore !== undefined) packets++;
    }
    if (scratch.length < largestPes) scratch = new Uint8Array(Math.max(largestPes, INITIAL_SCRATCH_SIZE));

    const size = packets * TS_PACKET_SIZE;
    const out =
      options.output && options.output.length >= size
        ? options.output.subarray(0, size)
        : new Uint8Array(size);
    const patCounter = standalone === undefined ? this.patCounter : new ContinuityCounter(standalone);
    const pmtCounter = standalone === undefined ? this.pmtCounter : new ContinuityCounter(standalone);
    let w = writeSectionPacket(out, 0, PAT_PID, patCounter, this.pat);
    w = writeSectionPacket(out, w, PMT_PID, pmtCounter, this.pmt);
    for (const p of plans) {
      if (p.pcrBefore !== undefined) {
        const counter = this.counterOf(this.pcrPid);
        w = writePcrPacket(out, w, this.pcrPid, counter, p.pcrBefore, p.pcrBeforeDiscontinuity);
      }
      const pes = p.isVideo ? this.buildVideoPes(video, p) : this.buildAudioPes(audio, p);
      const pid = p.isVideo ? VIDEO_PID : AUDIO_PID;
      w = writePesPackets(out, w, pes, {
        pid,
        counter: this.counterOf(pid),
        pcr: p.pcr,
        randomAccess: p.randomAccess,
        discontinuity: p.discontinuity,
      });
    }
    if (w !== out.length) {
      throw new HlsError('INTERNAL', `TS segment size ${w} differs from the planned ${out.length}`);
    }
    return out;
  }

  /**
   * Orders PES packets by DTS, groups audio frames and decides where PCRs go; when `standalone`,
   * marks the first packet of each elementary PID with discontinuity_indicator.
   */
  private plan(video: readonly MediaSample[], audio: readonly MediaSample[], standalone: boolean): PesPlan[] {
    const plans: PesPlan[] = [];
    const pcrs = new PcrSchedule();
    const unmarked = new Set(standalone ? [VIDEO_PID, AUDIO_PID] : []);
    const marks = (pid: number, pcr: { pcrBefore: number | undefined }) => {
      const pcrBeforeDiscontinuity = pcr.pcrBefore !== undefined && unmarked.delete(this.pcrPid);
      return { pcrBeforeDiscontinuity, discontinuity: unmarked.delete(pid) };
    };
    const videoOnPcrPid = this.pcrPid === VIDEO_PID;
    let vi = 0;
    let ai = 0;
    while (vi < video.length || ai < audio.length) {
      const v = video[vi];
      const a = audio[ai];
      if (v !== undefined && (a === undefined || v.dts <= a.dts)) {
        const scan = scanAccessUnit(v.data, this.video!.nalLengthSize);
        const pesLength = pesHeaderSize(v.pts, v.dts) + annexBSize(scan, this.video!, v.keyframe);
        const pcr = pcrs.place(v.dts, videoOnPcrPid);
        plans.push({
          isVideo: true,
          first: vi,
          count: 1,
          pesLength,
          scan,
          randomAccess: v.keyframe,
          ...pcr,
          ...marks(VIDEO_PID, pcr),
        });
        vi++;
      } else if (a !== undefined) {
        const { count, payloadLength } = this.groupAudio(audio, ai, v?.dts ?? Number.POSITIVE_INFINITY);
        const pesLength = pesHeaderSize(a.pts, a.dts) + payloadLength;
        const pcr = pcrs.place(a.dts, !videoOnPcrPid);
        // Every AAC frame can start decoding, so every audio PES starts at a random access point.
        plans.push({
          isVideo: false,
          first: ai,
          count,
          pesLength,
          scan: undefined,
          randomAccess: true,
          ...pcr,
          ...marks(AUDIO_PID, pcr),
        });
        ai += count;
      }
    }
    return plans;
  }

  /**
   * Takes audio frames from `first` while they come before the next video DTS, stay within the
   * PCR interval (the audio PES may carry the PCR) and fit in a PES packet length.
   */
  private groupAudio(
    audio: readonly MediaSample[],
    first: number,
    nextVideoDts: number,
  ): { count: number; payloadLength: number } {
    const start = audio[first]!;
    let count = 1;
    let payloadLength = ADTS_HEADER_SIZE + start.data.length;
    const maxPayload = maxBoundedPesPayload(start.pts, start.dts);
    for (let i = first + 1; i < audio.length && count < AUDIO_FRAMES_PER_PES; i++) {
      const frame = audio[i]!;
      if (frame.dts >= nextVideoDts) break;
      if (frame.dts - start.dts + this.audioFrameTicks > PCR_MAX_INTERVAL_90K) break;
      if (payloadLength + ADTS_HEADER_SIZE + frame.data.length > maxPayload) break;
      payloadLength += ADTS_HEADER_SIZE + frame.data.length;
      count++;
    }
    return { count, payloadLength };
  }

  private counterOf(pid: number): ContinuityCounter {
    return pid === VIDEO_PID ? this.videoCounter : this.audioCounter;
  }

  /** Builds a video PES (PES_packet_length 0, §2.4.3.7) in the scratch buffer. */
  private buildVideoPes(video: readonly MediaSample[], p: PesPlan): Uint8Array {
    const s = video[p.first]!;
    const header = writePesHeader(scratch, 0, STREAM_ID_VIDEO, s.pts, s.dts, undefined);
    const written = writeAnnexB(s.data, p.scan!, this.video!, s.keyframe, scratch, header);
    return scratch.subarray(0, header + written);
  }

  /** Builds an audio PES of ADTS frames with its true length in the scratch buffer. */
  private buildAudioPes(audio: readonly MediaSample[], p: PesPlan): Uint8Array {
    const s = audio[p.first]!;
    const payloadLength = p.pesLength - pesHeaderSize(s.pts, s.dts);
    let w = writePesHeader(scratch, 0, STREAM_ID_AUDIO, s.pts, s.dts, payloadLength);
    for (let i = p.first; i < p.first + p.count; i++) {
      const frame = audio[i]!.data;
      writeAdtsHeader(scratch, w, this.adts!, frame.length);
      scratch.set(frame, w + ADTS_HEADER_SIZE);
      w += ADTS_HEADER_SIZE + frame.length;
    }
    return scratch.subarray(0, w);
  }
}

/** Muxes a single segment with a fresh muxer (continuity counters start at 0). */
export function muxTsSegment(input: SegmentInput): Uint8Array {
  const muxer = new TsMuxer({ video: input.video?.info, audio: input.audio?.info });
  return muxer.muxSegment({ video: input.video?.samples, audio: input.audio?.samples });
}
