// FLV tag bodies (as carried by RTMP audio/video messages) to codec setup and MediaSamples.
// Layouts: FLV spec v10.1 §E.4.2.1 (audio) and §E.4.3.1 (video), ISO 14496-15 §5.2.4.1 (avcC).

import { HlsError } from '../core/errors.js';
import type { AacTrackInfo, H264TrackInfo, MediaSample } from '../core/media.js';
import { to90k } from '../core/time.js';

/** FLV CodecID 7: AVC (§E.4.3.1). */
const CODEC_AVC = 7;
/** CodecID 12: HEVC as some encoders send it before enhanced RTMP existed. */
const CODEC_HEVC_LEGACY = 12;
/** FrameType 1: keyframe; 5: video info/command frame, which carries no picture (§E.4.3.1). */
const FRAME_KEY = 1;
const FRAME_COMMAND = 5;
/** Enhanced RTMP: bit 7 of the first video byte says a FourCC follows instead of a CodecID. */
const ENHANCED_VIDEO_FLAG = 0x80;
/** AVCPacketType (§E.4.3.1). */
const AVC_SEQUENCE_HEADER = 0;
const AVC_NALU = 1;
const AVC_END_OF_SEQUENCE = 2;
/** Bytes before the AVC payload: frame/codec byte, AVCPacketType, 24-bit composition time. */
const AVC_TAG_HEADER_SIZE = 5;
/** SoundFormat 10: AAC (§E.4.2.1). */
const SOUND_FORMAT_AAC = 10;
/** AACPacketType (§E.4.2.1). */
const AAC_SEQUENCE_HEADER = 0;
const AAC_RAW = 1;
const AAC_TAG_HEADER_SIZE = 2;
/** FLV timestamps are milliseconds. */
const FLV_TIMESCALE = 1000;
/** An AudioSpecificConfig has at least object type, frequency index and channels: 2 bytes (ISO 14496-3 §1.6.2.1). */
const MIN_ASC_SIZE = 2;
/** avcC: 5 fixed bytes, then SPS count and entries, PPS count and entries (ISO 14496-15 §5.2.4.1). */
const AVCC_FIXED_SIZE = 5;
const AVCC_VERSION = 1;

/** What one video tag carries. */
export type FlvVideoResult =
  | { readonly kind: 'config'; readonly info: H264TrackInfo }
  | { readonly kind: 'sample'; readonly sample: MediaSample }
  | { readonly kind: 'end-of-sequence' }
  | { readonly kind: 'ignored' };

/** What one audio tag carries. */
export type FlvAudioResult =
  | { readonly kind: 'config'; readonly info: AacTrackInfo }
  | { readonly kind: 'sample'; readonly sample: MediaSample }
  | { readonly kind: 'ignored' };

/**
 * Parses a video tag body with its message timestamp (ms, already extended past 2^32). Throws HlsError
 * UNSUPPORTED_MEDIA for codecs other than H.264 and MEDIA_INVALID for malformed bodies.
 */
export function parseFlvVideoTag(body: Uint8Array, timestampMs: number): FlvVideoResult {
  const first = body[0];
  if (first === undefined) return { kind: 'ignored' };
  if (first & ENHANCED_VIDEO_FLAG) {
    const fourcc = Buffer.from(body.subarray(1, 5)).toString('latin1');
    throw new HlsError(
      'UNSUPPORTED_MEDIA',
      `enhanced RTMP video '${fourcc}' is not supported: publish H.264`,
    );
  }
  // FrameType is the high nibble, CodecID the low nibble of the first byte.
  const frameType = first >> 4;
  const codecId = first & 0x0f;
  if (frameType === FRAME_COMMAND) return { kind: 'ignored' };
  if (codecId !== CODEC_AVC) {
    const name = codecId === CODEC_HEVC_LEGACY ? 'HEVC' : `FLV video codec ${codecId}`;
    throw new HlsError('UNSUPPORTED_MEDIA', `${name} is not supported: publish H.264`);
  }
  if (body.length < AVC_TAG_HEADER_SIZE) throw invalid('AVC video tag shorter than its header');
  const packetType = body[1]!;
  // CompositionTime is a signed 24-bit value (§E.4.3.1): shift it to the top of an int32 and back.
  const cts = (((body[2]! << 16) | (body[3]! << 8) | body[4]!) << 8) >> 8;
  const payload = body.subarray(AVC_TAG_HEADER_SIZE);
  if (packetType === AVC_SEQUENCE_HEADER)
    return { kind: 'config', info: parseAvcDecoderConfigurationRecord(payload) };
  if (packetType === AVC_END_OF_SEQUENCE) return { kind: 'end-of-sequence' };
  if (packetType !== AVC_NALU) throw invalid(`unknown AVCPacketType ${packetType}`);
  if (payload.length === 0) return { kind: 'ignored' };
  const dts = to90k(timestampMs, FLV_TIMESCALE);
  const pts = to90k(timestampMs + cts, FLV_TIMESCALE);
  return { kind: 'sample', sample: { dts, pts, data: payload, keyframe: frameType === FRAME_KEY } };
}

/** Parses an audio tag body with its message timestamp (ms). Throws HlsError for codecs other than AAC. */
export function parseFlvAudioTag(body: Uint8Array, timestampMs: number): FlvAudioResult {
  const first = body[0];
  if (first === undefined) return { kind: 'ignored' };
  const soundFormat = first >> 4; // SoundFormat is the high nibble of the first byte
  if (soundFormat !== SOUND_FORMAT_AAC) {
    throw new HlsError('UNSUPPORTED_MEDIA', `FLV audio format ${soundFormat} is not supported: publish AAC`);
  }
  if (body.length < AAC_TAG_HEADER_SIZE) throw invalid('AAC audio tag shorter than its header');
  const packetType = body[1]!;
  const payload = body.subarray(AAC_TAG_HEADER_SIZE);
  if (packetType === AAC_SEQUENCE_HEADER) {
    if (payload.length < MIN_ASC_SIZE) throw invalid('AudioSpecificConfig shorter than 2 bytes');
    return {
      kind: 'config',
      info: { kind: 'audio', codec: 'aac', audioSpecificConfig: Uint8Array.from(payload) },
    };
  }
  if (packetType !== AAC_RAW) throw invalid(`unknown AACPacketType ${packetType}`);
  if (payload.length === 0) return { kind: 'ignored' };
  const dts = to90k(timestampMs, FLV_TIMESCALE);
  return { kind: 'sample', sample: { dts, pts: dts, data: payload, keyframe: true } };
}

/** Parses an AVCDecoderConfigurationRecord; width and height are left 0 (read them from the SPS). */
export function parseAvcDecoderConfigurationRecord(bytes: Uint8Array): H264TrackInfo {
  if (bytes.length < AVCC_FIXED_SIZE + 1) throw invalid('avcC shorter than its fixed fields');
  if (bytes[0] !== AVCC_VERSION) throw invalid(`avcC configurationVersion ${bytes[0]}`);
  const nalLengthSize = (bytes[4]! & 0x03) + 1; // lengthSizeMinusOne: low 2 bits of byte 4
  if (nalLengthSize === 3) throw invalid('avcC NAL length size 3 is not allowed');
  let pos = AVCC_FIXED_SIZE;
  const readSets = (count: number): Uint8Array[] => {
    const sets: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (pos + 2 > bytes.length) throw invalid('avcC truncated');
      const length = (bytes[pos]! << 8) | bytes[pos + 1]!;
      pos += 2;
      if (pos + length > bytes.length) throw invalid('avcC parameter set truncated');
      sets.push(Uint8Array.from(bytes.subarray(pos, pos + length)));
      pos += length;
    }
    return sets;
  };
  const sps = readSets(bytes[pos++]! & 0x1f); // numOfSequenceParameterSets: low 5 bits
  if (pos >= bytes.length) throw invalid('avcC has no PPS count');
  const pps = readSets(bytes[pos++]!);
  if (sps.length === 0 || pps.length === 0) throw invalid('avcC without SPS or PPS');
  return { kind: 'video', codec: 'h264', sps, pps, nalLengthSize, width: 0, height: 0 };
}

function invalid(message: string): HlsError {
  return new HlsError('MEDIA_INVALID', `flv: ${message}`);
}
