// URIs written into playlists: relative by default, absolute under hls.baseUrl or keyBaseUrl.

import type { StreamPath } from './stream-path.js';

/** Percent-encodes one path segment, keeping `:` readable (`mp4:sample.mp4`). */
export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%3A/gi, ':');
}

/** `/<app>/<instance>/<stream>/` with each segment encoded. */
export function streamBasePath(p: Pick<StreamPath, 'app' | 'instance' | 'stream'>): string {
  const parts = [p.app, p.instance, ...p.stream.split('/')];
  return `/${parts.map(encodePathSegment).join('/')}/`;
}

/** Joins an absolute base URL (with or without a trailing slash) and a path starting with `/`. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/**
 * The URI of `file` under the stream as written in a playlist: relative to the playlist when
 * `relative` and no `baseUrl`; otherwise absolute, under `baseUrl` or the request's own origin.
 */
export function fileUri(
  p: Pick<StreamPath, 'app' | 'instance' | 'stream'>,
  file: string,
  opts: { relative: boolean; baseUrl?: string; requestOrigin: string },
): string {
  if (opts.baseUrl) return joinUrl(opts.baseUrl, streamBasePath(p) + file);
  if (opts.relative) return file;
  return joinUrl(opts.requestOrigin, streamBasePath(p) + file);
}
