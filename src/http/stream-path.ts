// The URL grammar of SPEC §4: /<app>[/<instance>]/<stream>/<file>, decoded and checked segment
// by segment. This is the one place that decides what a request path may name.

import { HlsError } from '../core/errors.js';
import type { StreamKind, StreamPath } from '../core/stream.js';

/** The instance used when a URL names none (Wowza's default). */
export const DEFAULT_INSTANCE = '_definst_';

export type { StreamKind, StreamPath };

const PREFIXES: ReadonlyArray<readonly [string, StreamKind]> = [
  ['mp4:', 'mp4'],
  ['smil:', 'smil'],
  ['ngrp:', 'ngrp'],
];

const MAX_PATH_LENGTH = 2048;
const MAX_SEGMENTS = 32;

/** Characters never accepted in a decoded path segment: NUL and other controls, slashes of both kinds. */
const FORBIDDEN_IN_SEGMENT = /[\u0000-\u001f\u007f/\\]/;

function bad(reason: string): HlsError {
  return new HlsError('BAD_PATH', `malformed path: ${reason}`);
}

/**
 * Decodes one raw path segment and refuses anything that could step outside a folder:
 * empty segments, `.` and `..` (also when percent-encoded), encoded slashes, backslashes, NUL.
 */
export function decodeSegment(raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw bad('bad percent-encoding');
  }
  if (decoded === '') throw bad('empty segment');
  if (decoded === '.' || decoded === '..') throw bad('dot segment');
  if (FORBIDDEN_IN_SEGMENT.test(decoded)) throw bad('forbidden character');
  if (decoded.includes('%')) throw bad('double percent-encoding');
  return decoded;
}

/** Splits the path of a raw request URL (query removed) into decoded, checked segments. */
export function splitPath(rawPath: string): string[] {
  if (rawPath.length > MAX_PATH_LENGTH) throw bad('too long');
  if (!rawPath.startsWith('/')) throw bad('not absolute');
  const parts = rawPath.slice(1).split('/');
  if (parts.length > MAX_SEGMENTS) throw bad('too many segments');
  return parts.map(decodeSegment);
}

/** The kind of a stream name and the name without its prefix (`mp4:a.mp4` gives `mp4`, `a.mp4`). */
export function streamKindOf(stream: string): { kind: StreamKind; name: string } {
  for (const [prefix, kind] of PREFIXES) {
    if (stream.startsWith(prefix)) {
      const name = stream.slice(prefix.length);
      if (name === '') throw bad(`empty ${prefix} stream name`);
      return { kind, name };
    }
  }
  if (stream.includes(':')) throw bad('unknown stream prefix');
  if (stream.endsWith('.stream')) return { kind: 'pull', name: stream };
  return { kind: 'live', name: stream };
}

function hasPrefix(segment: string): boolean {
  return PREFIXES.some(([prefix]) => segment.startsWith(prefix));
}

/**
 * Parses `/<app>[/<instance>]/<stream>/<file>`. A stream with a prefix (`mp4:`) may span several
 * segments (`mp4:movies/a.mp4`); an unprefixed one is a single segment. With three or more middle
 * segments and no prefix on the second, the first middle segment is the instance.
 */
export function parseStreamPath(rawPath: string): StreamPath {
  const segments = splitPath(rawPath);
  if (segments.length < 3) throw bad('expected /<app>/<stream>/<file>');
  const app = segments[0]!;
  const file = segments[segments.length - 1]!;
  const middle = segments.slice(1, -1);

  let instance = DEFAULT_INSTANCE;
  let streamParts = middle;
  if (!hasPrefix(middle[0]!) && middle.length > 1) {
    instance = middle[0]!;
    streamParts = middle.slice(1);
  }
  if (streamParts.length > 1 && !hasPrefix(streamParts[0]!))
    throw bad('stream name with a slash needs a prefix');
  if (instance.includes(':')) throw bad('bad instance name');
  const stream = streamParts.join('/');
  const { kind, name } = streamKindOf(stream);
  return { app, instance, stream, kind, name, file };
}

/** The `<app>/<instance>/<stream>` string that session ids and tokens are bound to. */
export function streamKey(p: Pick<StreamPath, 'app' | 'instance' | 'stream'>): string {
  return `${p.app}/${p.instance}/${p.stream}`;
}
