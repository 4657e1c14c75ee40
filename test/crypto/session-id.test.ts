// Signed session ids: SPEC §5 worked example, tampering, expiry and other streams.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { issueSessionId, verifySessionId } from '../../src/crypto/session-id.js';

const SECRET = 'example-secret';
const STREAM = 'vod/_definst_/mp4:sample.mp4';
const EXAMPLE = 'k3Jx9Qp2.1893456000.lSTs5iI0dEojAo_49hB4aTiyxGuHXGO0xQY6Vd5haes';
const NOW = 1_893_456_000 - 3600;

/** Replaces one character of `s` at `i` by another url-safe character. */
function flip(s: string, i: number): string {
  const c = s[i] === 'A' ? 'B' : 'A';
  return s.slice(0, i) + c + s.slice(i + 1);
}

describe('session ids', () => {
  test('SPEC §5 worked example', () => {
    assert.equal(issueSessionId(SECRET, STREAM, 3600, NOW, 'k3Jx9Qp2'), EXAMPLE);
    assert.deepEqual(verifySessionId(SECRET, EXAMPLE, STREAM, NOW), { ok: true });
  });

  test('issued ids have a random url-safe part of 8+ characters and verify', () => {
    const a = issueSessionId(SECRET, STREAM, 86400, NOW);
    const b = issueSessionId(SECRET, STREAM, 86400, NOW);
    assert.notEqual(a, b);
    assert.match(a, /^[A-Za-z0-9_-]{8,}\.\d+\.[A-Za-z0-9_-]{43}$/);
    assert.equal(a.split('.')[1], String(NOW + 86400));
    assert.deepEqual(verifySessionId(SECRET, a, STREAM, NOW), { ok: true });
  });

  test('tampering with any part is refused', () => {
    const [random, expires, sig] = EXAMPLE.split('.') as [string, string, string];
    const bad = (sid: string) => verifySessionId(SECRET, sid, STREAM, NOW);
    assert.deepEqual(bad(`${flip(random, 0)}.${expires}.${sig}`), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(bad(`${random}.1893456001.${sig}`), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(bad(`${random}.${expires}.${flip(sig, 5)}`), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(verifySessionId('other-secret', EXAMPLE, STREAM, NOW), {
      ok: false,
      reason: 'bad-signature',
    });
  });

  test('another stream is refused', () => {
    for (const other of [
      'vod/_definst_/mp4:other.mp4',
      'vod/inst2/mp4:sample.mp4',
      'live/_definst_/mp4:sample.mp4',
    ]) {
      assert.deepEqual(verifySessionId(SECRET, EXAMPLE, other, NOW), { ok: false, reason: 'bad-signature' });
    }
  });

  test('expiry: valid before, expired at and after', () => {
    assert.deepEqual(verifySessionId(SECRET, EXAMPLE, STREAM, 1_893_455_999), { ok: true });
    assert.deepEqual(verifySessionId(SECRET, EXAMPLE, STREAM, 1_893_456_000), {
      ok: false,
      reason: 'expired',
    });
    assert.deepEqual(verifySessionId(SECRET, EXAMPLE, STREAM, 2_000_000_000), {
      ok: false,
      reason: 'expired',
    });
  });

  test('anything outside the strict grammar is malformed', () => {
    const [random, expires, sig] = EXAMPLE.split('.') as [string, string, string];
    const cases = [
      '',
      'abc',
      `${random}.${expires}`,
      `${random}.${expires}.${sig}.x`,
      `${random}.${expires}.${sig}=`,
      `${random}.${expires}.${sig.slice(1)}`,
      `short.${expires}.${sig}`,
      `${random}.0${expires}.${sig}`,
      `${random}.-1.${sig}`,
      `${random}.${expires}.${sig.slice(0, -1)}+`,
      `${random} .${expires}.${sig}`,
      `${'a'.repeat(65)}.${expires}.${sig}`,
      `${random}.${expires}.${sig.slice(0, -1)}f`, // non-zero spare bits in the last character
      'x'.repeat(10_000),
    ];
    for (const sid of cases) {
      assert.deepEqual(verifySessionId(SECRET, sid, STREAM, NOW), { ok: false, reason: 'malformed' }, sid);
    }
  });

  test('issueSessionId refuses a bad random part or an empty secret', () => {
    assert.throws(() => issueSessionId(SECRET, STREAM, 60, NOW, 'short'), RangeError);
    assert.throws(() => issueSessionId(SECRET, STREAM, 60, NOW, 'has.dots.in'), RangeError);
    assert.throws(() => issueSessionId('', STREAM, 60, NOW), RangeError);
  });
});
