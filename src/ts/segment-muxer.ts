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
/** Room the scratch PES buffer starts with; it grows to the largest PES seen. */
const INITIAL_SCRATCH_SIZE = 256 * 1024;

/** One PES to write, planned before anything is written so the output size is known. */
interface PesPlan {
  readonly isVideo: boolean;
  readonly first: number;
  readonly count: number;
  readonly payloadLength: number;
  readonly scan: AccessUnitScan | undefined;
  readonly randomAccess: boolean;
  /** PCR carried in the PES's first packet (PCR PID only). */
  readonly pcr: number | undefined;
  /** PCR of a PCR-only packet written just before this PES. */
  readonly pcrBefore: number | undefined;
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
  private scratch = new Uint8Array(INITIAL_SCRATCH_SIZE);

  constructor(tracks: { video?: H264TrackInfo; audio?: AacTrackInfo }) {
    if (!tracks.video && !tracks.audio)
      throw new HlsError('UNSUPPORTED_MEDIA', 'no H.264 or AAC track to mux');
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

  /** Muxes one segment into one freshly allocated buffer; continuity counters carry over between calls on the same muxer. */
  muxSegment(input: { video?: readonly MediaSample[]; audio?: readonly MediaSample[] }): Uint8Array {
    const video = input.video ?? [];
    const audio = input.audio ?? [];
    if (video.length > 0 && !this.video)
      throw new HlsError('INTERNAL', 'video samples for a muxer without video');
    if (audio.length > 0 && !this.adts)
      throw new HlsError('INTERNAL', 'audio samples for a muxer without audio');
    const plans = this.plan(video, audio);
    let packets = 2; // PAT and PMT
    let largestPes = 0;
    for (const p of plans) {
      const samples = p.isVideo ? video : audio;
      const pesLength = this.headerSize(samples, p) + p.payloadLength;
      largestPes = Math.max(largestPes, pesLength);
      packets +=
        pesPacketCount(pesLength, p.pcr !== undefined, p.randomAccess) + (p.pcrBefore === undefined ? 0 : 1);
    }
    if (this.scratch.length < largestPes) this.scratch = new Uint8Array(largestPes);
    const out = new Uint8Array(packets * TS_PACKET_SIZE);
    let w = writeSectionPacket(out, 0, PAT_PID, this.patCounter, this.pat);
    w = writeSectionPacket(out, w, PMT_PID, this.pmtCounter, this.pmt);
    for (const p of plans) {
      if (p.pcrBefore !== undefined)
        w = writePcrPacket(out, w, this.pcrPid, this.counterOf(this.pcrPid), p.pcrBefore);
      const pes = p.isVideo ? this.buildVideoPes(video, p) : this.buildAudioPes(audio, p);
      const pid = p.isVideo ? VIDEO_PID : AUDIO_PID;
      w = writePesPackets(out, w, pes, {
        pid,
        counter: this.counterOf(pid),
        pcr: p.pcr,
        randomAccess: p.randomAccess,
      });
    }
    if (w !== out.length)
      throw new HlsError('INTERNAL', `TS segment size ${w} differs from the planned ${out.length}`);
    return out;
  }

  /** Orders PES packets by DTS, groups audio frames and decides where PCRs go. */
  private plan(video: readonly MediaSample[], audio: readonly MediaSample[]): PesPlan[] {
    const plans: PesPlan[] = [];
    let lastPcr: number | undefined;
    let vi = 0;
    let ai = 0;
    while (vi < video.length || ai < audio.length) {
      const v = video[vi];
      const a = audio[ai];
      const isVideo = v !== undefined && (a === undefined || v.dts <= a.dts);
      const dts = isVideo ? v.dts : a!.dts;
      const pcr = Math.max(dts - PCR_LEAD_90K, lastPcr ?? 0, 0);
      const onPcrPid = isVideo === (this.pcrPid === VIDEO_PID);
      const pcrBefore =
        !onPcrPid && (lastPcr === undefined || pcr - lastPcr >= PCR_REFRESH_90K) ? pcr : undefined;
      if (onPcrPid || pcrBefore !== undefined) lastPcr = pcr;
      const pcrFields = {
        pcr: onPcrPid ? wrap33(Math.floor(pcr)) : undefined,
        pcrBefore: wrapOptional(pcrBefore),
      };
      if (isVideo) {
        const scan = scanAccessUnit(v.data, this.video!.nalLengthSize);
        const payloadLength = annexBSize(scan, this.video!, v.keyframe);
        plans.push({
          isVideo,
          first: vi,
          count: 1,
          payloadLength,
          scan,
          randomAccess: v.keyframe,
          ...pcrFields,
        });
        vi++;
      } else {
        const { count, payloadLength } = this.groupAudio(audio, ai, v?.dts ?? Number.POSITIVE_INFINITY);
        // Every AAC frame can start decoding, so every audio PES starts at a random access point.
        plans.push({
          isVideo,
          first: ai,
          count,
          payloadLength,
          scan: undefined,
          randomAccess: true,
          ...pcrFields,
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

  private headerSize(samples: readonly MediaSample[], p: PesPlan): number {
    const s = samples[p.first]!;
    return pesHeaderSize(s.pts, s.dts);
  }

  private counterOf(pid: number): ContinuityCounter {
    return pid === VIDEO_PID ? this.videoCounter : this.audioCounter;
  }

  /** Builds a video PES (PES_packet_length 0, §2.4.3.7) in the scratch buffer. */
  private buildVideoPes(video: readonly MediaSample[], p: PesPlan): Uint8Array {
    const s = video[p.first]!;
    const header = writePesHeader(this.scratch, 0, STREAM_ID_VIDEO, s.pts, s.dts, undefined);
    const written = writeAnnexB(s.data, p.scan!, this.video!, s.keyframe, this.scratch, header);
    return this.scratch.subarray(0, header + written);
  }

  /** Builds an audio PES of ADTS frames with its true length in the scratch buffer. */
  private buildAudioPes(audio: readonly MediaSample[], p: PesPlan): Uint8Array {
    const s = audio[p.first]!;
    let w = writePesHeader(this.scratch, 0, STREAM_ID_AUDIO, s.pts, s.dts, p.payloadLength);
    for (let i = p.first; i < p.first + p.count; i++) {
      const frame = audio[i]!.data;
      writeAdtsHeader(this.scratch, w, this.adts!, frame.length);
      this.scratch.set(frame, w + ADTS_HEADER_SIZE);
      w += ADTS_HEADER_SIZE + frame.length;
    }
    return this.scratch.subarray(0, w);
  }
}

function wrapOptional(pcr: number | undefined): number | undefined {
  return pcr === undefined ? undefined : wrap33(Math.floor(pcr));
}

/** Muxes a single segment with a fresh muxer (continuity counters start at 0). */
export function muxTsSegment(input: SegmentInput): Uint8Array {
  const muxer = new TsMuxer({ video: input.video?.info, audio: input.audio?.info });
  return muxer.muxSegment({ video: input.video?.samples, audio: input.audio?.samples });
}
