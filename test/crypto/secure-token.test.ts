// Wowza SecureToken v2: SPEC §5 worked example, tampering, time window, client IP and hash choices.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type SecureTokenHash, signSecureToken, verifySecureToken } from '../../src/crypto/secure-token.js';

const STREAM = 'vod/_definst_/mp4:sample.mp4';
const BASE = {
  secret: 'abcde',
  prefix: 'wowzatoken',
  hash: 'sha256' as SecureTokenHash,
  includeClientIp: false,
};

describe('SecureToken v2', () => {
  test('SPEC §5 worked example', () => {
    const query = signSecureToken({
      ...BASE,
      streamPath: STREAM,
      startTime: 1_700_000_000,
      endTime: 1_700_003_600,
    });
    assert.deepEqual(query, {
      wowzatokenstarttime: '1700000000',
      wowzatokenendtime: '1700003600',
      wowzatokenhash: 'VPiMpsvVfHkmuRqPJvDitEvz5lIHSf4yMz5mrMLYBxw=',
    });
    assert.deepEqual(verifySecureToken({ ...BASE, streamPath: STREAM, query, nowSeconds: 1_700_000_100 }), {
      ok: true,
    });
  });

  test('the time window is enforced', () => {
    const query = signSecureToken({
      ...BASE,
      streamPath: STREAM,
      startTime: 1_700_000_000,
      endTime: 1_700_003_600,
    });
    const at = (nowSeconds: number) => verifySecureToken({ ...BASE, streamPath: STREAM, query, nowSeconds });
    assert.equal(at(1_699_999_999).ok, false);
    assert.equal(at(1_700_000_000).ok, true);
    assert.equal(at(1_700_003_600).ok, true);
    assert.deepEqual(at(1_700_003_601), { ok: false, reason: 'token expired' });
  });

  test('tampered parameters, other streams and other secrets are refused', () => {
    const query = signSecureToken({
      ...BASE,
      streamPath: STREAM,
      endTime: 1_700_003_600,
      extra: { CustomParameter: 'a' },
    });
    const now = 1_700_000_000;
    assert.equal(verifySecureToken({ ...BASE, streamPath: STREAM, query, nowSeconds: now }).ok, true);
    const refused = (q: Record<string, string>, over: Partial<typeof BASE> & { streamPath?: string } = {}) =>
      verifySecureToken({ ...BASE, streamPath: STREAM, ...over, query: q, nowSeconds: now }).ok;
    assert.equal(refused({ ...query, wowzatokenendtime: '1800000000' }), false);
    assert.equal(refused({ ...query, wowzatokenCustomParameter: 'b' }), false);
    assert.equal(refused({ ...query, wowzatokenextra: '1' }), false);
    assert.equal(refused({ ...query, wowzatokenhash: query['wowzatokenhash']!.replace(/^./, 'A') }), false);
    assert.equal(refused({ ...query, unrelated: 'x' }), true); // parameters without the prefix are not signed
    assert.equal(refused(query, { streamPath: 'vod/_definst_/mp4:other.mp4' }), false);
    assert.equal(refused(query, { secret: 'abcdf' }), false);
    const { wowzatokenhash: _h, ...noHash } = query;
    assert.deepEqual(verifySecureToken({ ...BASE, streamPath: STREAM, query: noHash, nowSeconds: now }), {
      ok: false,
      reason: 'missing wowzatokenhash',
    });
  });

  test('client IP is part of the hash when configured', () => {
    const opts = { ...BASE, includeClientIp: true, streamPath: STREAM };
    const query = signSecureToken({ ...opts, clientIp: '192.0.2.7' });
    assert.equal(verifySecureToken({ ...opts, clientIp: '192.0.2.7', query, nowSeconds: 0 }).ok, true);
    assert.equal(verifySecureToken({ ...opts, clientIp: '192.0.2.8', query, nowSeconds: 0 }).ok, false);
    assert.equal(verifySecureToken({ ...opts, query, nowSeconds: 0 }).ok, false);
  });

  test('sha384 and sha512 produce longer hashes that verify', () => {
    for (const [hash, length] of [
      ['sha384', 64],
      ['sha512', 88],
    ] as const) {
      const query = signSecureToken({ ...BASE, hash, streamPath: STREAM, endTime: 2_000_000_000 });
      assert.equal(query['wowzatokenhash']!.length, length);
      assert.equal(verifySecureToken({ ...BASE, hash, streamPath: STREAM, query, nowSeconds: 0 }).ok, true);
      assert.equal(verifySecureToken({ ...BASE, streamPath: STREAM, query, nowSeconds: 0 }).ok, false);
    }
  });

  test('malformed times are refused even when signed', () => {
    const query = signSecureToken({ ...BASE, streamPath: STREAM, extra: { endtime: 'soon' } });
    assert.deepEqual(verifySecureToken({ ...BASE, streamPath: STREAM, query, nowSeconds: 0 }), {
      ok: false,
      reason: 'malformed wowzatokenendtime',
    });
  });
});
