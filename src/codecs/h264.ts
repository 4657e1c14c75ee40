// H.264 access units from length-prefixed (AVCC, ISO 14496-15 §5.3.4) to Annex B byte stream form
// as MPEG-TS carries it (ISO 13818-1 §2.14): an AUD first, SPS/PPS before IDRs, 4-byte start codes.

import { HlsError } from '../core/errors.js';
import type { H264TrackInfo } from '../core/media.js';
import { NalType, nalType } from './nal.js';

/** The Annex B start code written before every NAL unit. */
const START_CODE_SIZE = 4;

/** An access unit delimiter NAL: header 0x09, primary_pic_type 7 (any slice type) + stop bit (§7.3.2.4). */
const AUD_NAL = Uint8Array.of(0x09, 0xf0);

/** What one pass over an access unit's NAL units found. */
export interface AccessUnitScan {
  /** Sum of the sizes of the NAL units that are kept (all but AUDs and empty ones). */
  readonly nalBytes: number;
  /** Number of NAL units kept. */
  readonly nalCount: number;
  /** The access unit holds an IDR slice. */
  readonly hasIdr: boolean;
  /** The access unit already carries a sequence parameter set. */
  readonly hasSps: boolean;
}

/** Walks the length-prefixed NAL units of `data`, validating every prefix against the buffer. */
export function scanAccessUnit(data: Uint8Array, nalLengthSize: number): AccessUnitScan {
  checkLengthSize(nalLengthSize);
  let nalBytes = 0;
  let nalCount = 0;
  let hasIdr = false;
  let hasSps = false;
  let pos = 0;
  while (pos < data.length) {
    const length = readNalLength(data, pos, nalLengthSize);
    pos += nalLengthSize;
    if (length === 0) continue;
    const type = nalType(data[pos]!);
    pos += length;
    if (type === NalType.AUD) continue;
    if (type === NalType.IDR) hasIdr = true;
    else if (type === NalType.SPS) hasSps = true;
    nalBytes += length;
    nalCount++;
  }
  return { nalBytes, nalCount, hasIdr, hasSps };
}

/** True when parameter sets from the track must be written before this access unit. */
function needsParameterSets(scan: AccessUnitScan, keyframe: boolean): boolean {
  return (scan.hasIdr || keyframe) && !scan.hasSps;
}

function parameterSetBytes(info: H264TrackInfo): number {
  let bytes = 0;
  for (const nal of info.sps) bytes += START_CODE_SIZE + nal.length;
  for (const nal of info.pps) bytes += START_CODE_SIZE + nal.length;
  return bytes;
}

/** Exact size of the Annex B form of an access unit, given its scan. */
export function annexBSize(scan: AccessUnitScan, info: H264TrackInfo, keyframe: boolean): number {
  const params = needsParameterSets(scan, keyframe) ? parameterSetBytes(info) : 0;
  return START_CODE_SIZE + AUD_NAL.length + params + scan.nalCount * START_CODE_SIZE + scan.nalBytes;
}

/**
 * Writes the Annex B form of one AVCC access unit into `out` at `offset` and returns the bytes written
 * (equal to `annexBSize`). `out` must have room; `scan` must come from `scanAccessUnit` on `data`.
 */
export function writeAnnexB(
  data: Uint8Array,
  scan: AccessUnitScan,
  info: H264TrackInfo,
  keyframe: boolean,
  out: Uint8Array,
  offset: number,
): number {
  let w = writeNal(out, offset, AUD_NAL, 0, AUD_NAL.length);
  if (needsParameterSets(scan, keyframe)) {
    for (const nal of info.sps) w = writeNal(out, w, nal, 0, nal.length);
    for (const nal of info.pps) w = writeNal(out, w, nal, 0, nal.length);
  }
  const size = info.nalLengthSize;
  let pos = 0;
  while (pos < data.length) {
    const length = readNalLength(data, pos, size);
    pos += size;
    if (length > 0 && nalType(data[pos]!) !== NalType.AUD) w = writeNal(out, w, data, pos, pos + length);
    pos += length;
  }
  return w - offset;
}

/** Converts one AVCC access unit to a freshly allocated Annex B buffer. */
export function avccToAnnexB(data: Uint8Array, info: H264TrackInfo, keyframe: boolean): Uint8Array {
  const scan = scanAccessUnit(data, info.nalLengthSize);
  const out = new Uint8Array(annexBSize(scan, info, keyframe));
  writeAnnexB(data, scan, info, keyframe, out, 0);
  return out;
}

function writeNal(out: Uint8Array, offset: number, src: Uint8Array, start: number, end: number): number {
  out[offset] = 0;
  out[offset + 1] = 0;
  out[offset + 2] = 0;
  out[offset + 3] = 1;
  out.set(src.subarray(start, end), offset + START_CODE_SIZE);
  return offset + START_CODE_SIZE + end - start;
}

function checkLengthSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > 4) {
    throw new HlsError('MEDIA_INVALID', `invalid H.264 NAL length size ${size}`);
  }
}

/** Reads the big-endian NAL length at `pos` and checks that the NAL unit lies inside `data`. */
function readNalLength(data: Uint8Array, pos: number, size: number): number {
  if (pos + size > data.length) {
    throw new HlsError('MEDIA_INVALID', 'H.264 sample ends inside a NAL length prefix');
  }
  let length = 0;
  for (let i = 0; i < size; i++) length = length * 256 + data[pos + i]!;
  if (length > data.length - pos - size) {
    throw new HlsError('MEDIA_INVALID', `H.264 NAL length ${length} runs past the end of the sample`);
  }
  return length;
}
