// The file side of VOD packaging: indexes MP4 files from their moov alone, keeps the indexes in an
// LRU bounded by their typed-array bytes, and reads a planned segment's samples with few reads.
import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import { HlsError } from '../core/errors.js';
import { locateMoov, type ReadAt } from '../mp4/box-scan.js';
import { type Mp4Index, parseMoov } from '../mp4/mp4-index.js';
import {
  planSegmentRead,
  readSegmentSamples,
  type SegmentReadPlan,
  type SegmentSamples,
} from './mp4-segment-reader.js';
import { type PlannedSegment, planSegments, type SegmentPlan } from './segment-plan.js';

export type { SegmentSamples } from './mp4-segment-reader.js';
export { TS_OFFSET_90K } from './mp4-segment-reader.js';

/** An indexed MP4 file: its index, memoized segment plans, and segment reads. */
export interface Mp4Source {
  readonly path: string;
  /** File size and mtime the index was built from. */
  readonly size: number;
  readonly mtimeMs: number;
  readonly index: Mp4Index;
  /** The segment plan for a target duration in ms (computed once per target). */
  plan(targetMs: number): SegmentPlan;
  /** The samples of one segment of `plan` (a plan of this source), timestamps in 90 kHz + TS_OFFSET_90K. */
  readSegment(plan: SegmentPlan, segmentIndex: number): Promise<SegmentSamples>;
  /** Where the samples of one segment of `plan` lie in the file, for a reader elsewhere (a worker). */
  readPlan(plan: SegmentPlan, segmentIndex: number): SegmentReadPlan;
}

/** Options of Mp4SourceCache. */
export interface Mp4SourceCacheOptions {
  /** Upper bound of the summed `index.memoryBytes` kept; least recently used indexes go first. */
  readonly maxBytes: number;
}

/** Node error codes that mean "there is no such file". */
const MISSING_FILE_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function notFound(cause: unknown): HlsError {
  return new HlsError('NOT_FOUND', 'media file not found', { cause });
}

function isMissing(err: unknown): boolean {
  return MISSING_FILE_CODES.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** A ReadAt over an open file: reads until `length` bytes or the end of the file. */
function readerOf(handle: FileHandle): ReadAt {
  return async (offset, length) => {
    const buffer = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await handle.read(buffer, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === length ? buffer : buffer.subarray(0, got);
  };
}

async function openFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw isMissing(err) ? notFound(err) : err;
  }
}

class FileMp4Source implements Mp4Source {
  private readonly plans = new Map<number, SegmentPlan>();

  constructor(
    readonly path: string,
    readonly size: number,
    readonly mtimeMs: number,
    readonly index: Mp4Index,
  ) {}

  plan(targetMs: number): SegmentPlan {
    let plan = this.plans.get(targetMs);
    if (plan === undefined) {
      plan = planSegments(this.index, targetMs);
      this.plans.set(targetMs, plan);
    }
    return plan;
  }

  readPlan(plan: SegmentPlan, segmentIndex: number): SegmentReadPlan {
    return planSegmentRead(this.size, this.index, segmentOf(plan, segmentIndex));
  }

  async readSegment(plan: SegmentPlan, segmentIndex: number): Promise<SegmentSamples> {
    const segment = segmentOf(plan, segmentIndex);
    const handle = await openFile(this.path);
    try {
      const now = await handle.stat();
      if (now.size !== this.size || now.mtimeMs !== this.mtimeMs) {
        throw new HlsError(
          'SEGMENT_NOT_FOUND',
          'the media file changed since it was indexed; reload the playlist',
        );
      }
      return await readSegmentSamples(readerOf(handle), now.size, this.index, segment);
    } finally {
      await handle.close();
    }
  }
}

function segmentOf(plan: SegmentPlan, segmentIndex: number): PlannedSegment {
  const segment = Number.isInteger(segmentIndex) ? plan.segments[segmentIndex] : undefined;
  if (segment === undefined) throw new HlsError('SEGMENT_NOT_FOUND', `no segment ${segmentIndex}`);
  return segment;
}

/** Indexes a file: box headers and the moov are read, never the media data. */
async function indexFile(path: string): Promise<FileMp4Source> {
  const handle = await openFile(path);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notFound(undefined);
    const read = readerOf(handle);
    const where = await locateMoov(read, info.size);
    const moov = await read(where.offset, where.size);
    if (moov.length < where.size) throw new HlsError('MEDIA_INVALID', 'invalid MP4 file: moov box truncated');
    return new FileMp4Source(path, info.size, info.mtimeMs, parseMoov(moov));
  } finally {
    await handle.close();
  }
}

/**
 * Indexed MP4 files by path, re-indexed when size or mtime change, bounded by index bytes (LRU).
 * Concurrent gets of one file share one parse.
 */
export class Mp4SourceCache {
  private readonly maxBytes: number;
  private readonly entries = new Map<string, FileMp4Source>();
  private readonly pending = new Map<string, Promise<FileMp4Source>>();
  private held = 0;

  constructor(options: Mp4SourceCacheOptions) {
    this.maxBytes = options.maxBytes;
  }

  /** Summed `index.memoryBytes` of the cached indexes. */
  get bytes(): number {
    return this.held;
  }

  /** Number of cached indexes. */
  get count(): number {
    return this.entries.size;
  }

  /** The indexed source of `path`; NOT_FOUND, UNSUPPORTED_MEDIA or MEDIA_INVALID when it cannot be. */
  async get(path: string): Promise<Mp4Source> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (err) {
      throw isMissing(err) ? notFound(err) : err;
    }
    if (!info.isFile()) throw notFound(undefined);
    const cached = this.entries.get(path);
    if (cached !== undefined && cached.size === info.size && cached.mtimeMs === info.mtimeMs) {
      this.entries.delete(path);
      this.entries.set(path, cached);
      return cached;
    }
    const key = `${path}\0${info.size}\0${info.mtimeMs}`;
    let parse = this.pending.get(key);
    if (parse === undefined) {
      parse = indexFile(path).finally(() => this.pending.delete(key));
      this.pending.set(key, parse);
      parse.then((source) => this.store(source)).catch(() => {});
    }
    return parse;
  }

  /** Drops the index of `path`, if cached. */
  delete(path: string): void {
    const entry = this.entries.get(path);
    if (entry === undefined) return;
    this.entries.delete(path);
    this.held -= entry.index.memoryBytes;
  }

  private store(source: FileMp4Source): void {
    const current = this.entries.get(source.path);
    // A slower parse of an older version must not replace a newer index.
    if (current !== undefined && current.mtimeMs > source.mtimeMs) return;
    this.delete(source.path);
    this.entries.set(source.path, source);
    this.held += source.index.memoryBytes;
    for (const [path] of this.entries) {
      if (this.held <= this.maxBytes) break;
      this.delete(path);
    }
  }
}
