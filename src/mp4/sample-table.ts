// Expands the run-length coded sample tables of an MP4 track (stts, ctts, stss, stsc, stsz, stco;
// ISO 14496-12 §8.6–8.7) into compact typed arrays: about 25 bytes a sample, no object per sample.
import { HlsError } from '../core/errors.js';

/** Per-sample columns of one track, indexed by sample number − 1 (decode order). */
export interface SampleTable {
  readonly count: number;
  /** Byte offset of each sample in the file. */
  readonly offset: Float64Array;
  /** Byte size of each sample. */
  readonly size: Uint32Array;
  /** Decode time in track timescale ticks, edit list applied (may be negative). */
  readonly dts: Float64Array;
  /** Composition offset: `dts + cto` is the presentation time in track timescale ticks. */
  readonly cto: Int32Array;
  /** 1 = sync sample. */
  readonly sync: Uint8Array;
}

/** The sample boxes of one track as plain arrays (the fields mp4box parses). */
export interface SampleTableBoxes {
  /** stts: runs of equal decode deltas. */
  readonly stts: { readonly sample_counts: readonly number[]; readonly sample_deltas: readonly number[] };
  /** ctts: runs of composition offsets; absent = all zero. */
  readonly ctts?: { readonly sample_counts: readonly number[]; readonly sample_offsets: readonly number[] };
  /** stss: 1-based sync sample numbers; absent = every sample is sync. */
  readonly stss?: { readonly sample_numbers: readonly number[] };
  /** stsc: runs of chunks with the same number of samples (1-based chunk numbers). */
  readonly stsc: { readonly first_chunk: readonly number[]; readonly samples_per_chunk: readonly number[] };
  /** stsz/stz2: one size for all samples (`constant` > 0) or a size per sample. */
  readonly sizes: {
    readonly count: number;
    readonly constant: number;
    readonly perSample: readonly number[];
  };
  /** stco/co64: file offset of each chunk. */
  readonly chunkOffsets: readonly number[];
}

/** A sample table plus the times derived while building it. */
export interface BuiltSampleTable {
  readonly table: SampleTable;
  /** Largest presentation end (pts + duration) in ticks, edit list applied. */
  readonly presentationEnd: number;
  /** Sum of the decode deltas of all samples, in ticks. */
  readonly decodeDuration: number;
}

/** Bytes a SampleTable spends per sample: offset 8 + size 4 + dts 8 + cto 4 + sync 1. */
export const SAMPLE_TABLE_BYTES_PER_SAMPLE = 25;
/** More samples than this in one track (24 h at 120 fps is 10.4 M) is a corrupt count, not a movie. */
export const MAX_SAMPLES_PER_TRACK = 20_000_000;

function invalid(reason: string): HlsError {
  return new HlsError('MEDIA_INVALID', `invalid MP4 sample table: ${reason}`);
}

function fillSizes(boxes: SampleTableBoxes, size: Uint32Array): void {
  const { constant, perSample } = boxes.sizes;
  if (constant > 0) {
    size.fill(constant);
    return;
  }
  if (perSample.length < size.length) throw invalid('fewer sizes than samples');
  for (let i = 0; i < size.length; i++) size[i] = perSample[i]!;
}

/** Decode times from stts; returns the duration of each sample's run for the presentation end. */
function fillTimes(boxes: SampleTableBoxes, dts: Float64Array, durations: Float64Array): number {
  const { sample_counts, sample_deltas } = boxes.stts;
  let i = 0;
  let t = 0;
  for (let run = 0; run < sample_counts.length && i < dts.length; run++) {
    const delta = sample_deltas[run] ?? 0;
    for (let n = sample_counts[run]!; n > 0 && i < dts.length; n--, i++) {
      dts[i] = t;
      durations[i] = delta;
      t += delta;
    }
  }
  if (i < dts.length) throw invalid('stts covers fewer samples than stsz');
  return t;
}

function fillOffsetsCto(boxes: SampleTableBoxes, cto: Int32Array): void {
  if (boxes.ctts === undefined) return;
  const { sample_counts, sample_offsets } = boxes.ctts;
  let i = 0;
  for (let run = 0; run < sample_counts.length && i < cto.length; run++) {
    // Int32Array storage reads a version-0 offset above 2^31 as the negative value writers meant.
    const value = sample_offsets[run] ?? 0;
    for (let n = sample_counts[run]!; n > 0 && i < cto.length; n--, i++) cto[i] = value;
  }
}

function fillSync(boxes: SampleTableBoxes, sync: Uint8Array): void {
  if (boxes.stss === undefined) {
    sync.fill(1);
    return;
  }
  for (const number of boxes.stss.sample_numbers) {
    if (number >= 1 && number <= sync.length) sync[number - 1] = 1;
  }
}

function fillFileOffsets(boxes: SampleTableBoxes, size: Uint32Array, offset: Float64Array): void {
  const { first_chunk, samples_per_chunk } = boxes.stsc;
  const chunks = boxes.chunkOffsets;
  let i = 0;
  for (let run = 0; run < first_chunk.length && i < offset.length; run++) {
    const firstChunk = first_chunk[run]!;
    const lastChunk = run + 1 < first_chunk.length ? first_chunk[run + 1]! - 1 : chunks.length;
    const perChunk = samples_per_chunk[run]!;
    if (firstChunk < 1 || lastChunk > chunks.length) throw invalid('stsc refers to a missing chunk');
    for (let chunk = firstChunk; chunk <= lastChunk && i < offset.length; chunk++) {
      let pos = chunks[chunk - 1]!;
      for (let n = 0; n < perChunk && i < offset.length; n++, i++) {
        offset[i] = pos;
        pos += size[i]!;
      }
    }
  }
  if (i < offset.length) throw invalid('chunks hold fewer samples than stsz');
}

/**
 * Builds the typed-array table of one track. `shift` (ticks) is added to every decode time so that
 * `dts + cto` lands on the movie timeline (see edit-list.ts).
 */
export function buildSampleTable(boxes: SampleTableBoxes, shift: number): BuiltSampleTable {
  const count = boxes.sizes.count;
  if (!(Number.isSafeInteger(count) && count >= 0 && count <= MAX_SAMPLES_PER_TRACK)) {
    throw invalid(`implausible sample count ${count}`);
  }
  const table = {
    count,
    offset: new Float64Array(count),
    size: new Uint32Array(count),
    dts: new Float64Array(count),
    cto: new Int32Array(count),
    sync: new Uint8Array(count),
  };
  // Durations are only needed to find the presentation end; this array is dropped afterwards.
  const durations = new Float64Array(count);
  fillSizes(boxes, table.size);
  const decodeDuration = fillTimes(boxes, table.dts, durations);
  fillOffsetsCto(boxes, table.cto);
  fillSync(boxes, table.sync);
  fillFileOffsets(boxes, table.size, table.offset);
  let presentationEnd = count === 0 ? shift : Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    table.dts[i]! += shift;
    const end = table.dts[i]! + table.cto[i]! + durations[i]!;
    if (end > presentationEnd) presentationEnd = end;
  }
  return { table, presentationEnd, decodeDuration };
}

/** Bytes held by the typed arrays of `table`. */
export function sampleTableBytes(table: SampleTable): number {
  return (
    table.offset.byteLength +
    table.size.byteLength +
    table.dts.byteLength +
    table.cto.byteLength +
    table.sync.byteLength
  );
}
