// Reads the fields of an H.264 sequence parameter set that playlists need: profile, level and the
// cropped picture size (ISO 14496-10 §7.3.2.1.1), and builds the RFC 6381 codec string from them.

import { HlsError } from '../core/errors.js';
import { BitReader } from './bit-reader.js';
import { NalType, nalType, unescapeRbsp } from './nal.js';

/** What a playlist needs to know from an SPS. */
export interface H264SpsInfo {
  readonly profileIdc: number;
  /** The byte of constraint_set0..5 flags and reserved bits that follows profile_idc. */
  readonly constraintFlags: number;
  readonly levelIdc: number;
  /** Displayed width in pixels, after frame cropping. */
  readonly width: number;
  /** Displayed height in pixels, after frame cropping. */
  readonly height: number;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling lists (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** chroma_format_idc of 4:4:4, which has 12 scaling lists instead of 8 and no chroma subsampling. */
const CHROMA_444 = 3;

const MACROBLOCK_SIZE = 16;

/** Parses an SPS NAL unit (header byte included, no start code or length prefix). */
export function parseH264Sps(nal: Uint8Array): H264SpsInfo {
  if (nal.length < 4 || nalType(nal[0]!) !== NalType.SPS) {
    throw new HlsError('MEDIA_INVALID', 'not an H.264 sequence parameter set');
  }
  const r = new BitReader(unescapeRbsp(nal.subarray(1)));
  const profileIdc = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  r.readUe(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = 0;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUe();
    if (chromaFormatIdc === CHROMA_444) separateColourPlane = r.readBit();
    r.readUe(); // bit_depth_luma_minus8
    r.readUe(); // bit_depth_chroma_minus8
    r.readBit(); // qpprime_y_zero_transform_bypass_flag
    if (r.readBit() === 1) skipScalingMatrix(r, chromaFormatIdc === CHROMA_444 ? 12 : 8);
  }
  r.readUe(); // log2_max_frame_num_minus4
  skipPicOrderCount(r);
  r.readUe(); // max_num_ref_frames
  r.readBit(); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = r.readUe() + 1;
  const heightInMapUnits = r.readUe() + 1;
  const frameMbsOnly = r.readBit();
  if (frameMbsOnly === 0) r.readBit(); // mb_adaptive_frame_field_flag
  r.readBit(); // direct_8x8_inference_flag
  let crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.readBit() === 1) {
    crop = { left: r.readUe(), right: r.readUe(), top: r.readUe(), bottom: r.readUe() };
  }
  // Crop units from Table 6-1 and equations 7-19..7-22: chroma subsampling, doubled for field coding.
  const chromaArrayType = separateColourPlane === 1 ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - frameMbsOnly);
  const width = widthInMbs * MACROBLOCK_SIZE - cropUnitX * (crop.left + crop.right);
  const height =
    (2 - frameMbsOnly) * heightInMapUnits * MACROBLOCK_SIZE - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) throw new HlsError('MEDIA_INVALID', 'H.264 SPS crops the whole picture');
  return { profileIdc, constraintFlags, levelIdc, width, height };
}

/** The RFC 6381 codec string, e.g. `avc1.64001f`; accepts an SPS NAL unit or its parsed fields. */
export function h264CodecString(sps: Uint8Array | H264SpsInfo): string {
  const info = sps instanceof Uint8Array ? parseH264Sps(sps) : sps;
  return `avc1.${hex2(info.profileIdc)}${hex2(info.constraintFlags)}${hex2(info.levelIdc)}`;
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0');
}

/** Skips seq_scaling_list_present_flag[i] and the lists present (§7.3.2.1.1.1). */
function skipScalingMatrix(r: BitReader, lists: number): void {
  for (let i = 0; i < lists; i++) {
    if (r.readBit() === 0) continue;
    const size = i < 6 ? 16 : 64;
    let last = 8;
    let next = 8;
    for (let j = 0; j < size && next !== 0; j++) {
      next = (last + r.readSe() + 256) % 256;
      last = next === 0 ? last : next;
    }
  }
}

/** Skips the pic_order_cnt_type branch of the SPS. */
function skipPicOrderCount(r: BitReader): void {
  const type = r.readUe();
  if (type === 0) {
    r.readUe(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (type === 1) {
    r.readBit(); // delta_pic_order_always_zero_flag
    r.readSe(); // offset_for_non_ref_pic
    r.readSe(); // offset_for_top_to_bottom_field
    const cycle = r.readUe();
    for (let i = 0; i < cycle; i++) r.readSe(); // offset_for_ref_frame[i]
  }
}
