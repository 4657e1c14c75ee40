// Reads the codec setup of an MP4 sample entry (stsd, ISO 14496-12 §8.5.2) into the shared track
// types, and refuses codecs that cannot go into MPEG-TS for HLS players with a reason.
import { HlsError } from '../core/errors.js';
import type { AacTrackInfo, H264TrackInfo } from '../core/media.js';

/** The fields of an mp4box sample entry this file reads (structural, so tests can pass plain objects). */
export interface SampleEntryFields {
  readonly type: string;
  readonly width?: number;
  readonly height?: number;
  readonly channel_count?: number;
  readonly avcC?: {
    readonly lengthSizeMinusOne: number;
    readonly SPS: ArrayLike<{ readonly data: Uint8Array }>;
    readonly PPS: ArrayLike<{ readonly data: Uint8Array }>;
  };
  readonly esds?: { readonly esd: { findDescriptor(tag: number): unknown } };
}

/** Audio facts read from the AudioSpecificConfig (ISO 14496-3 §1.6.2.1). */
export interface AacFacts {
  readonly info: AacTrackInfo;
  readonly sampleRate: number;
  readonly channels: number;
}

/** Sample entry types of H.264 (ISO 14496-15 §5.4): avc3 carries parameter sets in band too. */
const H264_ENTRY_TYPES = new Set(['avc1', 'avc3']);
const HEVC_ENTRY_TYPES = new Set(['hvc1', 'hev1', 'dvh1', 'dvhe']);
/** ES_Descriptor children (ISO 14496-1 §7.2.6): DecoderConfigDescriptor, DecoderSpecificInfo. */
const DECODER_CONFIG_TAG = 0x04;
const DECODER_SPECIFIC_INFO_TAG = 0x05;
/** objectTypeIndication values (MP4RA) that are AAC: MPEG-4 audio and MPEG-2 AAC Main/LC/SSR. */
const AAC_OTIS = new Set([0x40, 0x66, 0x67, 0x68]);
/** Names of other objectTypeIndication values seen in mp4a entries. */
const OTI_NAMES: Record<number, string> = { 105: 'MP3', 107: 'MP3', 165: 'AC-3', 166: 'E-AC-3', 173: 'Opus' };
/** Readable names of sample entry types we refuse. */
const ENTRY_NAMES: Record<string, string> = {
  vp08: 'VP8',
  vp09: 'VP9',
  av01: 'AV1',
  mp4v: 'MPEG-4 Part 2',
  mjpg: 'Motion JPEG',
  jpeg: 'JPEG',
  vvc1: 'VVC',
  vvi1: 'VVC',
  '.mp3': 'MP3',
  'ac-3': 'AC-3',
  'ec-3': 'E-AC-3',
  Opus: 'Opus',
  fLaC: 'FLAC',
  alac: 'ALAC',
  encv: 'encrypted video',
  enca: 'encrypted audio',
};
/** samplingFrequencyIndex → Hz (ISO 14496-3 §1.6.3.4); index 15 means an explicit 24-bit rate. */
const AAC_SAMPLE_RATES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];
const EXPLICIT_RATE_INDEX = 15;
/** audioObjectType 31 escapes to 32 + a 6-bit value. */
const AOT_ESCAPE = 31;
/** channelConfiguration 7 is 7.1 (8 channels); 1–6 are the channel count. */
const CHANNELS_7_1_CONFIG = 7;

/** The message for HEVC video, which Apple players accept in fMP4 only. */
export const HEVC_REFUSAL = 'HEVC cannot be packaged into MPEG-TS for Apple players; use H.264';

function unsupported(kind: 'video' | 'audio', name: string): HlsError {
  return new HlsError(
    'UNSUPPORTED_MEDIA',
    `${kind} codec ${name} cannot be packaged; use H.264 video and AAC audio`,
  );
}

/** True when the entry is H.264 video with an avcC box. */
export function isH264Entry(entry: SampleEntryFields): boolean {
  return H264_ENTRY_TYPES.has(entry.type) && entry.avcC !== undefined;
}

/** The DecoderConfigDescriptor's objectTypeIndication of an mp4a entry, if any. */
function objectType(entry: SampleEntryFields): number | undefined {
  const config = entry.esds?.esd.findDescriptor(DECODER_CONFIG_TAG) as { oti?: number } | undefined;
  return config?.oti;
}

/** True when the entry is AAC audio (mp4a with an AAC objectTypeIndication). */
export function isAacEntry(entry: SampleEntryFields): boolean {
  if (entry.type !== 'mp4a') return false;
  const oti = objectType(entry);
  return oti !== undefined && AAC_OTIS.has(oti);
}

/** Throws the UNSUPPORTED_MEDIA error naming the codec of a video entry that is not H.264. */
export function refuseVideo(entry: SampleEntryFields): never {
  if (HEVC_ENTRY_TYPES.has(entry.type)) throw new HlsError('UNSUPPORTED_MEDIA', HEVC_REFUSAL);
  throw unsupported('video', ENTRY_NAMES[entry.type] ?? `'${entry.type}'`);
}

/** Throws the UNSUPPORTED_MEDIA error naming the codec of an audio entry that is not AAC. */
export function refuseAudio(entry: SampleEntryFields): never {
  const oti = entry.type === 'mp4a' ? objectType(entry) : undefined;
  const name =
    oti !== undefined
      ? (OTI_NAMES[oti] ?? `mp4a/0x${oti.toString(16)}`)
      : (ENTRY_NAMES[entry.type] ?? `'${entry.type}'`);
  throw unsupported('audio', name);
}

/** H.264 setup from the avcC box (ISO 14496-15 §5.3.3.1); parameter sets are copied out. */
export function h264Info(entry: SampleEntryFields): H264TrackInfo {
  const avcC = entry.avcC;
  if (avcC === undefined) return refuseVideo(entry);
  const copy = (list: ArrayLike<{ readonly data: Uint8Array }>) => Array.from(list, (ps) => ps.data.slice());
  return {
    kind: 'video',
    codec: 'h264',
    sps: copy(avcC.SPS),
    pps: copy(avcC.PPS),
    nalLengthSize: avcC.lengthSizeMinusOne + 1,
    width: entry.width ?? 0,
    height: entry.height ?? 0,
  };
}

/** Reads `count` bits at bit position `pos` of `bytes`, most significant bit first. */
function bits(bytes: Uint8Array, pos: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const bit = pos + i;
    value = value * 2 + (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1);
  }
  return value;
}

/** AAC setup from the esds AudioSpecificConfig; rate and channels come from it, not from the mp4a box. */
export function aacFacts(entry: SampleEntryFields): AacFacts {
  const config = entry.esds?.esd.findDescriptor(DECODER_CONFIG_TAG) as
    | { findDescriptor(tag: number): { data?: Uint8Array } | undefined }
    | undefined;
  const asc = config?.findDescriptor(DECODER_SPECIFIC_INFO_TAG)?.data;
  if (asc === undefined || asc.length < 2) {
    throw new HlsError('MEDIA_INVALID', 'invalid MP4 file: AAC track without an AudioSpecificConfig');
  }
  // audioObjectType: 5 bits (+6 when escaped), samplingFrequencyIndex: 4 bits, channelConfiguration: 4 bits.
  let pos = bits(asc, 0, 5) === AOT_ESCAPE ? 11 : 5;
  const rateIndex = bits(asc, pos, 4);
  pos += 4;
  let sampleRate = AAC_SAMPLE_RATES[rateIndex] ?? 0;
  if (rateIndex === EXPLICIT_RATE_INDEX) {
    sampleRate = bits(asc, pos, 24);
    pos += 24;
  }
  const channelConfig = bits(asc, pos, 4);
  const channels =
    channelConfig === 0
      ? (entry.channel_count ?? 0)
      : channelConfig === CHANNELS_7_1_CONFIG
        ? 8
        : channelConfig;
  return { info: { kind: 'audio', codec: 'aac', audioSpecificConfig: asc.slice() }, sampleRate, channels };
}
