// `smil:` streams of VOD applications (SPEC §6): a master playlist with one variant per SMIL entry;
// each rendition is its MP4 served as `mp4:` would serve it, with its own key lookup (the key
// files of that MP4's name). Segment plans depend only on each file's keyframes, so renditions
// with aligned keyframes are cut at the same times.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { HlsError, isHlsError } from '../core/errors.js';
import { resolveInside } from '../core/safe-path.js';
import type { ChunklistInfo, MediaService, SegmentBody, StreamRequest, VariantInfo } from '../core/stream.js';
import { parseSmil, type SmilRendition } from './smil-file.js';
import { storageDirOf, type VodService } from './vod-service.js';

/** A SMIL file is a short list; anything larger is not one. */
const MAX_SMIL_BYTES = 1024 * 1024;
/** Parsed SMIL files kept, by path. */
const MAX_CACHED_FILES = 256;

interface CachedSmil {
  readonly size: number;
  readonly mtimeMs: number;
  readonly renditions: readonly SmilRendition[];
}

/** Serves SMIL adaptive sets over the VOD service. */
export class SmilService implements MediaService<AppConfig> {
  private readonly files = new Map<string, CachedSmil>();

  constructor(private readonly vod: VodService) {}

  /** The renditions of the SMIL file a request names (re-read when the file changes). */
  private async entries(req: StreamRequest<AppConfig>): Promise<readonly SmilRendition[]> {
    const file = await resolveInside(storageDirOf(req.appConfig, req.path.instance), req.path.name);
    if (path.extname(file).toLowerCase() !== '.smil') {
      throw new HlsError('UNSUPPORTED_MEDIA', 'smil: must name a .smil file');
    }
    // Removed between the two calls: as missing as it would have been a moment earlier.
    const gone = (err: unknown) =>
      new HlsError('NOT_FOUND', `file not found: ${req.path.name}`, { cause: err });
    const info = await stat(file).catch((err: unknown) => {
      throw gone(err);
    });
    if (!info.isFile()) throw new HlsError('NOT_FOUND', `file not found: ${req.path.name}`);
    const cached = this.files.get(file);
    if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) return cached.renditions;
    if (info.size > MAX_SMIL_BYTES) {
      throw new HlsError('MEDIA_INVALID', `invalid SMIL file: larger than ${MAX_SMIL_BYTES} bytes`);
    }
    const renditions = parseSmil(
      await readFile(file, 'utf8').catch((err: unknown) => {
        throw gone(err);
      }),
    );
    this.files.delete(file);
    this.files.set(file, { size: info.size, mtimeMs: info.mtimeMs, renditions });
    for (const key of this.files.keys()) {
      if (this.files.size <= MAX_CACHED_FILES) break;
      this.files.delete(key);
    }
    return renditions;
  }

  /** The `mp4:` request of one rendition. */
  private static renditionRequest(req: StreamRequest<AppConfig>, r: SmilRendition): StreamRequest<AppConfig> {
    return {
      appConfig: req.appConfig,
      path: { ...req.path, kind: 'mp4', stream: `mp4:${r.file}`, name: r.file },
    };
  }

  private async rendition(req: StreamRequest<AppConfig>, index: number): Promise<StreamRequest<AppConfig>> {
    const r = (await this.entries(req))[index];
    if (r === undefined) throw new HlsError('NOT_FOUND', 'unknown rendition');
    return SmilService.renditionRequest(req, r);
  }

  async renditions(req: StreamRequest<AppConfig>): Promise<number> {
    return (await this.entries(req)).length;
  }

  async variants(req: StreamRequest<AppConfig>): Promise<readonly VariantInfo[]> {
    const renditions = await this.entries(req);
    const variants: VariantInfo[] = [];
    for (const [i, r] of renditions.entries()) {
      try {
        variants.push(...(await this.vod.variants(SmilService.renditionRequest(req, r))));
      } catch (err) {
        // Name the entry: a SMIL that lists a missing or unplayable file must say which.
        if (!isHlsError(err)) throw err;
        throw new HlsError(err.code, `SMIL entry ${i + 1} (${r.file}): ${err.message}`, { cause: err });
      }
    }
    return variants;
  }

  async chunklist(req: StreamRequest<AppConfig>, rendition: number): Promise<ChunklistInfo> {
    return this.vod.chunklist(await this.rendition(req, rendition), 0);
  }

  async segment(req: StreamRequest<AppConfig>, rendition: number, sequence: number): Promise<SegmentBody> {
    return this.vod.segment(await this.rendition(req, rendition), 0, sequence);
  }

  async key(
    req: StreamRequest<AppConfig>,
    rendition: number,
    version: string,
    keyIndex: number,
  ): Promise<Buffer | undefined> {
    return this.vod.key(await this.rendition(req, rendition), 0, version, keyIndex);
  }
}
