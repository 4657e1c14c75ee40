// The MP4 index: mp4box parses the moov box alone, then the first H.264 and first AAC track are
// copied into typed-array sample tables and mp4box's objects are dropped.
import { ISOFile, MP4BoxBuffer, MultiBufferStream } from 'mp4box';
import { HlsError } from '../core/errors.js';
import type { AacTrackInfo, H264TrackInfo } from '../core/media.js';
import { type EditListEntry, editListShift } from './edit-list.js';
import {
  buildSampleTable,
  type SampleTable,
  type SampleTableBoxes,
  sampleTableBytes,
} from './sample-table.js';
import { checkTableCounts } from './table-guard.js';
import {
  aacFacts,
  h264Info,
  isAacEntry,
  isH264Entry,
  refuseAudio,
  refuseVideo,
  type SampleEntryFields,
} from './track-codec.js';

export type { SampleTable } from './sample-table.js';

/** One packaged track: codec setup and its sample table. */
export interface Mp4Track {
  readonly id: number;
  readonly timescale: number;
  readonly info: H264TrackInfo | AacTrackInfo;
  readonly samples: SampleTable;
  /** End of the track's presentation on the movie timeline, in seconds. */
  readonly duration: number;
  readonly frameRate?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
}

/** What the packager needs to know about an MP4 file. */
export interface Mp4Index {
  /** Seconds: the later end of the two tracks. */
  readonly duration: number;
  readonly video?: Mp4Track;
  readonly audio?: Mp4Track;
  /** bytes held by the typed arrays */
  readonly memoryBytes: number;
}

/** Handler types (hdlr, ISO 14496-12 §8.4.3) of the tracks we package. */
const VIDEO_HANDLER = 'vide';
const AUDIO_HANDLER = 'soun';
/** Frame rates are reported to a thousandth (23.976). */
const FRAME_RATE_PRECISION = 1000;

/** The parts of mp4box's trak box read here; every level may be missing in a broken file. */
interface TrakFields {
  readonly tkhd?: { readonly track_id: number };
  readonly edts?: { readonly elst?: { readonly entries: readonly EditListEntry[] } };
  readonly mdia?: {
    readonly mdhd?: { readonly timescale: number };
    readonly hdlr?: { readonly handler: string };
    readonly minf?: { readonly stbl?: StblFields };
  };
}

interface StblFields {
  readonly stsd?: { readonly entries: readonly SampleEntryFields[] };
  readonly stts?: SampleTableBoxes['stts'];
  readonly ctts?: SampleTableBoxes['ctts'];
  readonly stss?: SampleTableBoxes['stss'];
  readonly stsc?: SampleTableBoxes['stsc'];
  readonly stsz?: {
    readonly sample_size: number;
    readonly sample_count: number;
    readonly sample_sizes: number[];
  };
  readonly stz2?: { readonly sample_sizes: number[] };
  readonly stco?: { readonly chunk_offsets: number[] };
  readonly co64?: { readonly chunk_offsets: number[] };
}

function invalid(reason: string): HlsError {
  return new HlsError('MEDIA_INVALID', `invalid MP4 file: ${reason}`);
}

/** Runs mp4box over the moov bytes alone and returns its moov box (fields read loosely). */
function parseWithMp4box(moov: Uint8Array): { traks: TrakFields[]; movieTimescale: number } {
  // One copy into mp4box's buffer type; fileStart 0 makes the moov the start of mp4box's "file".
  const buffer = new MP4BoxBuffer(moov.byteLength);
  new Uint8Array(buffer).set(moov);
  buffer.fileStart = 0;
  let file: ISOFile;
  try {
    file = new ISOFile(new MultiBufferStream(buffer));
    file.parse();
  } catch (cause) {
    throw new HlsError('MEDIA_INVALID', 'invalid MP4 file: moov box could not be parsed', { cause });
  }
  const moovBox = file.moov as unknown as
    | { traks?: TrakFields[]; mvhd?: { timescale: number }; mvex?: unknown }
    | undefined;
  if (moovBox === undefined || moovBox.mvhd === undefined) throw invalid('moov box could not be parsed');
  // mvex announces movie fragments (ISO 14496-12 §8.8.1): the samples live in moof boxes, not in the moov.
  if (moovBox.mvex !== undefined) {
    throw new HlsError('UNSUPPORTED_MEDIA', 'fragmented MP4 files cannot be packaged; remux with faststart');
  }
  return { traks: moovBox.traks ?? [], movieTimescale: moovBox.mvhd.timescale };
}

function sampleCount(stbl: StblFields | undefined): number {
  return stbl?.stsz?.sample_count ?? stbl?.stz2?.sample_sizes.length ?? 0;
}

function firstEntry(trak: TrakFields): SampleEntryFields | undefined {
  return trak.mdia?.minf?.stbl?.stsd?.entries[0];
}

/** The tables of `stbl` as plain arrays, or MEDIA_INVALID naming the missing box. */
function tableBoxes(stbl: StblFields, trackId: number): SampleTableBoxes {
  // mp4box leaves fields unset when a box is damaged; every array is checked before use.
  const damaged = (box: string) => invalid(`track ${trackId} has no usable ${box} box`);
  const ok = (...fields: unknown[]) => fields.every(Array.isArray);
  const { stts, ctts, stss, stsc, stsz, stz2 } = stbl;
  if (stts === undefined || !ok(stts.sample_counts, stts.sample_deltas)) throw damaged('stts');
  if (stsc === undefined || !ok(stsc.first_chunk, stsc.samples_per_chunk)) throw damaged('stsc');
  if (ctts !== undefined && !ok(ctts.sample_counts, ctts.sample_offsets)) throw damaged('ctts');
  if (stss !== undefined && !ok(stss.sample_numbers)) throw damaged('stss');
  const chunkOffsets = stbl.stco?.chunk_offsets ?? stbl.co64?.chunk_offsets;
  if (!ok(chunkOffsets)) throw damaged('stco');
  const sizes =
    stsz !== undefined && (stsz.sample_size > 0 || ok(stsz.sample_sizes))
      ? { count: stsz.sample_count, constant: stsz.sample_size, perSample: stsz.sample_sizes ?? [] }
      : stsz === undefined && stz2 !== undefined && ok(stz2.sample_sizes)
        ? { count: stz2.sample_sizes.length, constant: 0, perSample: stz2.sample_sizes }
        : undefined;
  if (sizes === undefined) throw damaged('stsz');
  return { stts, ctts, stss, stsc, sizes, chunkOffsets: chunkOffsets! };
}

function buildTrack(trak: TrakFields, movieTimescale: number): Omit<Mp4Track, 'info'> {
  const id = trak.tkhd?.track_id ?? 0;
  const timescale = trak.mdia?.mdhd?.timescale ?? 0;
  if (!(timescale > 0)) throw invalid(`track ${id} has no timescale`);
  const shift = editListShift(trak.edts?.elst?.entries, movieTimescale, timescale);
  const built = buildSampleTable(tableBoxes(trak.mdia!.minf!.stbl!, id), shift);
  return { id, timescale, samples: built.table, duration: Math.max(0, built.presentationEnd / timescale) };
}

function videoTrack(trak: TrakFields, movieTimescale: number): Mp4Track {
  const entry = firstEntry(trak)!;
  const info = h264Info(entry);
  const track = buildTrack(trak, movieTimescale);
  const { count, dts } = track.samples;
  const span = count > 1 ? dts[count - 1]! - dts[0]! : 0;
  const frameRate =
    span > 0
      ? Math.round((((count - 1) * track.timescale) / span) * FRAME_RATE_PRECISION) / FRAME_RATE_PRECISION
      : 0;
  return { ...track, info, ...(frameRate > 0 ? { frameRate } : {}) };
}

function audioTrack(trak: TrakFields, movieTimescale: number): Mp4Track {
  const facts = aacFacts(firstEntry(trak)!);
  const track = buildTrack(trak, movieTimescale);
  return { ...track, info: facts.info, sampleRate: facts.sampleRate, channels: facts.channels };
}

/** Tracks of one handler type that hold samples, in file order. */
function tracksOf(traks: readonly TrakFields[], handler: string): TrakFields[] {
  return traks.filter(
    (t) =>
      t.mdia?.hdlr?.handler === handler && firstEntry(t) !== undefined && sampleCount(t.mdia?.minf?.stbl) > 0,
  );
}

/** Bytes held by a track's typed arrays and codec setup. */
function trackBytes(track: Mp4Track | undefined): number {
  if (track === undefined) return 0;
  const info = track.info;
  const setup =
    info.kind === 'video'
      ? [...info.sps, ...info.pps].reduce((sum, ps) => sum + ps.byteLength, 0)
      : info.audioSpecificConfig.byteLength;
  return sampleTableBytes(track.samples) + setup;
}

/**
 * Indexes the moov box (its bytes, header included). Uses the first H.264 and the first AAC track;
 * throws UNSUPPORTED_MEDIA for other video or audio codecs and MEDIA_INVALID for broken tables.
 */
export function parseMoov(moov: Uint8Array): Mp4Index {
  checkTableCounts(moov);
  const { traks, movieTimescale } = parseWithMp4box(moov);
  const videos = tracksOf(traks, VIDEO_HANDLER);
  const audios = tracksOf(traks, AUDIO_HANDLER);
  const h264 = videos.find((t) => isH264Entry(firstEntry(t)!));
  const aac = audios.find((t) => isAacEntry(firstEntry(t)!));
  if (videos.length > 0 && h264 === undefined) refuseVideo(firstEntry(videos[0]!)!);
  if (audios.length > 0 && aac === undefined) refuseAudio(firstEntry(audios[0]!)!);
  if (h264 === undefined && aac === undefined) throw invalid('no audio or video track with samples');
  const video = h264 === undefined ? undefined : videoTrack(h264, movieTimescale);
  const audio = aac === undefined ? undefined : audioTrack(aac, movieTimescale);
  return {
    duration: Math.max(video?.duration ?? 0, audio?.duration ?? 0),
    ...(video ? { video } : {}),
    ...(audio ? { audio } : {}),
    memoryBytes: trackBytes(video) + trackBytes(audio),
  };
}
