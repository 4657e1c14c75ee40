#!/usr/bin/env node
// Checks an hls-origin session id (SPEC §5) the way an external key script would, with Node alone.
// Usage: node examples/verify-session.mjs SECRET SID STREAMPATH   (exit 0 valid, 1 invalid)
import { createHmac, timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';

// <random>.<expires>.<base64url HMAC-SHA256>, 128 characters at most.
const SID_PATTERN = /^([A-Za-z0-9_-]{8,64})\.(0|[1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$/;

/** True when `sid` was issued with `secret` for `streamPath` (`<app>/<instance>/<stream>`) and has not expired. */
export function verifySessionId(secret, sid, streamPath, nowSeconds = Math.floor(Date.now() / 1000)) {
  if (typeof sid !== 'string' || sid.length > 128) return false;
  const m = SID_PATTERN.exec(sid);
  if (m === null) return false;
  const [, random, expires, signature] = m;
  const mac = createHmac('sha256', secret).update(`${random}.${expires}.${streamPath}`).digest('base64url');
  if (!timingSafeEqual(Buffer.from(mac), Buffer.from(signature))) return false; // both are 43 characters
  return nowSeconds < Number(expires);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [secret, sid, streamPath] = process.argv.slice(2);
  if (secret === undefined || sid === undefined || streamPath === undefined) {
    console.error('usage: node verify-session.mjs SECRET SID STREAMPATH');
    process.exit(2);
  }
  const ok = verifySessionId(secret, sid, streamPath);
  console.log(ok ? 'valid' : 'invalid');
  process.exit(ok ? 0 : 1);
}
