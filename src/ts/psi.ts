// Program Specific Information sections: the PAT and the PMT of our single program
// (ISO 13818-1 §2.4.4.3 and §2.4.4.8). Sections end in a CRC-32/MPEG-2.

import { crc32Mpeg2 } from './crc32.js';

/** The PAT always travels on PID 0 (Table 2-3). */
export const PAT_PID = 0x0000;
/** PID of our PMT; 0x1000 is ffmpeg's choice too. */
export const PMT_PID = 0x1000;
/** PID of the H.264 elementary stream. */
export const VIDEO_PID = 0x0100;
/** PID of the AAC elementary stream. */
export const AUDIO_PID = 0x0101;
/** Our only program_number. */
export const PROGRAM_NUMBER = 1;
/** transport_stream_id written in the PAT. */
export const TRANSPORT_STREAM_ID = 1;

/** stream_type values (Table 2-34). */
export const StreamType = {
  /** AVC video, ISO 14496-10. */
  H264: 0x1b,
  /** AAC audio in ADTS, ISO 13818-7. */
  AAC_ADTS: 0x0f,
} as const;

/** table_id values (Table 2-31). */
const TABLE_ID_PAT = 0x00;
const TABLE_ID_PMT = 0x02;
/** Bytes before section_length's count starts: table_id and the two bytes holding section_length. */
const SECTION_HEADER_SIZE = 3;
const CRC_SIZE = 4;
/** section_syntax_indicator 1, '0', two reserved '1' bits: the top nibble of byte 1. */
const SECTION_SYNTAX_BITS = 0xb0;
/** Two reserved '1' bits, version_number 0, current_next_indicator 1. */
const VERSION_CURRENT = 0xc1;
/** Reserved '111' above a 13-bit PID. */
const RESERVED_ABOVE_PID = 0xe0;
/** Reserved '1111' above a 12-bit length. */
const RESERVED_ABOVE_LENGTH = 0xf0;

/** One elementary stream listed in the PMT. */
export interface PmtStream {
  readonly streamType: number;
  readonly pid: number;
}

/** The PAT section, from table_id to CRC: program 1 → the PMT PID. */
export function buildPatSection(pmtPid = PMT_PID, programNumber = PROGRAM_NUMBER): Uint8Array {
  const body = [
    TRANSPORT_STREAM_ID >> 8,
    TRANSPORT_STREAM_ID & 0xff,
    VERSION_CURRENT,
    0x00, // section_number
    0x00, // last_section_number
    programNumber >> 8,
    programNumber & 0xff,
    RESERVED_ABOVE_PID | (pmtPid >> 8),
    pmtPid & 0xff,
  ];
  return finishSection(TABLE_ID_PAT, body);
}

/** The PMT section, from table_id to CRC, with no descriptors. */
export function buildPmtSection(
  pcrPid: number,
  streams: readonly PmtStream[],
  programNumber = PROGRAM_NUMBER,
): Uint8Array {
  const body = [
    programNumber >> 8,
    programNumber & 0xff,
    VERSION_CURRENT,
    0x00, // section_number
    0x00, // last_section_number
    RESERVED_ABOVE_PID | (pcrPid >> 8),
    pcrPid & 0xff,
    RESERVED_ABOVE_LENGTH, // program_info_length 0 (high bits)
    0x00,
  ];
  for (const s of streams) {
    body.push(s.streamType, RESERVED_ABOVE_PID | (s.pid >> 8), s.pid & 0xff, RESERVED_ABOVE_LENGTH, 0x00);
  }
  return finishSection(TABLE_ID_PMT, body);
}

/** Prepends table_id and section_length, appends the CRC. */
function finishSection(tableId: number, body: readonly number[]): Uint8Array {
  const sectionLength = body.length + CRC_SIZE;
  const out = new Uint8Array(SECTION_HEADER_SIZE + sectionLength);
  out[0] = tableId;
  out[1] = SECTION_SYNTAX_BITS | (sectionLength >> 8);
  out[2] = sectionLength & 0xff;
  out.set(body, SECTION_HEADER_SIZE);
  const crcAt = SECTION_HEADER_SIZE + body.length;
  new DataView(out.buffer).setUint32(crcAt, crc32Mpeg2(out, 0, crcAt));
  return out;
}
