// Single byte ranges of RFC 9110 §14 for segment responses.

import { HlsError } from '../core/errors.js';

/** An inclusive byte range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Parses a `Range` header against a body of `size` bytes. Returns undefined when the header is
 * absent or not a single `bytes=` range (the whole body is then sent, as RFC 9110 allows), and
 * throws RANGE_NOT_SATISFIABLE when the range lies outside the body.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw new HlsError('RANGE_NOT_SATISFIABLE', 'empty suffix range');
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw new HlsError('RANGE_NOT_SATISFIABLE', 'range outside the segment');
  return { start, end };
}
