// Fetching from an upstream origin we do not trust: bounded in time and size, errors as HlsError
// (502 when the upstream fails or answers nonsense, 504 when it is too slow), and no session id
// or token of the upstream URL in any message.

import { HlsError } from '../core/errors.js';

/** What an upstream answered. */
export interface Fetched {
  readonly status: number;
  readonly body: Buffer;
  /** The URL the body came from, after redirects: relative URIs in it resolve against this. */
  readonly url: string;
}

/** Bounds of one fetch. */
export interface FetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** Fetches `url` within `limits`; rejects with an HlsError. */
export type UpstreamFetch = (url: string, limits: FetchLimits) => Promise<Fetched>;

/** `url` without its query and fragment, for messages and logs. */
export function redactUrl(url: string): string {
  const cut = url.search(/[?#]/);
  return cut < 0 ? url : url.slice(0, cut);
}

/** Reads a response body, refusing more than `maxBytes`. */
async function readLimited(res: Response, maxBytes: number, url: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new HlsError('UPSTREAM_FAILED', `upstream answer too large (${declared} bytes): ${redactUrl(url)}`);
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new HlsError(
        'UPSTREAM_FAILED',
        `upstream answer larger than ${maxBytes} bytes: ${redactUrl(url)}`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** The upstream fetch over HTTP(S) with Node's fetch. */
export const httpFetch: UpstreamFetch = async (url, limits) => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(limits.timeoutMs), redirect: 'follow' });
    const body = await readLimited(res, limits.maxBytes, url);
    return { status: res.status, body, url: res.url || url };
  } catch (err) {
    if (err instanceof HlsError) throw err;
    const name = (err as { name?: string } | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new HlsError(
        'UPSTREAM_FAILED',
        `upstream timed out after ${limits.timeoutMs} ms: ${redactUrl(url)}`,
        {
          statusCode: 504,
          cause: err,
        },
      );
    }
    throw new HlsError('UPSTREAM_FAILED', `upstream unreachable: ${redactUrl(url)}`, { cause: err });
  }
};
