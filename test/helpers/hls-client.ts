// A small HLS client over app.inject(): follows master playlist, chunklist, key and segment URIs
// as a player would, and reads the lines tests check.

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** One `#EXT-X-KEY` line's attributes. */
export interface KeyTag {
  readonly method: string;
  readonly uri?: string;
  readonly iv?: string;
  /** Index of the segment the tag precedes. */
  readonly beforeSegment: number;
}

/** A stream followed from its master playlist to its chunklist. */
export interface OpenedStream {
  readonly master: LightMyRequestResponse;
  readonly chunklist: LightMyRequestResponse;
  /** The chunklist URL as requested (path and query). */
  readonly chunklistUrl: string;
  /** The session id carried in the chunklist URI, if any. */
  readonly sid?: string;
  readonly keys: readonly KeyTag[];
  /** Segment URLs (path and query) resolved against the chunklist. */
  readonly segments: readonly string[];
  /** Key URIs resolved against the chunklist (path and query), or absolute when not served here. */
  readonly keyUrls: readonly string[];
}

const LOCAL_ORIGIN = 'http://localhost';

/** GETs `url` (or another method) through inject. */
export function get(
  app: FastifyInstance,
  url: string,
  headers: Record<string, string> = {},
  method: 'GET' | 'HEAD' | 'OPTIONS' = 'GET',
): Promise<LightMyRequestResponse> {
  return app.inject({ method, url, headers });
}

/** The URI lines (not tags or blank lines) of a playlist. */
export function uriLines(playlist: string): string[] {
  return playlist.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** Resolves a playlist URI against the playlist's URL; local URLs come back as path and query. */
export function resolveUri(playlistUrl: string, uri: string): string {
  const u = new URL(uri, LOCAL_ORIGIN + playlistUrl);
  return u.origin === LOCAL_ORIGIN ? u.pathname + u.search : u.href;
}

/** Parses `NAME=value` and `NAME="value"` attributes of a tag line. */
export function attributes(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const body = line.slice(line.indexOf(':') + 1);
  for (const m of body.matchAll(/([A-Z0-9-]+)=("([^"]*)"|[^,]*)/g)) out[m[1]!] = m[3] ?? m[2]!;
  return out;
}

/** The `#EXT-X-KEY` tags of a chunklist with the segment each one precedes. */
export function keyTags(chunklist: string): KeyTag[] {
  const tags: KeyTag[] = [];
  let segment = 0;
  for (const line of chunklist.split('\n')) {
    if (line.startsWith('#EXT-X-KEY:')) {
      const a = attributes(line);
      tags.push({ method: a.METHOD ?? '', uri: a.URI, iv: a.IV, beforeSegment: segment });
    } else if (line !== '' && !line.startsWith('#')) segment++;
  }
  return tags;
}

/** The value of query parameter `name` of a URI, relative or absolute. */
export function queryParam(uri: string, name: string): string | undefined {
  return new URL(uri, LOCAL_ORIGIN).searchParams.get(name) ?? undefined;
}

/** GETs a master playlist and its first chunklist, as a player does. */
export async function openStream(
  app: FastifyInstance,
  masterUrl: string,
  sidParam = 'wowzasessionid',
): Promise<OpenedStream> {
  const master = await get(app, masterUrl);
  if (master.statusCode !== 200) throw new Error(`master ${masterUrl}: ${master.statusCode} ${master.body}`);
  const first = uriLines(master.body)[0];
  if (first === undefined) throw new Error(`master ${masterUrl} lists no variant`);
  const chunklistUrl = resolveUri(masterUrl, first);
  const chunklist = await get(app, chunklistUrl);
  const keys = chunklist.statusCode === 200 ? keyTags(chunklist.body) : [];
  return {
    master,
    chunklist,
    chunklistUrl,
    sid: queryParam(first, sidParam),
    keys,
    segments:
      chunklist.statusCode === 200 ? uriLines(chunklist.body).map((u) => resolveUri(chunklistUrl, u)) : [],
    keyUrls: keys.flatMap((k) => (k.uri === undefined ? [] : [resolveUri(chunklistUrl, k.uri)])),
  };
}
