// Wowza SecureToken version 2 (SPEC §5): a hash over the stream path, the shared secret, the client IP
// (optional) and every `<prefix>…` query parameter, checked on master playlist requests.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Hash algorithms SecureToken v2 allows. */
export type SecureTokenHash = 'sha256' | 'sha384' | 'sha512';

/** Longest `<prefix>hash` value accepted (a SHA-512 digest is 88 base64 characters). */
const MAX_HASH_LENGTH = 128;

/** Outcome of verifySecureToken. */
export type SecureTokenCheck = { ok: true } | { ok: false; reason: string };

/** The app's token settings and the stream and client a token is for. */
interface SecureTokenScope {
  secret: string;
  prefix: string;
  hash: SecureTokenHash;
  includeClientIp: boolean;
  clientIp?: string;
  /** `<app>/<instance>/<stream>`, e.g. `vod/_definst_/mp4:sample.mp4`. */
  streamPath: string;
}

/** What verifySecureToken needs: the token's scope, the request's query and the clock. */
export interface SecureTokenVerifyOptions extends SecureTokenScope {
  /** The request's query parameters, decoded. */
  query: Readonly<Record<string, string>>;
  nowSeconds: number;
}

/** What signSecureToken needs; `extra` are further `<prefix>…` parameters (names without the prefix). */
export interface SecureTokenSignOptions extends SecureTokenScope {
  startTime?: number;
  endTime?: number;
  extra?: Readonly<Record<string, string>>;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The token hash: `<hash>` over `<streamPath>?` + the sorted parts joined with `&`, base64 with `+/` as `-_`. */
function tokenHash(
  algorithm: SecureTokenHash,
  streamPath: string,
  secret: string,
  clientIp: string | undefined,
  params: ReadonlyArray<readonly [string, string]>,
): string {
  const parts = [
    secret,
    ...(clientIp === undefined ? [] : [clientIp]),
    ...params.map(([k, v]) => `${k}=${v}`),
  ];
  parts.sort(compareBytes);
  const digest = createHash(algorithm)
    .update(`${streamPath}?${parts.join('&')}`)
    .digest('base64');
  return digest.replace(/\+/g, '-').replace(/\//g, '_');
}

function prefixedParams(query: Readonly<Record<string, string>>, prefix: string, hashName: string) {
  return Object.entries(query).filter(([k]) => k.startsWith(prefix) && k !== hashName);
}

function parseSeconds(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  return /^[0-9]{1,12}$/.test(value) ? Number(value) : null;
}

/** Checks a SecureToken v2 query: the hash (timing-safe), then `<prefix>starttime` and `<prefix>endtime`. */
export function verifySecureToken(opts: SecureTokenVerifyOptions): SecureTokenCheck {
  const hashName = `${opts.prefix}hash`;
  const given = opts.query[hashName];
  if (given === undefined || given.length === 0) return { ok: false, reason: `missing ${hashName}` };
  if (given.length > MAX_HASH_LENGTH) return { ok: false, reason: `malformed ${hashName}` };
  if (opts.includeClientIp && !opts.clientIp) return { ok: false, reason: 'client address unknown' };
  const params = prefixedParams(opts.query, opts.prefix, hashName);
  const expected = tokenHash(
    opts.hash,
    opts.streamPath,
    opts.secret,
    opts.includeClientIp ? opts.clientIp : undefined,
    params,
  );
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length || !timingSafeEqual(a, b))
    return { ok: false, reason: 'token hash does not match' };
  const start = parseSeconds(opts.query[`${opts.prefix}starttime`]);
  const end = parseSeconds(opts.query[`${opts.prefix}endtime`]);
  if (start === null) return { ok: false, reason: `malformed ${opts.prefix}starttime` };
  if (end === null) return { ok: false, reason: `malformed ${opts.prefix}endtime` };
  if (start !== undefined && opts.nowSeconds < start) return { ok: false, reason: 'token not valid yet' };
  if (end !== undefined && opts.nowSeconds > end) return { ok: false, reason: 'token expired' };
  return { ok: true };
}

/** Builds the SecureToken v2 query parameters (including `<prefix>hash`) for a stream, as a link issuer would. */
export function signSecureToken(opts: SecureTokenSignOptions): Record<string, string> {
  const query: Record<string, string> = {};
  if (opts.startTime !== undefined) query[`${opts.prefix}starttime`] = String(opts.startTime);
  if (opts.endTime !== undefined) query[`${opts.prefix}endtime`] = String(opts.endTime);
  for (const [name, value] of Object.entries(opts.extra ?? {})) query[`${opts.prefix}${name}`] = value;
  const hashName = `${opts.prefix}hash`;
  if (opts.includeClientIp && opts.clientIp === undefined) throw new RangeError('clientIp is required');
  query[hashName] = tokenHash(
    opts.hash,
    opts.streamPath,
    opts.secret,
    opts.includeClientIp ? opts.clientIp : undefined,
    prefixedParams(query, opts.prefix, hashName),
  );
  return query;
}
