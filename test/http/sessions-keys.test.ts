// Session ids and the built-in key route through the real app (SPEC §5): EXT-X-KEY lines, the
// 16 key bytes, refusals for missing, tampered, expired and foreign session ids, external key
// URLs, keyBaseUrl, fixed IVs, key rotation and SecureToken-protected master playlists.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deriveRotatedKey, rotatedKeyName } from '../../src/crypto/key-rotation.js';
import { signSecureToken } from '../../src/crypto/secure-token.js';
import { decryptSegment, ivFromSequence } from '../../src/crypto/segment-cipher.js';
import { issueSessionId, verifySessionId } from '../../src/crypto/session-id.js';
import { get, openStream, queryParam, resolveUri, uriLines } from '../helpers/hls-client.js';
import { createFixture, type Fixture, TEST_SECRET, writeStreamKey } from '../helpers/server-fixture.js';

/** MPEG-TS sync byte (ISO 13818-1 §2.4.3.2): a decrypted segment starts with it. */
const TS_SYNC = 0x47;
const TS_PACKET_SIZE = 188;
const AES_KEY_BYTES = 16;
/** Session lifetime configured for the default app, seconds. */
const LIFETIME_S = 600;
const TOKEN_SECRET = 'token-shared-secret';
const EXTERNAL_URL = 'https://keys.example/k.php';
const EXTERNAL_URL_WITH_QUERY = 'https://keys.example/k.php?asset=7';
const KEY_BASE_URL = 'https://keys.example.com/base/';
const START_MS = Date.UTC(2030, 0, 1);

let fx: Fixture;
let clockMs = START_MS;
const keys = {
  sample: randomBytes(16),
  other: randomBytes(16),
  iv: randomBytes(16),
  noiv: randomBytes(16),
  ext: randomBytes(16),
  extq: randomBytes(16),
  rot: randomBytes(16),
};
const FIXED_IV = randomBytes(16);

/** Each stream below is the sample MP4 under another name (a symlink inside storageDir). */
const ALIASES = ['other.mp4', 'iv.mp4', 'noiv.mp4', 'ext.mp4', 'extq.mp4'];

before(async () => {
  fx = await createFixture({
    now: () => clockMs,
    applications: {
      vod: { type: 'vod', encryption: { sessionLifetime: LIFETIME_S } },
      vodsid: { type: 'vod', encryption: { sessionIdParam: 'sid' } },
      vodnoappend: { type: 'vod', encryption: { appendSessionId: false } },
      vodkb: { type: 'vod', encryption: { keyBaseUrl: KEY_BASE_URL } },
      vodrot: { type: 'vod', encryption: { keyRotation: 2 } },
      vodst: { type: 'vod', secureToken: { secret: TOKEN_SECRET } },
    },
  });
  for (const alias of ALIASES) {
    fs.symlinkSync(path.join(fx.storageDir, 'sample.mp4'), path.join(fx.storageDir, alias));
  }
  const k = fx.keyDir;
  writeStreamKey(k, 'vod', 'sample.mp4', { key: keys.sample });
  writeStreamKey(k, 'vod', 'other.mp4', { key: keys.other });
  writeStreamKey(k, 'vod', 'iv.mp4', { key: keys.iv, iv: FIXED_IV });
  writeStreamKey(
    k,
    'vod',
    'noiv.mp4',
    { key: keys.noiv },
    'cupertinostreaming-aes128-iv-include-in-chunklist: false\n',
  );
  writeStreamKey(k, 'vod', 'ext.mp4', { key: keys.ext, url: EXTERNAL_URL });
  writeStreamKey(k, 'vod', 'extq.mp4', { key: keys.extq, url: EXTERNAL_URL_WITH_QUERY });
  writeStreamKey(k, 'vodnoappend', 'ext.mp4', { key: keys.ext, url: EXTERNAL_URL });
  for (const app of ['vodsid', 'vodkb', 'vodst']) writeStreamKey(k, app, 'sample.mp4', { key: keys.sample });
  writeStreamKey(k, 'vodrot', 'sample.mp4', { key: keys.rot });
});

after(() => fx.close());

const SAMPLE = '/vod/mp4:sample.mp4';

/** A session id with one character of part `part` (0 random, 1 expiry, 2 signature) changed. */
function tamper(sid: string, part: 0 | 1 | 2): string {
  const parts = sid.split('.');
  const p = parts[part]!;
  if (part === 1) parts[1] = String(Number(p) + 1);
  else {
    const i = Math.floor(p.length / 2);
    parts[part] = p.slice(0, i) + (p[i] === 'A' ? 'B' : 'A') + p.slice(i + 1);
  }
  return parts.join('.');
}

/** The key URL of a chunklist with its session id replaced (or removed when `sid` is undefined). */
function withSid(keyUrl: string, sid: string | undefined, param = 'wowzasessionid'): string {
  const u = new URL(keyUrl, 'http://localhost');
  u.searchParams.delete(param);
  if (sid !== undefined) u.searchParams.set(param, sid);
  return u.pathname + u.search;
}

describe('session ids and the key route', () => {
  test('the master playlist carries a signed session id of its stream in the chunklist URI', async () => {
    const s = await openStream(fx.app.http, `${SAMPLE}/playlist.m3u8`);
    const uri = uriLines(s.master.body)[0]!;
    assert.match(uri, /^chunklist\.m3u8\?wowzasessionid=[^&]+$/);
    assert.ok(s.sid);
    const now = Math.floor(clockMs / 1000);
    assert.deepEqual(verifySessionId(TEST_SECRET, s.sid, 'vod/_definst_/mp4:sample.mp4', now), { ok: true });
    assert.equal(s.sid.split('.')[1], String(now + LIFETIME_S), 'expiry is now + sessionLifetime');
    assert.match(String(s.master.headers['cache-control']), /private/);
  });

  test('the chunklist writes AES-128 key lines with the sid, IVs, and segment URIs without it', async () => {
    const s = await openStream(fx.app.http, `${SAMPLE}/playlist.m3u8`);
    assert.equal(s.chunklist.statusCode, 200);
    assert.equal(s.chunklist.headers['content-type'], 'application/vnd.apple.mpegurl');
    assert.match(String(s.chunklist.headers['cache-control']), /^private\b/);
    const lines = s.chunklist.body.split('\n').filter((l) => l.startsWith('#EXT-X-KEY'));
    assert.ok(lines.length >= 1);
    const sid = s.sid!;
    for (const [i, line] of lines.entries()) {
      const m =
        /^#EXT-X-KEY:METHOD=AES-128,URI="key_([0-9a-f]{8})\.key\?wowzasessionid=([^"]+)",IV=0x([0-9A-F]{32})$/.exec(
          line,
        );
      assert.ok(m, line);
      assert.equal(m[2], sid);
      assert.equal(m[3], ivFromSequence(i).toString('hex').toUpperCase(), 'IV is the media sequence number');
    }
    assert.ok(s.segments.length >= 4);
    for (const seg of s.segments) {
      assert.match(seg, /^\/vod\/mp4:sample\.mp4\/media_\d+\.ts$/, 'segment URIs carry no session id');
    }
  });

  test('the key URI answers exactly the 16 key bytes, no-store, octet-stream', async () => {
    const s = await openStream(fx.app.http, `${SAMPLE}/playlist.m3u8`);
    const res = await get(fx.app.http, s.keyUrls[0]!);
    assert.equal(res.statusCode, 200);
    assert.equal(res.rawPayload.length, AES_KEY_BYTES);
    assert.deepEqual(res.rawPayload, keys.sample);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['content-type'], 'application/octet-stream');
  });

  test('segments need no session id and decrypt with the served key and the sequence IV', async () => {
    const s = await openStream(fx.app.http, `${SAMPLE}/playlist.m3u8`);
    const key = (await get(fx.app.http, s.keyUrls[0]!)).rawPayload;
    const seg = await get(fx.app.http, s.segments[1]!);
    assert.equal(seg.statusCode, 200);
    // Ciphertext: the sync bytes of the first packets are gone (one may match by chance, not all five).
    const syncs = [0, 1, 2, 3, 4].map((i) => seg.rawPayload[i * TS_PACKET_SIZE]);
    assert.ok(
      syncs.some((b) => b !== TS_SYNC),
      'the segment is encrypted',
    );
    const plain = decryptSegment(seg.rawPayload, key, ivFromSequence(1));
    assert.equal(plain[0], TS_SYNC);
    assert.equal(plain.length % TS_PACKET_SIZE, 0);
  });

  test('the key route refuses a request without a session id', async () => {
    const s = await openStream(fx.app.http, `${SAMPLE}/playlist.m3u8`);
    for (const url of [withSid(s.keyUrls[0]!, undefined), withSid(s.keyUrls[0]!, '')]) {
      const res = await get(fx.app.http, url);
      assert.equal(res.statusCode, 403, url);
      assert.ok(!res.rawPayload.includes(keys.sample));
    }
  });

  for (const part of [0, 1, 2] as const) {
    test(`the key route refuses a session id with a tampered ${['random', 'expiry', 'signature'][part]} part`, async () => {
      const s = await openStream(fx.app.http, `${SAMPLE}/playlist.m3u8`);
      const bad = tamper(s.sid!, part);
      assert.notEqual(bad, s.sid);
      const res = await get(fx.app.http, withSid(s.keyUrls[0]!, bad));
      assert.equal(res.statusCode, 403);
      assert.ok(!res.rawPayload.includes(keys.sample));
      const chunklist = await get(fx.app.http, withSid(s.chunklistUrl, bad));
      assert.equal(chunklist.statusCode, 403, 'a chunklist with a bad sid is refused too');
    });
  }

  test('the key route refuses a session id signed with another secret', async () => {
    const s = await openStream(fx.app.http, `${SAMPLE}/playlist.m3u8`);
    const forged = issueSessionId(
      'another-secret-of-16+',
      'vod/_definst_/mp4:sample.mp4',
      600,
      clockMs / 1000,
    );
    const res = await get(fx.app.http, withSid(s.keyUrls[0]!, forged));
    assert.equal(res.statusCode, 403);
  });

  test('the key route refuses an expired session id', async () => {
    const s = await openStream(fx.app.http, `${SAMPLE}/playlist.m3u8`);
    const saved = clockMs;
    try {
      clockMs += (LIFETIME_S - 1) * 1000;
      assert.equal((await get(fx.app.http, s.keyUrls[0]!)).statusCode, 200, 'valid just before expiry');
      clockMs = saved + LIFETIME_S * 1000;
      const res = await get(fx.app.http, s.keyUrls[0]!);
      assert.equal(res.statusCode, 403);
      assert.equal((await get(fx.app.http, s.chunklistUrl)).statusCode, 403);
    } finally {
      clockMs = saved;
    }
  });

  test('a session id of another stream opens neither the keys nor the chunklist of this one', async () => {
    const other = await openStream(fx.app.http, '/vod/mp4:other.mp4/playlist.m3u8');
    const mine = await openStream(fx.app.http, `${SAMPLE}/playlist.m3u8`);
    const res = await get(fx.app.http, withSid(mine.keyUrls[0]!, other.sid));
    assert.equal(res.statusCode, 403);
    assert.ok(!res.rawPayload.includes(keys.sample));
    assert.equal((await get(fx.app.http, withSid(mine.chunklistUrl, other.sid))).statusCode, 403);
    // And the other stream's own key route answers its own key.
    assert.deepEqual((await get(fx.app.http, other.keyUrls[0]!)).rawPayload, keys.other);
  });

  test('a key version that does not exist is 404 even with a valid session id', async () => {
    const s = await openStream(fx.app.http, `${SAMPLE}/playlist.m3u8`);
    const url = s.keyUrls[0]!.replace(/key_[0-9a-f]{8}\.key/, 'key_00000000.key');
    assert.equal((await get(fx.app.http, url)).statusCode, 404);
  });

  test('sessionIdParam names the query parameter', async () => {
    const s = await openStream(fx.app.http, '/vodsid/mp4:sample.mp4/playlist.m3u8', 'sid');
    assert.match(uriLines(s.master.body)[0]!, /^chunklist\.m3u8\?sid=/);
    assert.ok(s.sid);
    assert.match(s.keys[0]!.uri!, /^key_[0-9a-f]{8}\.key\?sid=/);
    assert.ok(!s.chunklist.body.includes('wowzasessionid'));
    assert.deepEqual((await get(fx.app.http, s.keyUrls[0]!)).rawPayload, keys.sample);
    assert.equal((await get(fx.app.http, withSid(s.keyUrls[0]!, undefined, 'sid'))).statusCode, 403);
  });
});

describe('key URIs and IVs from the key file and the config', () => {
  test('an external key URL gets ?wowzasessionid=<sid> appended', async () => {
    const s = await openStream(fx.app.http, '/vod/mp4:ext.mp4/playlist.m3u8');
    assert.ok(s.keys.length >= 1);
    for (const k of s.keys) assert.equal(k.uri, `${EXTERNAL_URL}?wowzasessionid=${s.sid}`);
  });

  test('an external key URL with a query gets &wowzasessionid=<sid>', async () => {
    const s = await openStream(fx.app.http, '/vod/mp4:extq.mp4/playlist.m3u8');
    assert.equal(s.keys[0]!.uri, `${EXTERNAL_URL_WITH_QUERY}&wowzasessionid=${s.sid}`);
  });

  test('with appendSessionId false the external URL is written exactly and the chunklist is public', async () => {
    const s = await openStream(fx.app.http, '/vodnoappend/mp4:ext.mp4/playlist.m3u8');
    assert.ok(s.keys.length >= 1);
    for (const k of s.keys) assert.equal(k.uri, EXTERNAL_URL);
    assert.match(String(s.chunklist.headers['cache-control']), /^public\b/);
  });

  test('keyBaseUrl makes absolute key URIs under it', async () => {
    const s = await openStream(fx.app.http, '/vodkb/mp4:sample.mp4/playlist.m3u8');
    const uri = s.keys[0]!.uri!;
    assert.match(
      uri,
      /^https:\/\/keys\.example\.com\/base\/vodkb\/_definst_\/mp4:sample\.mp4\/key_[0-9a-f]{8}\.key\?wowzasessionid=/,
    );
    // The same key is served by this origin under the path of that URI.
    const local = new URL(uri);
    const res = await get(fx.app.http, local.pathname.replace(/^\/base/, '') + local.search);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.rawPayload, keys.sample);
    for (const seg of uriLines(s.chunklist.body))
      assert.match(seg, /^media_\d+\.ts$/, 'segments stay relative');
  });

  test('a key file with a fixed IV writes that IV on every key line and encrypts with it', async () => {
    const s = await openStream(fx.app.http, '/vod/mp4:iv.mp4/playlist.m3u8');
    const ivHex = `0x${FIXED_IV.toString('hex').toUpperCase()}`;
    assert.ok(s.keys.length >= 1);
    for (const k of s.keys) assert.equal(k.iv, ivHex);
    const seg = await get(fx.app.http, s.segments[2]!);
    assert.equal(decryptSegment(seg.rawPayload, keys.iv, FIXED_IV)[0], TS_SYNC);
  });

  test('iv-include-in-chunklist: false omits the IV attribute', async () => {
    const s = await openStream(fx.app.http, '/vod/mp4:noiv.mp4/playlist.m3u8');
    assert.ok(s.keys.length >= 1);
    for (const k of s.keys) {
      assert.equal(k.method, 'AES-128');
      assert.equal(k.iv, undefined);
    }
    assert.ok(!s.chunklist.body.includes('IV='));
    // Players then use the media sequence number, which is what the server encrypted with.
    const seg = await get(fx.app.http, s.segments[3]!);
    assert.equal(decryptSegment(seg.rawPayload, keys.noiv, ivFromSequence(3))[0], TS_SYNC);
  });

  test('keyRotation: 2 writes a new key line every 2 segments and serves the derived keys', async () => {
    const s = await openStream(fx.app.http, '/vodrot/mp4:sample.mp4/playlist.m3u8');
    const n = s.segments.length;
    assert.ok(n >= 4);
    // The IV (the sequence number) is written on every segment, so every segment has a key line;
    // its URI names key floor(s / 2).
    assert.deepEqual(
      s.keys.map((k) => k.beforeSegment),
      Array.from({ length: n }, (_, i) => i),
    );
    for (const [i, tag] of s.keys.entries()) {
      assert.match(tag.uri!, new RegExp(`^key_[0-9a-f]{8}_${Math.floor(i / 2)}\\.key\\?wowzasessionid=`));
    }
    const distinct = [...new Set(s.keyUrls)];
    assert.equal(distinct.length, Math.ceil(n / 2), 'a new key every 2 segments');
    for (const k of [0, 1]) {
      const res = await get(fx.app.http, distinct[k]!);
      assert.equal(res.statusCode, 200);
      const expected = deriveRotatedKey(keys.rot, rotatedKeyName('vodrot', '_definst_', 'sample.mp4', k));
      assert.deepEqual(res.rawPayload, expected, `key ${k}`);
      assert.notDeepEqual(res.rawPayload, keys.rot, 'the file key itself is never served');
    }
    // Segment 3 uses key 1 and its own sequence number as IV.
    const key1 = (await get(fx.app.http, distinct[1]!)).rawPayload;
    const seg = await get(fx.app.http, s.segments[3]!);
    assert.equal(decryptSegment(seg.rawPayload, key1, ivFromSequence(3))[0], TS_SYNC);
  });
});

describe('SecureToken-protected master playlists', () => {
  const MASTER = '/vodst/mp4:sample.mp4/playlist.m3u8';

  function tokenQuery(over: { secret?: string; start?: number; end?: number } = {}): string {
    const now = Math.floor(clockMs / 1000);
    const q = signSecureToken({
      secret: over.secret ?? TOKEN_SECRET,
      prefix: 'wowzatoken',
      hash: 'sha256',
      includeClientIp: false,
      streamPath: 'vodst/_definst_/mp4:sample.mp4',
      startTime: over.start ?? now - 60,
      endTime: over.end ?? now + 3600,
    });
    return new URLSearchParams(q).toString();
  }

  test('without a token the master playlist is refused', async () => {
    const res = await get(fx.app.http, MASTER);
    assert.equal(res.statusCode, 403);
    assert.ok(!res.body.includes('#EXTM3U'));
  });

  test('a token made with another secret, or expired, is refused', async () => {
    const now = Math.floor(clockMs / 1000);
    for (const q of [
      tokenQuery({ secret: 'wrong-secret' }),
      tokenQuery({ start: now - 7200, end: now - 3600 }),
    ]) {
      assert.equal((await get(fx.app.http, `${MASTER}?${q}`)).statusCode, 403, q);
    }
  });

  test('a valid token opens a session; the chunklist then needs the session id', async () => {
    const masterUrl = `${MASTER}?${tokenQuery()}`;
    const master = await get(fx.app.http, masterUrl);
    assert.equal(master.statusCode, 200);
    const uri = uriLines(master.body)[0]!;
    const sid = queryParam(uri, 'wowzasessionid');
    assert.ok(sid);
    const chunklistUrl = resolveUri(MASTER, uri);
    const ok = await get(fx.app.http, chunklistUrl);
    assert.equal(ok.statusCode, 200);
    assert.equal((await get(fx.app.http, withSid(chunklistUrl, undefined))).statusCode, 403);
    assert.equal((await get(fx.app.http, withSid(chunklistUrl, tamper(sid, 2)))).statusCode, 403);
    const keyUri = /URI="([^"]+)"/.exec(ok.body)![1]!;
    const key = await get(fx.app.http, resolveUri(chunklistUrl, keyUri));
    assert.deepEqual(key.rawPayload, keys.sample, 'keys need no second token');
  });
});
