// Estimates the size of a planned segment once muxed into MPEG-TS and encrypted, and the playlist
// bit rates derived from it (RFC 8216bis §4.4.6.2 BANDWIDTH and AVERAGE-BANDWIDTH).
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
/** PES header with PTS and DTS: 6 bytes start code/length + 3 flags + 5 PTS + 5 DTS (§2.4.3.7). */
const VIDEO_PES_HEADER = 19;
/** PES header with PTS only. */
const AUDIO_PES_HEADER = 14;
/** Access unit delimiter with its start code, put before every access unit (ITU-T H.264 §7.3.2.4). */
const AUD_BYTES = 6;
/** Annex B start code put before each parameter set. */
const START_CODE_BYTES = 4;
/** Adaptation field carrying a PCR: length + flags + 6 PCR bytes; counted once per video access unit. */
const PCR_FIELD_BYTES = 8;
/** ADTS header without CRC (ISO 14496-3 §1.A.2.2). */
const ADTS_HEADER = 7;
/** AES-128-CBC with PKCS#7 adds at most one block. */
const AES_PADDING = 16;

/** TS bytes that carry one PES packet of `pesBytes` (the last packet is stuffed to 188). */
function packetized(pesBytes: number): number {
  return Math.ceil(pesBytes / TS_PAYLOAD_SIZE) * TS_PACKET_SIZE;
}

/** Bytes of SPS and PPS with start codes, repeated before every IDR. */
function parameterSetBytes(track: Mp4Track): number {
  if (track.info.kind !== 'video') return 0;
  const sets = [...track.info.sps, ...track.info.pps];
  return sets.reduce((sum, ps) => sum + ps.byteLength + START_CODE_BYTES, 0);
}

/**
 * Estimated encrypted TS bytes of a segment. Per video access unit: the sample (NAL length prefixes
 * become start codes of the same size for 4-byte prefixes), an AUD, SPS/PPS before sync samples,
 * a PES header with PTS and DTS and a PCR adaptation field, packetized at 188/184 with the last
 * packet stuffed. Per audio frame: ADTS header and its own PES (an upper bound: muxers may put several
 * frames in one PES). Plus PAT and PMT and the AES padding block.
 */
export function estimateTsBytes(index: Mp4Index, video?: SampleRange, audio?: SampleRange): number {
  let total = PSI_PACKETS_PER_SEGMENT * TS_PACKET_SIZE + AES_PADDING;
  if (index.video !== undefined && video !== undefined) {
    const { size, sync } = index.video.samples;
    const sets = parameterSetBytes(index.video);
    for (let i = video.first; i < video.end; i++) {
      const payload = size[i]! + AUD_BYTES + (sync[i] === 1 ? sets : 0);
      total += packetized(VIDEO_PES_HEADER + PCR_FIELD_BYTES + payload);
    }
  }
  if (index.audio !== undefined && audio !== undefined) {
    const { size } = index.audio.samples;
    for (let i = audio.first; i < audio.end; i++)
      total += packetized(AUDIO_PES_HEADER + ADTS_HEADER + size[i]!);
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
