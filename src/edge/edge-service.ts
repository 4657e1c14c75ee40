// Edge (repeater) and pull streams (SPEC §8): playlists and segments pulled from an upstream HLS
// origin (another hls-origin, nginx-rtmp, Wowza, ffmpeg's files behind any web server) and served
// as our own. Each upstream segment is fetched once however many players ask, decrypted when the
// upstream encrypted it, checked to be MPEG-TS, and encrypted again with this server's keys:
// encryption always happens at the edge, and no upstream key or session id reaches a player.

import { createDecipheriv, createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { AppConfig } from '../config/schema.js';
import { HlsError, isHlsError } from '../core/errors.js';
import { resolveInside } from '../core/safe-path.js';
import type {
  ChunkInfo,
  ChunklistInfo,
  MediaService,
  SegmentBody,
  StreamRequest,
  VariantInfo,
} from '../core/stream.js';
import { encryptSegment, ivFromSequence } from '../crypto/segment-cipher.js';
import type { KeyFile } from '../keys/key-file.js';
import type { KeyStore } from '../keys/key-store.js';
import { SegmentCache } from '../packager/segment-cache.js';
import { keyBytes, segmentKey } from '../packager/segment-keys.js';
import { keyRequestOf, storageDirOf } from '../packager/vod-service.js';
import {
  type Fetched,
  type FetchLimits,
  httpFetch,
  redactUrl,
  type UpstreamFetch,
} from './upstream-fetch.js';
import {
  parseUpstreamPlaylist,
  type UpstreamMediaPlaylist,
  type UpstreamSegment,
  type UpstreamVariant,
} from './upstream-playlist.js';

const PLAYLIST_LIMITS: FetchLimits = { timeoutMs: 10_000, maxBytes: 4 * 1024 * 1024 };
const SEGMENT_LIMITS: FetchLimits = { timeoutMs: 30_000, maxBytes: 64 * 1024 * 1024 };
const KEY_LIMITS: FetchLimits = { timeoutMs: 10_000, maxBytes: 1024 };
/** A `.stream` file holds one URL. */
const MAX_STREAM_FILE_BYTES = 4096;
/** How long an upstream master playlist is reused. */
const MASTER_TTL_MS = 10_000;
/** How long an upstream VOD (ended) media playlist is reused; a live one, half its target duration. */
const ENDED_PLAYLIST_TTL_MS = 60_000;
const MIN_LIVE_PLAYLIST_TTL_MS = 500;
/** Upstream playlists and keys remembered, each. */
const MAX_REMEMBERED = 1024;
/** BANDWIDTH of a variant the upstream gave no figures for (a bare media playlist). */
const UNMEASURED_BANDWIDTH = 2_000_000;
const AES_KEY_BYTES = 16;
const TS_PACKET_SIZE = 188;
const TS_SYNC_BYTE = 0x47;

/** What the edge service is built from. */
export interface EdgeServiceDeps {
  readonly keys: KeyStore;
  /** How upstream URLs are fetched (default: HTTP with Node's fetch). */
  readonly fetch?: UpstreamFetch;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
}

/** A variant of an upstream master, its URI resolved. */
interface Variant {
  readonly url: string;
  readonly info: VariantInfo;
}

/** A value fetched once for many askers and reused until it expires. */
interface Remembered<T> {
  readonly value: Promise<T>;
  expires: number;
  /** When the value arrived; undefined while it is being fetched. */
  settledAt?: number;
}

/** Fetched values by key, shared while in flight, reused until they expire, bounded in number. */
class Remember<T> {
  private readonly entries = new Map<string, Remembered<T>>();

  constructor(private readonly now: () => number) {}

  /** The value of `key`, made by `make` when absent or expired; `ttl` says how long it lasts. */
  get(key: string, make: () => Promise<T>, ttl: (value: T) => number): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now()) return hit.value;
    const entry: Remembered<T> = { value: make(), expires: Number.POSITIVE_INFINITY };
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.value.then(
      (value) => {
        entry.settledAt = this.now();
        entry.expires = entry.settledAt + ttl(value);
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    for (const k of this.entries.keys()) {
      if (this.entries.size <= MAX_REMEMBERED) break;
      this.entries.delete(k);
    }
    return entry.value;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  /**
   * Lets the next `get` of `key` fetch anew if the value held arrived at least `minAgeMs` ago; a
   * fetch in flight, or a value just fetched, stays shared.
   */
  expire(key: string, minAgeMs: number): void {
    const entry = this.entries.get(key);
    if (entry?.settledAt !== undefined && this.now() - entry.settledAt >= minAgeMs) this.entries.delete(key);
  }
}

/** An upstream URI resolved against the URL it came from; only http(s) is fetched. */
function resolveUri(uri: string, base: string): string {
  let url: URL;
  try {
    url = new URL(uri, base);
  } catch {
    throw new HlsError('UPSTREAM_FAILED', 'upstream playlist names an invalid URI');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HlsError('UPSTREAM_FAILED', `upstream playlist names a ${url.protocol} URI`);
  }
  return url.href;
}

/** Upstream answers 401 and 403: a session id of ours the upstream no longer accepts. */
const REFUSALS = new WeakSet<HlsError>();

/** `<app>/<instance>/<stream>`: what a stream's keys and cached segments belong to. */
function streamIdOf(req: StreamRequest<AppConfig>): string {
  return `${req.path.app}/${req.path.instance}/${req.path.stream}`;
}

/** RFC 6381 codec strings: letters, digits and `.` `+` `-`; anything else could break our playlist. */
const CODEC_RE = /^[A-Za-z0-9.+-]{1,64}$/;

/** The stream part of an edge URL as the upstream's path: each segment encoded, `:` kept. */
function upstreamStreamPath(stream: string): string {
  return stream
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/%3A/gi, ':'))
    .join('/');
}

/** Serves edge applications and `.stream` pull streams. */
export class EdgeService implements MediaService<AppConfig> {
  private readonly fetch: UpstreamFetch;
  private readonly now: () => number;
  private readonly masters: Remember<Variant[]>;
  private readonly playlists: Remember<{ url: string; playlist: UpstreamMediaPlaylist }>;
  private readonly upstreamKeys: Remember<Buffer>;
  private readonly caches = new Map<string, SegmentCache>();
  /** Key versions segments were listed with, by stream and rendition, then media sequence number. */
  private readonly keyVersions = new Map<string, Map<number, string>>();

  constructor(private readonly deps: EdgeServiceDeps) {
    this.fetch = deps.fetch ?? httpFetch;
    this.now = deps.now ?? Date.now;
    this.masters = new Remember(this.now);
    this.playlists = new Remember(this.now);
    this.upstreamKeys = new Remember(this.now);
  }

  /** The upstream playlist URL of a request: `<originUrl>/<stream>/playlist.m3u8`, or a `.stream` file's. */
  private async sourceUrl(req: StreamRequest<AppConfig>): Promise<string> {
    if (req.path.kind === 'pull') return this.streamFileUrl(req);
    const app = req.appConfig;
    if (app.type !== 'edge') throw new HlsError('STREAM_NOT_FOUND', 'not an edge application');
    return `${app.originUrl.replace(/\/+$/, '')}/${upstreamStreamPath(req.path.stream)}/playlist.m3u8`;
  }

  /** The URL a `.stream` file under storageDir holds: its first line that is not a comment. */
  private async streamFileUrl(req: StreamRequest<AppConfig>): Promise<string> {
    const file = await resolveInside(storageDirOf(req.appConfig, req.path.instance), req.path.name);
    // Removed between the two calls: as missing as it would have been a moment earlier.
    const gone = (err: unknown) =>
      new HlsError('NOT_FOUND', `file not found: ${req.path.name}`, { cause: err });
    const info = await stat(file).catch((err: unknown) => {
      throw gone(err);
    });
    if (!info.isFile()) throw new HlsError('NOT_FOUND', `file not found: ${req.path.name}`);
    if (info.size > MAX_STREAM_FILE_BYTES) {
      throw new HlsError('MEDIA_INVALID', `invalid .stream file: larger than ${MAX_STREAM_FILE_BYTES} bytes`);
    }
    const line = (
      await readFile(file, 'utf8').catch((err: unknown) => {
        throw gone(err);
      })
    )
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('#'));
    let url: URL | undefined;
    try {
      url = line === undefined ? undefined : new URL(line);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new HlsError('MEDIA_INVALID', 'invalid .stream file: its first line must be an http(s) URL');
    }
    return url.href;
  }

  /** Fetches an upstream playlist; 404 is the stream's absence, anything but 200 a failure. */
  private async fetchPlaylist(url: string, what: string): Promise<Fetched> {
    const res = await this.fetch(url, PLAYLIST_LIMITS);
    // 4xx answers reach players: no upstream URL in them (5xx reasons only reach the log).
    if (res.status === 404 || res.status === 410)
      throw new HlsError('STREAM_NOT_FOUND', `upstream has no such ${what}`);
    if (res.status === 401 || res.status === 403) {
      const refused = new HlsError(
        'UPSTREAM_FAILED',
        `upstream refused the ${what} (${res.status}): ${redactUrl(url)}`,
      );
      REFUSALS.add(refused);
      throw refused;
    }
    if (res.status !== 200) {
      throw new HlsError('UPSTREAM_FAILED', `upstream answered ${res.status} for ${what}: ${redactUrl(url)}`);
    }
    return res;
  }

  /** The upstream's variants (a bare media playlist is one variant of unknown bandwidth). */
  private variantsOf(req: StreamRequest<AppConfig>): Promise<Variant[]> {
    return this.sourceUrl(req).then((source) =>
      this.masters.get(
        source,
        async () => {
          const res = await this.fetchPlaylist(source, 'playlist');
          const parsed = parseUpstreamPlaylist(res.body.toString('utf8'));
          if (parsed.kind === 'media') {
            return [{ url: res.url, info: { bandwidth: UNMEASURED_BANDWIDTH, codecs: [] } }];
          }
          return parsed.variants.map(({ uri, ...info }: UpstreamVariant) => {
            if (!info.codecs.every((c) => CODEC_RE.test(c))) {
              throw new HlsError('UPSTREAM_FAILED', 'upstream master playlist has an invalid CODECS');
            }
            return { url: resolveUri(uri, res.url), info };
          });
        },
        () => MASTER_TTL_MS,
      ),
    );
  }

  /** The upstream media playlist of `rendition`, reused for a while; `fresh` skips the reuse. */
  private async media(
    req: StreamRequest<AppConfig>,
    rendition: number,
    fresh = false,
  ): Promise<{ url: string; playlist: UpstreamMediaPlaylist }> {
    const variant = (await this.variantsOf(req))[rendition];
    if (variant === undefined) throw new HlsError('NOT_FOUND', 'unknown rendition');
    if (fresh) this.playlists.expire(variant.url, MIN_LIVE_PLAYLIST_TTL_MS);
    try {
      return await this.fetchMedia(variant.url);
    } catch (err) {
      // A chunklist URL from a reused master may carry an upstream session that has expired: the
      // upstream refuses it or no longer knows it. Other failures do not fetch the master again.
      const expired = isHlsError(err) && (err.code === 'STREAM_NOT_FOUND' || REFUSALS.has(err));
      if (!expired) throw err;
      this.masters.forget(await this.sourceUrl(req));
      const again = (await this.variantsOf(req))[rendition];
      if (again === undefined || again.url === variant.url) throw err;
      return this.fetchMedia(again.url);
    }
  }

  private fetchMedia(url: string): Promise<{ url: string; playlist: UpstreamMediaPlaylist }> {
    return this.playlists.get(
      url,
      async () => {
        const res = await this.fetchPlaylist(url, 'chunklist');
        const parsed = parseUpstreamPlaylist(res.body.toString('utf8'));
        if (parsed.kind !== 'media') {
          throw new HlsError('UPSTREAM_FAILED', `upstream chunklist is a master playlist: ${redactUrl(url)}`);
        }
        return { url: res.url, playlist: parsed.playlist };
      },
      ({ playlist }) =>
        playlist.endList
          ? ENDED_PLAYLIST_TTL_MS
          : Math.max(MIN_LIVE_PLAYLIST_TTL_MS, (playlist.targetDuration * 1000) / 2),
    );
  }

  /**
   * The keys of a rendition's segments by media sequence number: the version a segment was first
   * listed with while that version is still retained (SPEC §5: segments in the window keep their
   * key when the key file changes), else the current one; undefined when the policy serves the
   * stream in the clear. The key file is looked up once, however many segments ask.
   */
  private async keysOf(
    req: StreamRequest<AppConfig>,
    rendition: number,
  ): Promise<(sequence: number) => Promise<{ file: KeyFile; version: string } | undefined>> {
    const request = keyRequestOf(req.appConfig, req.path);
    const resolved = await this.deps.keys.resolve(request);
    const versions = this.versionsOf(req, rendition);
    return async (sequence) => {
      if (resolved.kind !== 'key') return undefined;
      const first = versions.get(sequence);
      if (first !== undefined && first !== resolved.version) {
        const file = await this.deps.keys.keyForVersion(request, first);
        if (file) return { file, version: first };
      }
      versions.set(sequence, resolved.version);
      return { file: resolved.file, version: resolved.version };
    };
  }

  /** The key versions segments of a rendition were listed with, by media sequence number. */
  private versionsOf(req: StreamRequest<AppConfig>, rendition: number): Map<number, string> {
    const key = `${streamIdOf(req)}|${rendition}`;
    let versions = this.keyVersions.get(key);
    if (versions === undefined) {
      versions = new Map();
      for (const k of this.keyVersions.keys()) {
        if (this.keyVersions.size < MAX_REMEMBERED) break;
        this.keyVersions.delete(k);
      }
    } else {
      this.keyVersions.delete(key);
    }
    this.keyVersions.set(key, versions);
    return versions;
  }

  async renditions(req: StreamRequest<AppConfig>): Promise<number> {
    return (await this.variantsOf(req)).length;
  }

  async variants(req: StreamRequest<AppConfig>): Promise<readonly VariantInfo[]> {
    return (await this.variantsOf(req)).map((v) => v.info);
  }

  async chunklist(req: StreamRequest<AppConfig>, rendition: number): Promise<ChunklistInfo> {
    const { playlist } = await this.media(req, rendition);
    const rotation = req.appConfig.encryption.keyRotation;
    const keyOf = await this.keysOf(req, rendition);
    const segments: ChunkInfo[] = [];
    for (const s of playlist.segments) {
      const key = await keyOf(s.sequence);
      segments.push({
        sequence: s.sequence,
        duration: s.duration,
        discontinuity: s.discontinuity,
        programDateTime: s.programDateTime,
        key: key ? segmentKey(key.file, key.version, req.path, rotation, s.sequence).ref : { kind: 'none' },
      });
    }
    // Versions of segments that left the upstream window are no longer needed.
    const versions = this.versionsOf(req, rendition);
    for (const sequence of versions.keys()) {
      if (sequence < playlist.mediaSequence) versions.delete(sequence);
    }
    return {
      targetDuration: playlist.targetDuration,
      mediaSequence: playlist.mediaSequence,
      discontinuitySequence: playlist.discontinuitySequence,
      endList: playlist.endList,
      // An upstream VOD playlist stays VOD; one that was live stays live when it ends.
      live: playlist.playlistType !== 'VOD',
      segments,
    };
  }

  async segment(req: StreamRequest<AppConfig>, rendition: number, sequence: number): Promise<SegmentBody> {
    let media = await this.media(req, rendition);
    let upstream = media.playlist.segments.find((s) => s.sequence === sequence);
    // A live window moves on: a segment newer than the playlist held asks for a fresh one (at most
    // one fetch every MIN_LIVE_PLAYLIST_TTL_MS, shared); an older or made-up one does not.
    const last = media.playlist.segments.at(-1)?.sequence ?? media.playlist.mediaSequence - 1;
    if (upstream === undefined && !media.playlist.endList && sequence > last) {
      media = await this.media(req, rendition, true);
      upstream = media.playlist.segments.find((s) => s.sequence === sequence);
    }
    if (upstream === undefined) throw new HlsError('SEGMENT_NOT_FOUND', `no segment ${sequence}`);
    const segmentUrl = resolveUri(upstream.uri, media.url);
    const app = req.appConfig;
    const key = await (await this.keysOf(req, rendition))(sequence);
    const ours = key
      ? segmentKey(key.file, key.version, req.path, app.encryption.keyRotation, sequence)
      : undefined;
    // Everything the bytes depend on: the stream and rendition (keys and rotation derive from
    // them), the upstream segment, and our key.
    const identity = [
      streamIdOf(req),
      rendition,
      segmentUrl,
      sequence,
      key?.version ?? 'plain',
      ours?.ref.keyIndex ?? '',
    ].join('|');
    const found = upstream;
    const lease = await this.cacheOf(req.path.app, app.cache).getOrMake(identity, async () => {
      const plain = await this.fetchSegment(segmentUrl, found, media.url);
      return ours ? encryptSegment(plain, ours.key, ours.iv) : plain;
    });
    const etag = `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`;
    return { data: lease.data, etag, live: media.playlist.playlistType !== 'VOD', release: lease.release };
  }

  /** An upstream segment's MPEG-TS bytes, decrypted when the upstream encrypted them. */
  private async fetchSegment(
    url: string,
    segment: UpstreamSegment,
    playlistUrl: string,
  ): Promise<Uint8Array> {
    const res = await this.fetch(url, SEGMENT_LIMITS);
    if (res.status === 404 || res.status === 410) {
      throw new HlsError('SEGMENT_NOT_FOUND', `upstream has no segment ${segment.sequence}`);
    }
    if (res.status !== 200) {
      throw new HlsError(
        'UPSTREAM_FAILED',
        `upstream answered ${res.status} for segment ${segment.sequence}`,
      );
    }
    let data: Buffer = res.body;
    if (segment.key.method === 'AES-128') {
      if (segment.key.uri === undefined) throw new HlsError('UPSTREAM_FAILED', 'upstream key has no URI');
      const key = await this.upstreamKey(resolveUri(segment.key.uri, playlistUrl));
      const iv = segment.key.iv ?? ivFromSequence(segment.sequence);
      try {
        const decipher = createDecipheriv('aes-128-cbc', key, iv);
        data = Buffer.concat([decipher.update(data), decipher.final()]);
      } catch (err) {
        throw new HlsError(
          'UPSTREAM_FAILED',
          `upstream segment ${segment.sequence} does not decrypt with its key`,
          {
            cause: err,
          },
        );
      }
    }
    if (data.length === 0 || data.length % TS_PACKET_SIZE !== 0 || data[0] !== TS_SYNC_BYTE) {
      throw new HlsError('UPSTREAM_FAILED', `upstream segment ${segment.sequence} is not MPEG-TS`);
    }
    return data;
  }

  /** An upstream AES-128 key (16 bytes), fetched once and reused for a while. */
  private upstreamKey(url: string): Promise<Buffer> {
    return this.upstreamKeys.get(
      url,
      async () => {
        const res = await this.fetch(url, KEY_LIMITS);
        if (res.status !== 200) {
          throw new HlsError(
            'UPSTREAM_FAILED',
            `upstream answered ${res.status} for a key: ${redactUrl(url)}`,
          );
        }
        if (res.body.length !== AES_KEY_BYTES) {
          throw new HlsError(
            'UPSTREAM_FAILED',
            `upstream key is ${res.body.length} bytes, not ${AES_KEY_BYTES}`,
          );
        }
        return res.body;
      },
      () => MASTER_TTL_MS,
    );
  }

  private cacheOf(app: string, bytes: number): SegmentCache {
    let cache = this.caches.get(app);
    if (!cache) {
      cache = new SegmentCache(bytes);
      this.caches.set(app, cache);
    }
    return cache;
  }

  async key(
    req: StreamRequest<AppConfig>,
    rendition: number,
    version: string,
    keyIndex: number,
  ): Promise<Buffer | undefined> {
    if (rendition < 0 || rendition >= (await this.renditions(req))) return undefined;
    const file = await this.deps.keys.keyForVersion(keyRequestOf(req.appConfig, req.path), version);
    return file ? keyBytes(file, req.path, req.appConfig.encryption.keyRotation, keyIndex) : undefined;
  }
}
