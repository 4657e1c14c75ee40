// The stream route: /<app>[/<instance>]/<stream>/<file> for master playlists, chunklists,
// segments and built-in keys. Services produce media; this file writes URIs, session ids,
// cache headers and HTTP semantics (ETag, Range, HEAD).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig, Config } from '../config/schema.js';
import { HlsError } from '../core/errors.js';
import type { ChunkInfo, MediaService, SegmentKeyRef, StreamRequest } from '../core/stream.js';
import { verifySecureToken } from '../crypto/secure-token.js';
import { ivHex } from '../crypto/segment-cipher.js';
import { writeMasterPlaylist } from '../hls/master-playlist.js';
import { type KeyTag, writeMediaPlaylist } from '../hls/media-playlist.js';
import type { RequestKind } from './metrics.js';
import { parseRange } from './range.js';
import { newSession, requireSession, type SessionContext, withQuery } from './session.js';
import { chunklistName, keyName, parseStreamFile, segmentName } from './stream-files.js';
import {
  DEFAULT_INSTANCE,
  parseStreamPath,
  type StreamKind,
  type StreamPath,
  streamKey,
} from './stream-path.js';
import { fileUri, joinUrl, streamBasePath } from './uris.js';

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
const SEGMENT_TYPE = 'video/mp2t';
const KEY_TYPE = 'application/octet-stream';
const AES_KEY_BYTES = 16;
/** VOD playlists without a session id may be cached this long (seconds). */
const VOD_PLAYLIST_MAX_AGE = 60;
/** VOD segments never change for a given URL. */
const VOD_SEGMENT_CACHE = 'public, max-age=31536000, immutable';

/** The services by the kind of stream they serve. */
/** The service of each stream kind; `edge` serves every stream of edge applications and `.stream` pulls. */
export type MediaServices = Partial<Record<StreamKind | 'edge', MediaService<AppConfig>>>;

/** What the stream route needs. */
export interface StreamRouteDeps {
  readonly config: Config;
  readonly services: MediaServices;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** Which stream kinds each application type serves. */
const KINDS_BY_APP_TYPE: Record<AppConfig['type'], readonly StreamKind[]> = {
  vod: ['mp4', 'smil', 'pull'],
  live: ['live', 'ngrp', 'pull'],
  edge: ['live', 'mp4', 'smil', 'ngrp', 'pull'],
};

function rawPathAndQuery(url: string): { path: string; query: URLSearchParams } {
  const q = url.indexOf('?');
  return q < 0
    ? { path: url, query: new URLSearchParams() }
    : { path: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
}

function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** Builds the route handler. */
export function streamHandler(deps: StreamRouteDeps) {
  return async function handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { path: rawPath, query } = rawPathAndQuery(request.raw.url ?? '/');
    const path = parseStreamPath(rawPath);
    request.hlsKind = fileKindOf(path.file);
    const found = Object.hasOwn(deps.config.applications, path.app)
      ? deps.config.applications[path.app]
      : undefined;
    if (!found) throw new HlsError('APP_NOT_FOUND', `unknown application: ${path.app}`);
    const appConfig: AppConfig = found;
    // VOD and pulled streams (edge applications, .stream files) take their instance from URLs
    // alone, and each instance would get its own generated keys: only the configured ones (by
    // default "_definst_") exist. Live instances are created by publishers.
    const fromUrlAlone = appConfig.type !== 'live' || path.kind === 'pull';
    const instances = appConfig.instances ?? (fromUrlAlone ? [DEFAULT_INSTANCE] : undefined);
    if (instances && !instances.includes(path.instance)) {
      throw new HlsError('NOT_FOUND', `unknown instance ${path.instance} of application ${path.app}`);
    }
    const pulled = appConfig.type === 'edge' || path.kind === 'pull';
    const service = KINDS_BY_APP_TYPE[appConfig.type].includes(path.kind)
      ? deps.services[pulled ? 'edge' : path.kind]
      : undefined;
    if (!service) {
      throw new HlsError(
        'STREAM_NOT_FOUND',
        `${path.kind} streams are not served by application ${path.app}`,
      );
    }
    const req: StreamRequest<AppConfig> = { path, appConfig };
    const file = parseStreamFile(path.file);
    const enc = appConfig.encryption;
    const session: SessionContext = {
      secret: deps.config.server.secret,
      nowSeconds: Math.floor(deps.now() / 1000),
      lifetimeSeconds: enc.sessionLifetime,
    };
    const sidParam = enc.sessionIdParam;
    const key = streamKey(path);

    switch (file.type) {
      case 'master': {
        checkSecureToken(appConfig, path, query, request.ip, session.nowSeconds);
        const sid = newSession(session, key);
        request.sessionId = sid;
        const variants = await service.variants(req);
        const n = service.renditions ? await service.renditions(req) : variants.length;
        const body = writeMasterPlaylist(
          variants.map(({ rendition, ...v }, i) => ({
            ...v,
            uri: withQuery(uriOf(appConfig, path, chunklistName(rendition ?? i, n), request), sidParam, sid),
          })),
        );
        return sendText(reply, PLAYLIST_TYPE, 'private, no-cache', body);
      }
      case 'chunklist': {
        const given = query.get(sidParam) ?? undefined;
        let sid: string;
        if (given !== undefined || appConfig.secureToken) sid = requireSession(session, given, key);
        else sid = newSession(session, key);
        request.sessionId = sid;
        const rendition = file.rendition;
        const renditions = service.renditions
          ? await service.renditions(req)
          : (await service.variants(req)).length;
        if (file.rendition >= renditions) throw new HlsError('NOT_FOUND', 'unknown rendition');
        const info = await service.chunklist(req, file.rendition);
        let usesSession = false;
        const segments = info.segments.map((s: ChunkInfo) => {
          const tag = keyTag(s.key);
          if (tag.usesSession) usesSession = true;
          return {
            uri: uriOf(appConfig, path, segmentName(file.rendition, renditions, s.sequence), request),
            duration: s.duration,
            key: tag.tag,
            discontinuity: s.discontinuity,
            programDateTime: s.programDateTime,
          };
        });
        const body = writeMediaPlaylist({
          targetDuration: info.targetDuration,
          mediaSequence: info.mediaSequence,
          discontinuitySequence: info.discontinuitySequence,
          playlistType: info.endList && !info.live ? 'VOD' : undefined,
          endList: info.endList,
          segments,
        });
        // Live: at most half a target duration (SPEC §4), which is 0 for one-second targets.
        const maxAge = info.live ? Math.floor(info.targetDuration / 2) : VOD_PLAYLIST_MAX_AGE;
        const cache = `${usesSession ? 'private' : 'public'}, max-age=${maxAge}`;
        return sendText(reply, PLAYLIST_TYPE, cache, body);

        function keyTag(ref: SegmentKeyRef): { tag: KeyTag; usesSession: boolean } {
          if (ref.kind === 'none') return { tag: { method: 'NONE' }, usesSession: false };
          const iv = ref.ivInChunklist ? ivHex(ref.iv) : undefined;
          if (ref.url !== undefined) {
            let uri = ref.url;
            if (enc.appendSessionId) uri = withQuery(uri, sidParam, sid);
            if (ref.keyIndex !== undefined) uri = withQuery(uri, 'keyindex', String(ref.keyIndex));
            return { tag: { method: 'AES-128', uri, iv }, usesSession: enc.appendSessionId };
          }
          const name = keyName(rendition, renditions, ref.version, ref.keyIndex);
          const base = enc.keyBaseUrl
            ? joinUrl(enc.keyBaseUrl, streamBasePath(path) + name)
            : uriOf(appConfig, path, name, request);
          return { tag: { method: 'AES-128', uri: withQuery(base, sidParam, sid), iv }, usesSession: true };
        }
      }
      case 'segment': {
        const seg = await service.segment(req, file.rendition, file.sequence);
        releaseWhenDone(reply, seg.release);
        const cache = seg.live
          ? `public, max-age=${Math.ceil((appConfig.hls.maxChunkCount * appConfig.hls.chunkDurationTarget) / 1000)}`
          : VOD_SEGMENT_CACHE;
        return sendSegment(request, reply, seg.data, seg.etag, cache);
      }
      case 'key': {
        request.sessionId = requireSession(session, query.get(sidParam) ?? undefined, key);
        const bytes = await service.key(req, file.rendition, file.version, file.keyIndex);
        if (!bytes || bytes.length !== AES_KEY_BYTES) throw new HlsError('NOT_FOUND', 'unknown key');
        return reply
          .code(200)
          .header('content-type', KEY_TYPE)
          .header('cache-control', 'no-store')
          .send(bytes);
      }
    }
  };
}

function uriOf(app: AppConfig, path: StreamPath, file: string, request: FastifyRequest): string {
  return fileUri(path, file, {
    relative: app.hls.relativeUrls,
    baseUrl: app.hls.baseUrl,
    requestOrigin: requestOrigin(request),
  });
}

function checkSecureToken(
  app: AppConfig,
  path: StreamPath,
  query: URLSearchParams,
  clientIp: string,
  nowSeconds: number,
): void {
  const st = app.secureToken;
  if (!st) return;
  const params: Record<string, string> = {};
  for (const [k, v] of query) if (k.startsWith(st.prefix)) params[k] = v;
  const check = verifySecureToken({
    secret: st.secret,
    prefix: st.prefix,
    hash: st.hash,
    includeClientIp: st.includeClientIp,
    clientIp,
    streamPath: streamKey(path),
    query: params,
    nowSeconds,
  });
  if (!check.ok) throw new HlsError('TOKEN_INVALID', `token refused: ${check.reason}`);
}

function sendText(reply: FastifyReply, type: string, cacheControl: string, body: string): FastifyReply {
  return reply.code(200).header('content-type', type).header('cache-control', cacheControl).send(body);
}

/**
 * Calls `release` once the response is over: sent (the socket has its bytes) or abandoned. Until
 * then a body's memory must not be reused.
 */
function releaseWhenDone(reply: FastifyReply, release: (() => void) | undefined): void {
  if (release === undefined) return;
  const res = reply.raw;
  if (res.closed) release();
  else res.once('close', release);
}

function sendSegment(
  request: FastifyRequest,
  reply: FastifyReply,
  data: Uint8Array,
  etag: string,
  cacheControl: string,
): FastifyReply {
  reply.header('content-type', SEGMENT_TYPE).header('cache-control', cacheControl);
  reply.header('etag', etag).header('accept-ranges', 'bytes');
  const inm = request.headers['if-none-match'];
  if (inm?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    return reply.code(304).send();
  }
  let range: ReturnType<typeof parseRange>;
  try {
    range = parseRange(request.headers.range, data.length);
  } catch (err) {
    reply.header('content-range', `bytes */${data.length}`);
    throw err;
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (!range) return reply.code(200).send(buf);
  reply.header('content-range', `bytes ${range.start}-${range.end}/${data.length}`);
  return reply.code(206).send(buf.subarray(range.start, range.end + 1));
}

/** What a stream URL's file name asks for, even when the request fails further on. */
function fileKindOf(file: string): RequestKind | undefined {
  try {
    return parseStreamFile(file).type;
  } catch {
    return undefined;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The session id a request issued or presented, for the access log. */
    sessionId?: string;
    /** What a stream request asks for, for the metrics. */
    hlsKind?: RequestKind;
  }
}
