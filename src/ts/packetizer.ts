// Splits PES packets and PSI sections into 188-byte transport packets (ISO 13818-1 §2.4.3.2),
// with adaptation fields (§2.4.3.4) for the PCR, random_access_indicator and stuffing.

import type { ContinuityCounter } from './continuity-counter.js';

/** Every transport packet is 188 bytes. */
export const TS_PACKET_SIZE = 188;
/** sync_byte that opens every packet. */
export const TS_SYNC_BYTE = 0x47;
/** sync byte, flags + PID, scrambling/adaptation/continuity. */
const TS_HEADER_SIZE = 4;
/** Bytes after the 4-byte header, shared by adaptation field and payload. */
export const TS_BODY_SIZE = TS_PACKET_SIZE - TS_HEADER_SIZE;
/** payload_unit_start_indicator in byte 1. */
const PAYLOAD_UNIT_START = 0x40;
/** adaptation_field_control values (Table 2-5), already shifted into byte 3. */
const AFC_PAYLOAD_ONLY = 0x10;
const AFC_ADAPTATION_ONLY = 0x20;
const AFC_ADAPTATION_AND_PAYLOAD = 0x30;
/** Flags in the adaptation field's first byte. */
const AF_DISCONTINUITY = 0x80;
const AF_RANDOM_ACCESS = 0x40;
const AF_PCR = 0x10;
/** adaptation_field_length byte plus the flags byte. */
const AF_MIN_WITH_FLAGS = 2;
/** program_clock_reference_base (33) + reserved (6) + extension (9) bits. */
const PCR_SIZE = 6;
const STUFFING_BYTE = 0xff;

/** How the first packet of a PES is marked. */
export interface PesPacketOptions {
  readonly pid: number;
  readonly counter: ContinuityCounter;
  /** PCR base in 90 kHz ticks (33 bits, extension 0) for the first packet, or undefined for none. */
  readonly pcr?: number | undefined;
  /** Set random_access_indicator on the first packet (a keyframe starts in it). */
  readonly randomAccess?: boolean;
  /**
   * Set discontinuity_indicator on the first packet (§2.4.3.5): its continuity_counter need not follow
   * the PID's previous packet, as when segments are muxed one by one.
   */
  readonly discontinuity?: boolean;
}

/** Adaptation field bytes the first packet of a PES needs before any stuffing. */
function firstPacketAdaptationSize(pcr: boolean, flags: boolean): number {
  if (pcr) return AF_MIN_WITH_FLAGS + PCR_SIZE;
  return flags ? AF_MIN_WITH_FLAGS : 0;
}

/** Number of packets `writePesPackets` uses for a PES of `pesLength` bytes. */
export function pesPacketCount(
  pesLength: number,
  pcr: boolean,
  randomAccess: boolean,
  discontinuity = false,
): number {
  const bytes = pesLength + firstPacketAdaptationSize(pcr, randomAccess || discontinuity);
  return Math.max(1, Math.ceil(bytes / TS_BODY_SIZE));
}

/**
 * Writes `pes` as transport packets into `out` at `offset` and returns the offset after them.
 * The last packet is padded with adaptation-field stuffing, never with payload bytes.
 */
export function writePesPackets(
  out: Uint8Array,
  offset: number,
  pes: Uint8Array,
  options: PesPacketOptions,
): number {
  let w = offset;
  let read = 0;
  let first = true;
  while (first || read < pes.length) {
    const pcr = first ? options.pcr : undefined;
    const flags = first
      ? (options.randomAccess ? AF_RANDOM_ACCESS : 0) | (options.discontinuity ? AF_DISCONTINUITY : 0)
      : 0;
    const afNeeded = firstPacketAdaptationSize(pcr !== undefined, flags !== 0);
    const payload = Math.min(TS_BODY_SIZE - afNeeded, pes.length - read);
    const afSize = TS_BODY_SIZE - payload;
    writeHeader(out, w, options.pid, first, afSize > 0 ? AFC_ADAPTATION_AND_PAYLOAD : AFC_PAYLOAD_ONLY);
    out[w + 3]! |= options.counter.next();
    writeAdaptationField(out, w + TS_HEADER_SIZE, afSize, flags, pcr);
    out.set(pes.subarray(read, read + payload), w + TS_HEADER_SIZE + afSize);
    read += payload;
    w += TS_PACKET_SIZE;
    first = false;
  }
  return w;
}

/**
 * Writes a packet holding only an adaptation field with a PCR (no payload, counter not advanced),
 * with discontinuity_indicator set when `discontinuity` is true.
 */
export function writePcrPacket(
  out: Uint8Array,
  offset: number,
  pid: number,
  counter: ContinuityCounter,
  pcr: number,
  discontinuity = false,
): number {
  writeHeader(out, offset, pid, false, AFC_ADAPTATION_ONLY);
  out[offset + 3]! |= counter.current();
  const flags = discontinuity ? AF_DISCONTINUITY : 0;
  writeAdaptationField(out, offset + TS_HEADER_SIZE, TS_BODY_SIZE, flags, pcr);
  return offset + TS_PACKET_SIZE;
}

/** Writes a PSI section in one packet: pointer_field 0, the section, 0xFF padding (§2.4.4.1). */
export function writeSectionPacket(
  out: Uint8Array,
  offset: number,
  pid: number,
  counter: ContinuityCounter,
  section: Uint8Array,
): number {
  writeHeader(out, offset, pid, true, AFC_PAYLOAD_ONLY);
  out[offset + 3]! |= counter.next();
  out[offset + TS_HEADER_SIZE] = 0x00; // pointer_field: the section starts right after it
  const sectionAt = offset + TS_HEADER_SIZE + 1;
  out.set(section, sectionAt);
  out.fill(STUFFING_BYTE, sectionAt + section.length, offset + TS_PACKET_SIZE);
  return offset + TS_PACKET_SIZE;
}

/** Writes sync byte, PUSI and PID, and adaptation_field_control; the continuity counter is OR-ed in after. */
function writeHeader(out: Uint8Array, offset: number, pid: number, unitStart: boolean, afc: number): void {
  out[offset] = TS_SYNC_BYTE;
  // transport_error_indicator 0 | payload_unit_start_indicator | transport_priority 0 | PID bits 12..8
  out[offset + 1] = (unitStart ? PAYLOAD_UNIT_START : 0) | ((pid >> 8) & 0x1f);
  out[offset + 2] = pid & 0xff; // PID bits 7..0
  out[offset + 3] = afc; // transport_scrambling_control 00 | adaptation_field_control | continuity_counter
}

/**
 * Writes an adaptation field of `size` bytes in total (length byte included): flags, an optional PCR,
 * then 0xFF stuffing. One byte is `adaptation_field_length = 0` with no flags byte at all.
 */
function writeAdaptationField(
  out: Uint8Array,
  offset: number,
  size: number,
  flags: number,
  pcr: number | undefined,
): void {
  if (size === 0) return;
  out[offset] = size - 1; // adaptation_field_length
  if (size === 1) return;
  out[offset + 1] = flags | (pcr === undefined ? 0 : AF_PCR);
  let w = offset + AF_MIN_WITH_FLAGS;
  if (pcr !== undefined) {
    writePcr(out, w, pcr);
    w += PCR_SIZE;
  }
  out.fill(STUFFING_BYTE, w, offset + size);
}

/** program_clock_reference_base (33 bits), 6 reserved '1' bits, program_clock_reference_extension 0. */
function writePcr(out: Uint8Array, offset: number, base: number): void {
  const high = Math.floor(base / 2); // bits 32..1, fits in 32 bits
  out[offset] = (high >>> 24) & 0xff;
  out[offset + 1] = (high >>> 16) & 0xff;
  out[offset + 2] = (high >>> 8) & 0xff;
  out[offset + 3] = high & 0xff;
  out[offset + 4] = ((base % 2) << 7) | 0x7e; // base bit 0 | reserved '111111' | extension bit 8 (0)
  out[offset + 5] = 0x00; // extension bits 7..0
}
