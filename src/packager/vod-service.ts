// VOD: MP4 files under storageDir packaged on request into encrypted MPEG-TS segments. Playlists
// come from the deterministic segment plan, so every origin writes the same ones.

import { createHash } from 'node:crypto';
import path from 'node:path';
import { aacCodecString } from '../codecs/aac.js';
import { h264CodecString } from '../codecs/h264-sps.js';
import type { AppConfig } from '../config/schema.js';
import { expandTemplate } from '../config/variables.js';
import { HlsError } from '../core/errors.js';
import { resolveInside } from '../core/safe-path.js';
import type {
  ChunklistInfo,
  MediaService,
  SegmentBody,
  StreamPath,
  StreamRequest,
  VariantInfo,
} from '../core/stream.js';
import type { KeyRequest, KeyStore, ResolvedKey } from '../keys/key-store.js';
import type { Mp4Track } from '../mp4/mp4-index.js';
import type { Mp4Source, Mp4SourceCache } from './mp4-source.js';
import { type CacheRequest, SegmentCache, type SegmentLease } from './segment-cache.js';
import { segmentJobOf, tracksOf } from './segment-job.js';
import { keyBytes, segmentKey, segmentKeyRef } from './segment-keys.js';
import type { SegmentPlan } from './segment-plan.js';
import { InlinePackager, type SegmentPackager } from './segment-worker-pool.js';

/** Segments packaged ahead of the one requested. */
const PREFETCH_SEGMENTS = 3;

/** What the VOD service is built from. */
export interface VodServiceDeps {
  readonly sources: Mp4SourceCache;
  readonly keys: KeyStore;
  /** Where segments are muxed and encrypted (default: on the calling thread). */
  readonly packager?: SegmentPackager;
  /** Called with the time spent packaging each segment (for metrics). */
  readonly onPackaged?: (ms: number, bytes: number) => void;
}

/** The folder a stream's files live in: storageDir with its instance variable filled. */
export function storageDirOf(app: AppConfig, instance: string): string {
  return expandTemplate(app.storageDir, { ApplicationInstance: instance });
}

/** The key lookup of a stream (its name without prefix is `${Stream}`). */
export function keyRequestOf(app: AppConfig, p: Pick<StreamPath, 'app' | 'instance' | 'name'>): KeyRequest {
  return {
    app: p.app,
    instance: p.instance,
    stream: p.name,
    keyDir: expandTemplate(app.keyDir, { ApplicationInstance: p.instance }),
    keyFiles: app.encryption.keyFiles,
    missingKey: app.encryption.missingKey,
  };
}

/** End (exclusive) of the last byte any sample of `track` occupies. */
function sampleDataEnd(track: Mp4Track | undefined): number {
  if (track === undefined) return 0;
  const { count, offset, size } = track.samples;
  let end = 0;
  for (let i = 0; i < count; i++) end = Math.max(end, offset[i]! + size[i]!);
  return end;
}

/** Serves `mp4:` streams of VOD applications. */
export class VodService implements MediaService<AppConfig> {
  private readonly caches = new Map<string, SegmentCache>();
  /** Sources whose samples all lie inside their file (an index is replaced when its file changes). */
  private readonly complete = new WeakSet<Mp4Source>();

  private readonly packager: SegmentPackager;

  constructor(private readonly deps: VodServiceDeps) {
    this.packager = deps.packager ?? new InlinePackager();
  }

  private async source(req: StreamRequest<AppConfig>): Promise<Mp4Source> {
    const file = await resolveInside(storageDirOf(req.appConfig, req.path.instance), req.path.name);
    if (path.extname(file).toLowerCase() === '.smil') {
      throw new HlsError('UNSUPPORTED_MEDIA', 'a .smil file must be opened as smil:<name>.smil');
    }
    const src = await this.deps.sources.get(file);
    this.checkComplete(src);
    return src;
  }

  /**
   * Refuses a file whose samples run past its end (a faststart file cut short keeps a whole moov),
   * before any playlist promises segments that cannot be read.
   */
  private checkComplete(src: Mp4Source): void {
    if (this.complete.has(src)) return;
    if (Math.max(sampleDataEnd(src.index.video), sampleDataEnd(src.index.audio)) > src.size) {
      throw new HlsError(
        'MEDIA_INVALID',
        'invalid MP4 file: samples lie past the end of the file (truncated?)',
      );
    }
    this.complete.add(src);
  }

  private cacheOf(app: string, bytes: number): SegmentCache {
    let cache = this.caches.get(app);
    if (!cache) {
      cache = new SegmentCache(bytes, {
        // Segments the cache lets go of hold the next ones the packager makes.
        onReleased: (data) => this.packager.recycle(data),
        // A packaged segment has its buffer to itself, with some room to spare: count all of it.
        sizeOf: (data) => data.buffer.byteLength,
      });
      this.caches.set(app, cache);
    }
    return cache;
  }

  private static checkRendition(rendition: number): void {
    if (rendition !== 0) throw new HlsError('NOT_FOUND', 'unknown rendition');
  }

  async variants(req: StreamRequest<AppConfig>): Promise<readonly VariantInfo[]> {
    const src = await this.source(req);
    const plan = src.plan(req.appConfig.hls.chunkDurationTarget);
    const { video, audio } = tracksOf(src);
    const codecs: string[] = [];
    const sps = video?.sps[0];
    if (sps) codecs.push(h264CodecString(sps));
    if (audio) codecs.push(aacCodecString(audio.audioSpecificConfig));
    return [
      {
        bandwidth: plan.peakBitrate,
        averageBandwidth: plan.averageBitrate,
        codecs,
        resolution: video ? { width: video.width, height: video.height } : undefined,
        frameRate: src.index.video?.frameRate,
      },
    ];
  }

  async chunklist(req: StreamRequest<AppConfig>, rendition: number): Promise<ChunklistInfo> {
    VodService.checkRendition(rendition);
    const src = await this.source(req);
    const plan = src.plan(req.appConfig.hls.chunkDurationTarget);
    const resolved = await this.deps.keys.resolve(keyRequestOf(req.appConfig, req.path));
    const rotation = req.appConfig.encryption.keyRotation;
    return {
      targetDuration: plan.targetDuration,
      mediaSequence: 0,
      endList: true,
      live: false,
      segments: plan.segments.map((s) => ({
        sequence: s.index,
        duration: s.duration,
        key: segmentKeyRef(resolved, req.path, rotation, s.index),
      })),
    };
  }

  async segment(req: StreamRequest<AppConfig>, rendition: number, sequence: number): Promise<SegmentBody> {
    VodService.checkRendition(rendition);
    const src = await this.source(req);
    const plan = src.plan(req.appConfig.hls.chunkDurationTarget);
    if (sequence >= plan.segments.length) throw new HlsError('SEGMENT_NOT_FOUND', `no segment ${sequence}`);
    const resolved = await this.deps.keys.resolve(keyRequestOf(req.appConfig, req.path));
    const { lease, identity } = await this.packaged(req, src, plan, resolved, sequence);
    // Players and CDNs fetch segments in order: have the next few ready (in the cache) while this
    // one is on the wire, so the packaging workers stay ahead of the reader.
    if (req.appConfig.cache > 0) {
      const last = Math.min(plan.segments.length - 1, sequence + PREFETCH_SEGMENTS);
      for (let next = sequence + 1; next <= last; next++) {
        this.packaged(req, src, plan, resolved, next, { prefetch: true }).then(
          (ahead) => ahead.lease.release(),
          () => {},
        );
      }
    }
    const etag = `"${createHash('sha256').update(`${req.path.name}|${identity}`).digest('base64url').slice(0, 22)}"`;
    return { data: lease.data, etag, live: false, release: lease.release };
  }

  /** A lease on a segment's bytes from the cache, or read, muxed and encrypted (once, however many ask). */
  private async packaged(
    req: StreamRequest<AppConfig>,
    src: Mp4Source,
    plan: SegmentPlan,
    resolved: ResolvedKey,
    sequence: number,
    request: CacheRequest = {},
  ): Promise<{ lease: SegmentLease; identity: string }> {
    const app = req.appConfig;
    const key =
      resolved.kind === 'key'
        ? segmentKey(resolved.file, resolved.version, req.path, app.encryption.keyRotation, sequence)
        : undefined;
    const identity = [
      src.size,
      Math.round(src.mtimeMs),
      app.hls.chunkDurationTarget,
      sequence,
      resolved.kind === 'key' ? resolved.version : 'plain',
      key?.ref.keyIndex ?? '',
    ].join('|');
    const lease = await this.cacheOf(req.path.app, app.cache).getOrMake(
      `${src.path}|${identity}`,
      async () => {
        const started = performance.now();
        const out = await this.packager.run(segmentJobOf(src, plan, sequence, key?.key, key?.iv));
        this.deps.onPackaged?.(performance.now() - started, out.byteLength);
        return out;
      },
      request,
    );
    return { lease, identity };
  }

  async key(
    req: StreamRequest<AppConfig>,
    rendition: number,
    version: string,
    keyIndex: number,
  ): Promise<Buffer | undefined> {
    VodService.checkRendition(rendition);
    const file = await this.deps.keys.keyForVersion(keyRequestOf(req.appConfig, req.path), version);
    if (!file) return undefined;
    return keyBytes(file, req.path, req.appConfig.encryption.keyRotation, keyIndex);
  }
}
