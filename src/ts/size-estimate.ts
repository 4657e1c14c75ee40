// Estimates the size of a muxed TS segment from sample counts and byte totals alone, so playlists
// can state BANDWIDTH without muxing. Mirrors TsMuxer's layout; exact sizes come from muxing.

import { TS_BODY_SIZE, TS_PACKET_SIZE } from './packetizer.js';

/** Sample count and summed sample bytes of one track over a segment. */
export interface TrackTotals {
  readonly count: number;
  readonly bytes: number;
}

/** PAT and PMT open every segment. */
const PSI_PACKETS = 2;
/** Per video access unit: AUD (6), PES header with DTS (19), PCR adaptation field (8). */
const VIDEO_OVERHEAD = 6 + 19 + 8;
/** ADTS header per audio frame. */
const ADTS_OVERHEAD = 7;
/** Per audio PES: PES header without DTS (14) and random_access_indicator (2). */
const AUDIO_PES_OVERHEAD = 14 + 2;
/** Audio frames per PES the muxer ends up with: about two between 25 fps video frames, four alone. */
const AUDIO_FRAMES_PER_PES_WITH_VIDEO = 2;
const AUDIO_FRAMES_PER_PES_ALONE = 4;
/** The last packet of a PES is on average half stuffing. */
const STUFFING_PACKETS_PER_PES = 0.5;

/** Estimated bytes of a segment muxed by TsMuxer from these totals (within a few percent). */
export function estimateTsSize(video: TrackTotals | undefined, audio: TrackTotals | undefined): number {
  let packets = PSI_PACKETS;
  if (video && video.count > 0) {
    packets +=
      (video.bytes + video.count * VIDEO_OVERHEAD) / TS_BODY_SIZE + video.count * STUFFING_PACKETS_PER_PES;
  }
  if (audio && audio.count > 0) {
    const perPes = video && video.count > 0 ? AUDIO_FRAMES_PER_PES_WITH_VIDEO : AUDIO_FRAMES_PER_PES_ALONE;
    const pesCount = Math.ceil(audio.count / perPes);
    const payload = audio.bytes + audio.count * ADTS_OVERHEAD + pesCount * AUDIO_PES_OVERHEAD;
    packets += payload / TS_BODY_SIZE + pesCount * STUFFING_PACKETS_PER_PES;
  }
  return Math.ceil(packets) * TS_PACKET_SIZE;
}
