// Signed, stateless session ids (SPEC §5): `<random>.<expires>.<base64url(HMAC-SHA256(secret, "<random>.<expires>.<streamPath>"))>`.
// Any origin, edge or key script holding the secret can check one without calling back.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Random bytes behind the random part of an issued id (12 base64url characters). */
const RANDOM_BYTES = 9;

/** Bytes in an HMAC-SHA256 digest; 43 characters in unpadded base64url. */
const SIGNATURE_BYTES = 32;

/** Longest id accepted: 64 random + 1 + 12 expiry digits + 1 + 43 signature characters, rounded up. */
export const MAX_SESSION_ID_LENGTH = 128;

/** Strict grammar of an id: 8–64 url-safe random characters, a decimal expiry without leading zeros, a 43-char signature. */
const SESSION_ID_PATTERN = /^([A-Za-z0-9_-]{8,64})\.(0|[1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$/;

/** The random part's grammar, as accepted by issueSessionId. */
const RANDOM_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** Outcome of verifySessionId. */
export type SessionIdCheck = { ok: true } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

function sign(secret: string, random: string, expires: string, streamPath: string): Buffer {
  return createHmac('sha256', secret).update(`${random}.${expires}.${streamPath}`).digest();
}

/** Issues a session id for `streamPath` (`<app>/<instance>/<stream>`) valid until `nowSeconds + lifetimeSeconds`. */
export function issueSessionId(
  secret: string,
  streamPath: string,
  lifetimeSeconds: number,
  nowSeconds: number,
  random: string = randomBytes(RANDOM_BYTES).toString('base64url'),
): string {
  if (secret.length === 0) throw new RangeError('session secret must not be empty');
  if (!RANDOM_PATTERN.test(random))
    throw new RangeError('session random part must be 8-64 url-safe characters');
  const expires = String(Math.floor(nowSeconds) + Math.floor(lifetimeSeconds));
  if (!/^(0|[1-9][0-9]{0,11})$/.test(expires)) throw new RangeError('session expiry out of range');
  return `${random}.${expires}.${sign(secret, random, expires, streamPath).toString('base64url')}`;
}

/** Checks a session id against `streamPath` and the clock: signature first (constant time), then expiry. */
export function verifySessionId(
  secret: string,
  sid: string,
  streamPath: string,
  nowSeconds: number,
): SessionIdCheck {
  if (typeof sid !== 'string' || sid.length > MAX_SESSION_ID_LENGTH)
    return { ok: false, reason: 'malformed' };
  const m = SESSION_ID_PATTERN.exec(sid);
  if (m === null) return { ok: false, reason: 'malformed' };
  const [, random, expires, signature] = m as unknown as [string, string, string, string];
  const given = Buffer.from(signature, 'base64url');
  // 43 base64url characters carry 258 bits; reject ids whose last character hides non-zero spare bits.
  if (given.length !== SIGNATURE_BYTES || given.toString('base64url') !== signature) {
    return { ok: false, reason: 'malformed' };
  }
  const expected = sign(secret, random, expires, streamPath);
  if (!timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
  if (nowSeconds >= Number(expires)) return { ok: false, reason: 'expired' };
  return { ok: true };
}
