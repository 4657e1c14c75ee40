// AAC setup: parses the AudioSpecificConfig (ISO 14496-3 §1.6.2.1), builds 7-byte ADTS headers
// (§1.A.2.2) for MPEG-TS and the RFC 6381 codec string.

import { HlsError } from '../core/errors.js';
import { BitReader } from './bit-reader.js';

/** What the muxer and playlists need from an AudioSpecificConfig. */
export interface AacConfig {
  /** audioObjectType as signalled first (2 = AAC-LC, 5 = SBR, 29 = PS); used in the codec string. */
  readonly objectType: number;
  /** The object type of the core coder: equal to objectType except with explicit SBR/PS signalling. */
  readonly coreObjectType: number;
  /** Core sampling rate in Hz. */
  readonly sampleRate: number;
  /** samplingFrequencyIndex (0..12), or 15 when the rate is written out explicitly. */
  readonly samplingFrequencyIndex: number;
  /** channelConfiguration (0 = defined in a program config element, 7 = 7.1). */
  readonly channelConfiguration: number;
  /** Number of output channels (0 when channelConfiguration is 0). */
  readonly channels: number;
}

/** Sampling frequencies by samplingFrequencyIndex (§1.6.3.3, Table 1.18). */
export const AAC_SAMPLE_RATES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** audioObjectType value that escapes to 32 + a 6-bit extension (§1.6.2.1). */
const OBJECT_TYPE_ESCAPE = 31;
/** samplingFrequencyIndex value followed by an explicit 24-bit frequency. */
const FREQUENCY_INDEX_EXPLICIT = 15;
/** Object types that signal SBR (5) or parametric stereo (29) explicitly, followed by the core type. */
const OBJECT_TYPE_SBR = 5;
const OBJECT_TYPE_PS = 29;
/** Channel counts by channelConfiguration (Table 1.19); 7 is 7.1. */
const CHANNELS_BY_CONFIGURATION = [0, 1, 2, 3, 4, 5, 6, 8];

/** Size of an ADTS header without CRC (protection_absent = 1). */
export const ADTS_HEADER_SIZE = 7;
/** aac_frame_length is 13 bits and counts the header too. */
const ADTS_MAX_FRAME_LENGTH = 0x1fff;
/** adts_buffer_fullness 0x7FF signals a variable bit rate stream. */
const ADTS_BUFFER_FULLNESS_VBR = 0x7ff;

/** Parses an AudioSpecificConfig. Trailing extension data (e.g. backward-compatible SBR) is ignored. */
export function parseAudioSpecificConfig(asc: Uint8Array): AacConfig {
  if (asc.length < 2) throw new HlsError('MEDIA_INVALID', 'AudioSpecificConfig is shorter than 2 bytes');
  const r = new BitReader(asc);
  const objectType = readObjectType(r);
  const { index, rate } = readFrequency(r);
  const channelConfiguration = r.readBits(4);
  let coreObjectType = objectType;
  if (objectType === OBJECT_TYPE_SBR || objectType === OBJECT_TYPE_PS) {
    readFrequency(r); // extensionSamplingFrequencyIndex: the SBR output rate
    coreObjectType = readObjectType(r);
  }
  // A reserved index reads as rate 0, as does an explicit rate of 0.
  if (rate <= 0) throw new HlsError('MEDIA_INVALID', 'AudioSpecificConfig has an invalid sampling rate');
  if (channelConfiguration >= CHANNELS_BY_CONFIGURATION.length) {
    throw new HlsError('MEDIA_INVALID', `reserved AAC channel configuration ${channelConfiguration}`);
  }
  return {
    objectType,
    coreObjectType,
    sampleRate: rate,
    samplingFrequencyIndex: index,
    channelConfiguration,
    channels: CHANNELS_BY_CONFIGURATION[channelConfiguration]!,
  };
}

function readObjectType(r: BitReader): number {
  const type = r.readBits(5);
  return type === OBJECT_TYPE_ESCAPE ? 32 + r.readBits(6) : type;
}

function readFrequency(r: BitReader): { index: number; rate: number } {
  const index = r.readBits(4);
  if (index === FREQUENCY_INDEX_EXPLICIT) return { index, rate: r.readBits(24) };
  return { index, rate: AAC_SAMPLE_RATES[index] ?? 0 };
}

/** The RFC 6381 codec string, e.g. `mp4a.40.2`; accepts an AudioSpecificConfig or its parsed form. */
export function aacCodecString(asc: Uint8Array | AacConfig): string {
  const config = asc instanceof Uint8Array ? parseAudioSpecificConfig(asc) : asc;
  return `mp4a.40.${config.objectType}`;
}

/** The fields an ADTS header carries, checked once per track so the per-frame write cannot fail. */
export interface AdtsParams {
  /** profile_ObjectType: the core object type minus one (2 bits). */
  readonly profile: number;
  /** sampling_frequency_index (4 bits, 0..12). */
  readonly samplingFrequencyIndex: number;
  /** channel_configuration (3 bits, 1..7). */
  readonly channelConfiguration: number;
}

/** Derives ADTS parameters from a parsed config; throws UNSUPPORTED_MEDIA for what ADTS cannot say. */
export function adtsParams(config: AacConfig): AdtsParams {
  const profile = config.coreObjectType - 1;
  if (profile < 0 || profile > 3) {
    throw new HlsError(
      'UNSUPPORTED_MEDIA',
      `AAC object type ${config.coreObjectType} cannot be carried in ADTS`,
    );
  }
  // ADTS has no explicit-frequency escape: map a written-out rate back to its index when it has one.
  const index =
    config.samplingFrequencyIndex === FREQUENCY_INDEX_EXPLICIT
      ? AAC_SAMPLE_RATES.indexOf(config.sampleRate)
      : config.samplingFrequencyIndex;
  if (index < 0) {
    throw new HlsError(
      'UNSUPPORTED_MEDIA',
      `AAC sampling rate ${config.sampleRate} cannot be carried in ADTS`,
    );
  }
  if (config.channelConfiguration === 0) {
    throw new HlsError('UNSUPPORTED_MEDIA', 'AAC with a program config element cannot be carried in ADTS');
  }
  return { profile, samplingFrequencyIndex: index, channelConfiguration: config.channelConfiguration };
}

/** Writes a 7-byte ADTS header for a raw frame of `payloadLength` bytes into `out` at `offset`. */
export function writeAdtsHeader(
  out: Uint8Array,
  offset: number,
  params: AdtsParams,
  payloadLength: number,
): void {
  const frameLength = ADTS_HEADER_SIZE + payloadLength;
  if (frameLength > ADTS_MAX_FRAME_LENGTH) {
    throw new HlsError('MEDIA_INVALID', `AAC frame of ${payloadLength} bytes is too large for ADTS`);
  }
  const channels = params.channelConfiguration;
  out[offset] = 0xff; // syncword 0xFFF (12 bits)
  out[offset + 1] = 0xf1; // ...syncword, ID 0 (MPEG-4), layer 00, protection_absent 1
  // profile (2) | sampling_frequency_index (4) | private_bit (1) | channel_configuration bit 2
  out[offset + 2] = (params.profile << 6) | (params.samplingFrequencyIndex << 2) | (channels >> 2);
  // channel_configuration bits 1..0 | original/copy, home, copyright bits (0) | frame_length bits 12..11
  out[offset + 3] = ((channels & 0x3) << 6) | (frameLength >> 11);
  out[offset + 4] = (frameLength >> 3) & 0xff; // frame_length bits 10..3
  // frame_length bits 2..0 | adts_buffer_fullness bits 10..6
  out[offset + 5] = ((frameLength & 0x7) << 5) | (ADTS_BUFFER_FULLNESS_VBR >> 6);
  // adts_buffer_fullness bits 5..0 | number_of_raw_data_blocks_in_frame - 1 (0)
  out[offset + 6] = (ADTS_BUFFER_FULLNESS_VBR & 0x3f) << 2;
}

/** A freshly allocated ADTS header for a raw frame of `payloadLength` bytes. */
export function adtsHeader(params: AdtsParams, payloadLength: number): Uint8Array {
  const out = new Uint8Array(ADTS_HEADER_SIZE);
  writeAdtsHeader(out, 0, params, payloadLength);
  return out;
}
