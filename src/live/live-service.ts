// Live streams published over RTMP: the registry of streams, the publish rules (one publisher a
// name, publishSecret, grace period), and the MediaService that serves their playlists and segments.

import { timingSafeEqual } from 'node:crypto';
import { aacCodecString } from '../codecs/aac.js';
import { h264CodecString, parseH264Sps } from '../codecs/h264-sps.js';
import type { AppConfig, Config, LiveAppConfig } from '../config/schema.js';
import { HlsError } from '../core/errors.js';
import type {
  ChunklistInfo,
  LiveStreamSummary,
  MediaService,
  SegmentBody,
  StreamRequest,
  VariantInfo,
} from '../core/stream.js';
import type { RtmpIngestHandler } from '../ingest/rtmp/session.js';
import type { KeyStore } from '../keys/key-store.js';
import { keyBytes } from '../packager/segment-keys.js';
import { keyRequestOf } from '../packager/vod-service.js';
import { LiveStream } from './live-stream.js';

/** Names of live streams and instances: one URL segment, safe in file names. */
const NAME_RE = /^[A-Za-z0-9_.-]{1,200}$/;
/** What a master playlist says before any segment has been measured (bits/s). */
const UNMEASURED_BANDWIDTH = 2_000_000;

/** Logging the live side needs (pino's Logger satisfies it). */
export interface LiveLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the live service is built from. */
export interface LiveServiceDeps {
  readonly config: Config;
  readonly keys: KeyStore;
  readonly logger: LiveLogger;
  readonly now?: () => number;
  /** Called with the time spent muxing and encrypting each segment (for metrics). */
  readonly onPackaged?: (ms: number, bytes: number) => void;
}

/** The RFC 6381 codec strings and picture size of what a stream's publisher sent. */
function tracksOf(s: LiveStream): { codecs: string[]; resolution?: { width: number; height: number } } {
  const codecs: string[] = [];
  let resolution: { width: number; height: number } | undefined;
  const sps = s.video?.sps[0];
  if (sps) {
    codecs.push(h264CodecString(sps));
    const info = parseH264Sps(sps);
    resolution = { width: info.width, height: info.height };
  }
  if (s.audio) codecs.push(aacCodecString(s.audio.audioSpecificConfig));
  return { codecs, resolution };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The live streams of every live application, and how they are served. */
export class LiveService implements MediaService<AppConfig> {
  private readonly streams = new Map<string, LiveStream>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => number;

  constructor(private readonly deps: LiveServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The live stream a URL names, or 404. */
  stream(app: string, instance: string, name: string): LiveStream {
    const s = this.streams.get(`${app}/${instance}/${name}`);
    if (!s) throw new HlsError('STREAM_NOT_FOUND', `no live stream ${name}`);
    return s;
  }

  /** All streams, for listings. */
  list(): LiveStream[] {
    return [...this.streams.values()];
  }

  /** Every stream as `/api/streams` lists it. */
  summaries(): LiveStreamSummary[] {
    return this.list().map((s) => {
      const { codecs, resolution } = tracksOf(s);
      return {
        app: s.app,
        instance: s.instance,
        name: s.name,
        state: s.state,
        codecs,
        ...resolution,
        bitrate: s.ingestBitrate,
        ingestBytes: s.ingestBytes,
        publisher: s.publisher,
        startedAt: s.startedAt.toISOString(),
        segments: s.window().length,
      };
    });
  }

  /** The event handler of one RTMP connection from `peer`. */
  ingestHandler(peer: string): RtmpIngestHandler {
    let current: LiveStream | undefined;
    const release = () => {
      if (current?.state !== 'publishing') return;
      const stream = current;
      current = undefined;
      void stream.stopPublish();
      this.deps.logger.info(
        { stream: stream.name, app: stream.app },
        'publisher left; waiting for a republish',
      );
      this.schedule(stream, stream.config.gracePeriod, () => {
        stream.end();
        this.deps.logger.info({ stream: stream.name, app: stream.app }, 'live stream ended');
        const keep = stream.config.hls.maxChunkCount * stream.config.hls.chunkDurationTarget;
        this.schedule(stream, keep, () => this.streams.delete(keyOf(stream)));
      });
    };
    return {
      onPublish: (req) => {
        const app = Object.hasOwn(this.deps.config.applications, req.app)
          ? this.deps.config.applications[req.app]
          : undefined;
        if (app?.type !== 'live') {
          return {
            ok: false,
            code: 'NetStream.Publish.BadName',
            description: `no live application ${req.app}`,
          };
        }
        if (app.instances && !app.instances.includes(req.instance)) {
          return {
            ok: false,
            code: 'NetStream.Publish.BadName',
            description: `unknown instance ${req.instance}`,
          };
        }
        if (!NAME_RE.test(req.stream) || !NAME_RE.test(req.instance)) {
          return { ok: false, code: 'NetStream.Publish.BadName', description: 'invalid stream name' };
        }
        if (app.publishSecret !== undefined) {
          const given = new URLSearchParams(req.query).get('secret') ?? '';
          if (!safeEqual(given, app.publishSecret)) {
            this.deps.logger.warn({ app: req.app, stream: req.stream, peer }, 'publish refused: bad secret');
            return { ok: false, code: 'NetStream.Publish.Denied', description: 'publish secret refused' };
          }
        }
        const key = `${req.app}/${req.instance}/${req.stream}`;
        let stream = this.streams.get(key);
        if (stream?.state === 'publishing') {
          return {
            ok: false,
            code: 'NetStream.Publish.BadName',
            description: `${req.stream} is already publishing`,
          };
        }
        this.cancel(key);
        if (!stream || stream.state === 'ended') {
          stream = new LiveStream(req.app, req.instance, req.stream, app, {
            keys: this.deps.keys,
            keyRequest: keyRequestOf(app, { app: req.app, instance: req.instance, name: req.stream }),
            logger: this.deps.logger,
            now: this.now,
            onPackaged: this.deps.onPackaged,
          });
          this.streams.set(key, stream);
        }
        stream.startPublish(peer);
        current = stream;
        this.deps.logger.info(
          { app: req.app, instance: req.instance, stream: req.stream, peer },
          'publish started',
        );
        return { ok: true };
      },
      onVideoConfig: (info) => {
        if (current) current.video = info;
      },
      onAudioConfig: (info) => {
        if (current) current.audio = info;
      },
      onSample: (kind, sample) => current?.addSample(kind, sample),
      onUnpublish: release,
      onClose: release,
    };
  }

  private schedule(stream: LiveStream, ms: number, fn: () => void): void {
    const key = keyOf(stream);
    this.cancel(key);
    const t = setTimeout(() => {
      this.timers.delete(key);
      fn();
    }, ms);
    t.unref();
    this.timers.set(key, t);
  }

  private cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  /** Stops every timer (server shutdown). */
  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private streamOf(req: StreamRequest<AppConfig>): LiveStream {
    return this.stream(req.path.app, req.path.instance, req.path.name);
  }

  async variants(req: StreamRequest<AppConfig>): Promise<readonly VariantInfo[]> {
    const s = this.streamOf(req);
    const { codecs, resolution } = tracksOf(s);
    const window = s.window();
    let peak = 0;
    let bytes = 0;
    let seconds = 0;
    for (const seg of window) {
      if (seg.duration > 0) peak = Math.max(peak, (seg.data.byteLength * 8) / seg.duration);
      bytes += seg.data.byteLength;
      seconds += seg.duration;
    }
    const average = seconds > 0 ? (bytes * 8) / seconds : UNMEASURED_BANDWIDTH;
    return [{ bandwidth: peak || average, averageBandwidth: average, codecs, resolution }];
  }

  async chunklist(req: StreamRequest<AppConfig>, rendition: number): Promise<ChunklistInfo> {
    if (rendition !== 0) throw new HlsError('NOT_FOUND', 'unknown rendition');
    const s = this.streamOf(req);
    const cfg = s.config;
    // Fail closed: a stream whose key is refused answers 403 here rather than an empty playlist.
    await this.deps.keys.resolve(keyRequestOf(cfg, req.path));
    const window = s.window();
    if (window.length === 0)
      throw new HlsError('STREAM_NOT_FOUND', `live stream ${s.name} has no segments yet`);
    const listed = window.slice(-cfg.hls.playlistChunkCount);
    const first = listed[0]!;
    const longest = Math.max(...window.map((w) => w.duration));
    return {
      targetDuration: Math.max(Math.ceil(cfg.hls.chunkDurationTarget / 1000), Math.ceil(longest - 1e-6)),
      mediaSequence: first.sequence,
      discontinuitySequence: s.discontinuitySequence(first.sequence),
      endList: s.state === 'ended',
      live: true,
      segments: listed.map((seg) => ({
        sequence: seg.sequence,
        duration: seg.duration,
        key: seg.key,
        discontinuity: seg.discontinuity,
        programDateTime: seg.programDateTime,
      })),
    };
  }

  async segment(req: StreamRequest<AppConfig>, rendition: number, sequence: number): Promise<SegmentBody> {
    if (rendition !== 0) throw new HlsError('NOT_FOUND', 'unknown rendition');
    const seg = this.streamOf(req)
      .window()
      .find((w) => w.sequence === sequence);
    if (!seg) throw new HlsError('SEGMENT_NOT_FOUND', `no segment ${sequence} in the live window`);
    return { data: seg.data, etag: `"${req.path.name}-${sequence}"`, live: true };
  }

  async key(
    req: StreamRequest<AppConfig>,
    rendition: number,
    version: string,
    keyIndex: number,
  ): Promise<Buffer | undefined> {
    if (rendition !== 0) return undefined;
    const s = this.streamOf(req);
    const seg = s
      .window()
      .find((w) => w.key.kind === 'key' && w.key.version === version && (w.key.keyIndex ?? 0) === keyIndex);
    if (seg?.aesKey) return seg.aesKey;
    const file = await this.deps.keys.keyForVersion(
      keyRequestOf(s.config as LiveAppConfig, req.path),
      version,
    );
    return file ? keyBytes(file, req.path, s.config.encryption.keyRotation, keyIndex) : undefined;
  }
}

function keyOf(s: LiveStream): string {
  return `${s.app}/${s.instance}/${s.name}`;
}
