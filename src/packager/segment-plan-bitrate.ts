// Estimates the size of a planned segment once muxed into MPEG-TS and encrypted, and the playlist
// bit rates derived from it (RFC 8216bis §4.4.6.2 BANDWIDTH and AVERAGE-BANDWIDTH).
import { TS_CLOCK_HZ, to90k } from '../core/time.js';
import type { Mp4Index, Mp4Track } from '../mp4/mp4-index.js';

/** A range of samples [first, end) of one track, in decode order. */
export interface SampleRange {
  readonly first: number;
  readonly end: number;
}

/** TS packet and its payload after the 4-byte header (ISO 13818-1 §2.4.3.2). */
const TS_PACKET_SIZE = 188;
const TS_PAYLOAD_SIZE = 184;
/** PAT and PMT, one packet each, at the start of every segment. */
const PSI_PACKETS_PER_SEGMENT = 2;
/** PES header: 6 bytes start code/length + 3 flags bytes + 5 per timestamp (§2.4.3.7). */
const PES_HEADER_BASE = 9;
const PES_TIMESTAMP_SIZE = 5;
/** PES_packet_length counts the bytes after it: 3 flags bytes, a PTS, then the payload (audio PES). */
const MAX_AUDIO_PES_PAYLOAD = 0xffff - 3 - PES_TIMESTAMP_SIZE;
/** Access unit delimiter with its start code, put before every access unit (ITU-T H.264 §7.3.2.4). */
const AUD_BYTES = 6;
/** Annex B start code put before each NAL unit and parameter set. */
const START_CODE_BYTES = 4;
/** Adaptation field with flags (random_access_indicator), and with a 6-byte PCR (§2.4.3.4). */
const AF_WITH_FLAGS = 2;
const AF_WITH_PCR = AF_WITH_FLAGS + 6;
/** ADTS header without CRC (ISO 14496-3 §1.A.2.2). */
const ADTS_HEADER = 7;
/** AES-128-CBC with PKCS#7 adds at most one block. */
const AES_PADDING = 16;
/** How the TS muxer groups AAC frames (as ffmpeg does): at most 5 frames, spanning at most 100 ms. */
const AUDIO_FRAMES_PER_PES = 5;
const PCR_MAX_INTERVAL_90K = 9000;
/** A PES off the PCR PID gets a PCR-only packet first once 40 ms passed since the last PCR. */
const PCR_REFRESH_90K = 3600;
/** Samples in an AAC frame. */
const AAC_FRAME_SAMPLES = 1024;

/** TS bytes that carry one PES of `pesBytes` plus `adaptation` bytes (the last packet is stuffed). */
function packetized(pesBytes: number, adaptation: number): number {
  return Math.max(1, Math.ceil((pesBytes + adaptation) / TS_PAYLOAD_SIZE)) * TS_PACKET_SIZE;
}

/** Bytes of SPS and PPS with start codes, repeated before every IDR. */
function parameterSetBytes(track: Mp4Track): number {
  if (track.info.kind !== 'video') return 0;
  const sets = [...track.info.sps, ...track.info.pps];
  return sets.reduce((sum, ps) => sum + ps.byteLength + START_CODE_BYTES, 0);
}

/** A track's decode time of sample `i` in 90 kHz ticks. */
function dts90k(track: Mp4Track, i: number): number {
  return to90k(track.samples.dts[i]!, track.timescale);
}

/**
 * Estimated encrypted TS bytes of a segment, following how the TS muxer lays it out: PAT and PMT;
 * PES packets in DTS order; per video access unit an AUD, SPS/PPS before sync samples, start codes
 * of the same size as 4-byte NAL length prefixes, a PES header with PTS (and DTS when they differ)
 * and a PCR adaptation field; AAC frames with ADTS headers grouped up to 5 per PES without crossing
 * a video DTS or 100 ms; PCR-only packets where 40 ms passed without a PCR; every PES stuffed to
 * whole 188-byte packets; and one AES padding block. NAL units are counted as one per sample, so
 * samples with several NAL units are slightly under-counted (4 bytes each with 4-byte prefixes: none).
 */
export function estimateTsBytes(index: Mp4Index, video?: SampleRange, audio?: SampleRange): number {
  let total = PSI_PACKETS_PER_SEGMENT * TS_PACKET_SIZE + AES_PADDING;
  const v = video !== undefined ? index.video : undefined;
  const a = audio !== undefined ? index.audio : undefined;
  const pcrOnVideo = index.video !== undefined;
  const sets = v !== undefined ? parameterSetBytes(v) : 0;
  const prefixGrowth =
    v !== undefined && v.info.kind === 'video' ? START_CODE_BYTES - v.info.nalLengthSize : 0;
  const frameTicks = a !== undefined ? (AAC_FRAME_SAMPLES * TS_CLOCK_HZ) / (a.sampleRate || 1) : 0;
  let vi = video?.first ?? 0;
  let ai = audio?.first ?? 0;
  const vEnd = v !== undefined ? video!.end : vi;
  const aEnd = a !== undefined ? audio!.end : ai;
  let lastPcr = Number.NEGATIVE_INFINITY;
  while (vi < vEnd || ai < aEnd) {
    const isVideo = vi < vEnd && (ai >= aEnd || dts90k(v!, vi) <= dts90k(a!, ai));
    const dts = isVideo ? dts90k(v!, vi) : dts90k(a!, ai);
    const pcr = Math.max(dts, lastPcr);
    const onPcrPid = isVideo === pcrOnVideo;
    const pcrBefore = !onPcrPid && pcr - lastPcr >= PCR_REFRESH_90K;
    if (onPcrPid || pcrBefore) lastPcr = pcr;
    if (pcrBefore) total += TS_PACKET_SIZE;
    if (isVideo) {
      const { size, sync, cto } = v!.samples;
      const header = PES_HEADER_BASE + (cto[vi] === 0 ? 1 : 2) * PES_TIMESTAMP_SIZE;
      const payload = AUD_BYTES + size[vi]! + prefixGrowth + (sync[vi] === 1 ? sets : 0);
      total += packetized(header + payload, onPcrPid ? AF_WITH_PCR : sync[vi] === 1 ? AF_WITH_FLAGS : 0);
      vi++;
      continue;
    }
    const { size } = a!.samples;
    const start = dts;
    const nextVideo = vi < vEnd ? dts90k(v!, vi) : Number.POSITIVE_INFINITY;
    let payload = ADTS_HEADER + size[ai]!;
    let count = 1;
    for (ai++; ai < aEnd && count < AUDIO_FRAMES_PER_PES; ai++, count++) {
      const next = dts90k(a!, ai);
      const frame = ADTS_HEADER + size[ai]!;
      if (next >= nextVideo || next - start + frameTicks > PCR_MAX_INTERVAL_90K) break;
      if (payload + frame > MAX_AUDIO_PES_PAYLOAD) break;
      payload += frame;
    }
    total += packetized(
      PES_HEADER_BASE + PES_TIMESTAMP_SIZE + payload,
      onPcrPid ? AF_WITH_PCR : AF_WITH_FLAGS,
    );
  }
  return total;
}

/** Lower and upper bound, in target durations, of the windows the peak is taken over (RFC 8216bis). */
const PEAK_WINDOW_MIN = 0.5;
const PEAK_WINDOW_MAX = 1.5;

/**
 * Peak segment bit rate: the largest bit rate of any run of consecutive segments lasting between
 * 0.5 and 1.5 target durations, so a tiny last segment does not inflate it. Falls back to the
 * average when no run qualifies (a file shorter than half a target).
 */
export function peakBitrate(
  durations: readonly number[],
  tsBytes: readonly number[],
  targetDuration: number,
  averageBitrate: number,
): number {
  let peak = 0;
  for (let i = 0; i < durations.length; i++) {
    let seconds = 0;
    let bytes = 0;
    for (let j = i; j < durations.length; j++) {
      seconds += durations[j]!;
      bytes += tsBytes[j]!;
      if (seconds > PEAK_WINDOW_MAX * targetDuration) break;
      if (seconds >= PEAK_WINDOW_MIN * targetDuration && seconds > 0)
        peak = Math.max(peak, (bytes * 8) / seconds);
    }
  }
  return Math.ceil(Math.max(peak, averageBitrate));
}
