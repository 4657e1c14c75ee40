// PES packet headers (ISO 13818-1 §2.4.3.6, §2.4.3.7): start code, stream_id, length and a
// 33-bit PTS, plus a DTS only when it differs from the PTS.

import { HlsError } from '../core/errors.js';
import { wrap33 } from '../core/time.js';

/** stream_id of the first MPEG video stream (Table 2-22). */
export const STREAM_ID_VIDEO = 0xe0;
/** stream_id of the first MPEG audio stream. */
export const STREAM_ID_AUDIO = 0xc0;

/** packet_start_code_prefix 00 00 01, stream_id, PES_packet_length. */
const PES_FIXED_HEADER_SIZE = 6;
/** The flags bytes and PES_header_data_length after PES_packet_length. */
const PES_OPTIONAL_HEADER_SIZE = 3;
/** One 33-bit timestamp with marker bits takes 5 bytes. */
const TIMESTAMP_SIZE = 5;
/** PES_packet_length is 16 bits; 0 means "unbounded", allowed only for video (§2.4.3.7). */
export const MAX_PES_PACKET_LENGTH = 0xffff;
/** '10' marker, not scrambled, no priority, no data_alignment, no copyright, copy. */
const PES_FLAGS_1 = 0x80;
/** PTS_DTS_flags '10' (PTS only) and '11' (PTS and DTS) in the second flags byte. */
const PTS_ONLY_FLAGS = 0x80;
const PTS_DTS_FLAGS = 0xc0;
/** The 4-bit prefixes before each timestamp (§2.4.3.7): '0010' PTS alone, '0011' PTS then '0001' DTS. */
const PREFIX_PTS_ONLY = 0x2;
const PREFIX_PTS_WITH_DTS = 0x3;
const PREFIX_DTS = 0x1;

/** Size of a PES header: 14 bytes with a PTS only, 19 with PTS and DTS. */
export function pesHeaderSize(pts: number, dts: number): number {
  const stamps = wrap33(Math.floor(pts)) === wrap33(Math.floor(dts)) ? 1 : 2;
  return PES_FIXED_HEADER_SIZE + PES_OPTIONAL_HEADER_SIZE + stamps * TIMESTAMP_SIZE;
}

/** The largest payload a PES with a bounded PES_packet_length (audio) can carry after its header. */
export function maxBoundedPesPayload(pts: number, dts: number): number {
  return MAX_PES_PACKET_LENGTH - (pesHeaderSize(pts, dts) - PES_FIXED_HEADER_SIZE);
}

/**
 * Writes a PES header into `out` at `offset` and returns its size. Timestamps are 90 kHz ticks,
 * wrapped here to 33 bits. `payloadLength` is the byte count that follows the header; pass
 * `undefined` to write PES_packet_length 0 (video only).
 */
export function writePesHeader(
  out: Uint8Array,
  offset: number,
  streamId: number,
  pts: number,
  dts: number,
  payloadLength: number | undefined,
): number {
  const p = wrap33(Math.floor(pts));
  const d = wrap33(Math.floor(dts));
  const withDts = p !== d;
  const headerDataLength = (withDts ? 2 : 1) * TIMESTAMP_SIZE;
  const size = PES_FIXED_HEADER_SIZE + PES_OPTIONAL_HEADER_SIZE + headerDataLength;
  // PES_packet_length counts the bytes after itself: the optional header and the payload.
  const packetLength = payloadLength === undefined ? 0 : size - PES_FIXED_HEADER_SIZE + payloadLength;
  if (packetLength > MAX_PES_PACKET_LENGTH) {
    throw new HlsError('INTERNAL', `PES packet length ${packetLength} exceeds ${MAX_PES_PACKET_LENGTH}`);
  }
  out[offset] = 0x00; // packet_start_code_prefix
  out[offset + 1] = 0x00;
  out[offset + 2] = 0x01;
  out[offset + 3] = streamId;
  out[offset + 4] = packetLength >> 8;
  out[offset + 5] = packetLength & 0xff;
  out[offset + 6] = PES_FLAGS_1;
  out[offset + 7] = withDts ? PTS_DTS_FLAGS : PTS_ONLY_FLAGS;
  out[offset + 8] = headerDataLength;
  writeTimestamp(out, offset + 9, withDts ? PREFIX_PTS_WITH_DTS : PREFIX_PTS_ONLY, p);
  if (withDts) writeTimestamp(out, offset + 9 + TIMESTAMP_SIZE, PREFIX_DTS, d);
  return size;
}

/**
 * Writes prefix(4) | ts[32..30] | marker, ts[29..15] | marker, ts[14..0] | marker.
 * Arithmetic instead of bit operators: a 33-bit value does not fit JavaScript's 32-bit shifts.
 */
function writeTimestamp(out: Uint8Array, offset: number, prefix: number, ts: number): void {
  const high = Math.floor(ts / 2 ** 30); // bits 32..30
  const mid = Math.floor(ts / 2 ** 15) % 2 ** 15; // bits 29..15
  const low = ts % 2 ** 15; // bits 14..0
  out[offset] = (prefix << 4) | (high << 1) | 1;
  out[offset + 1] = mid >> 7;
  out[offset + 2] = ((mid & 0x7f) << 1) | 1;
  out[offset + 3] = low >> 7;
  out[offset + 4] = ((low & 0x7f) << 1) | 1;
}
