// Logs over a run that generates, serves, edits and refuses keys (SPEC §5, §9): no key ever
// appears in full, one access line per request with method, path and status, and query secrets
// (SecureToken hashes) are never written.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { signSecureToken } from '../../src/crypto/secure-token.js';
import { formatKeyFile, parseKeyFile } from '../../src/keys/key-file.js';
import { get, openStream } from '../helpers/hls-client.js';
import type { LogRecord } from '../helpers/log-capture.js';
import { createFixture, type Fixture, writeStreamKey } from '../helpers/server-fixture.js';

const TOKEN_SECRET = 'token-shared-secret';
/** Past the key store's 1 s stat revalidation. */
const PAST_REVALIDATION_MS = 1001;

let fx: Fixture;
let clockMs = Date.UTC(2030, 0, 1);
/** Every request the run made, in order. */
const sent: { method: string; url: string; status: number }[] = [];
/** Every key the run wrote, generated or served. */
const keysSeen: Buffer[] = [];
const tokenHashes: string[] = [];

async function request(url: string, method: 'GET' | 'HEAD' = 'GET') {
  const res = await get(fx.app.http, url, {}, method);
  sent.push({ method, url, status: res.statusCode });
  return res;
}

async function open(masterUrl: string) {
  const s = await openStream(fx.app.http, masterUrl);
  sent.push({ method: 'GET', url: masterUrl, status: s.master.statusCode });
  sent.push({ method: 'GET', url: s.chunklistUrl, status: s.chunklist.statusCode });
  return s;
}

before(async () => {
  fx = await createFixture({
    now: () => clockMs,
    applications: {
      gen: { type: 'vod', encryption: { missingKey: 'generate' } },
      refuse: { type: 'vod', encryption: { missingKey: 'refuse' } },
      rot: { type: 'vod', encryption: { missingKey: 'generate', keyRotation: 2 } },
      st: { type: 'vod', encryption: { missingKey: 'generate' }, secureToken: { secret: TOKEN_SECRET } },
    },
  });
  const edited = writeStreamKey(fx.keyDir, 'refuse', 'sample.mp4', { key: randomBytes(16) });
  keysSeen.push(parseKeyFile(fs.readFileSync(edited, 'utf8'), edited).key);

  // Generated keys, served over the key route, with and without rotation.
  for (const app of ['gen', 'rot']) {
    const s = await open(`/${app}/mp4:sample.mp4/playlist.m3u8`);
    for (const url of [...new Set(s.keyUrls)].slice(0, 2)) keysSeen.push((await request(url)).rawPayload);
    await request(s.segments[0]!);
    await request(s.segments[1]!, 'HEAD');
    const file = path.join(fx.keyDir, app, '_definst_', 'sample.mp4.key');
    keysSeen.push(parseKeyFile(fs.readFileSync(file, 'utf8'), file).key);
  }

  // Refused keys: no session id, a stream without a key file, a malformed key file.
  const r = await open('/refuse/mp4:sample.mp4/playlist.m3u8');
  keysSeen.push((await request(r.keyUrls[0]!)).rawPayload);
  await request(r.keyUrls[0]!.replace(/\?.*$/, ''));
  fs.symlinkSync(path.join(fx.storageDir, 'sample.mp4'), path.join(fx.storageDir, 'nokey.mp4'));
  await request('/refuse/mp4:nokey.mp4/chunklist.m3u8');
  await request('/refuse/mp4:nokey.mp4/media_0.ts');

  // An edited key file (logged as changed), then a malformed one (logged as an error).
  const newKey = randomBytes(16);
  keysSeen.push(newKey);
  fs.writeFileSync(edited, formatKeyFile({ key: newKey }));
  clockMs += PAST_REVALIDATION_MS;
  await open('/refuse/mp4:sample.mp4/playlist.m3u8');
  const badKey = randomBytes(16);
  keysSeen.push(badKey);
  fs.writeFileSync(
    edited,
    `${formatKeyFile({ key: badKey })}cupertinostreaming-aes128-key: ${badKey.toString('hex')}\n`,
  );
  clockMs += PAST_REVALIDATION_MS;
  await request('/refuse/mp4:sample.mp4/chunklist.m3u8');

  // SecureToken: a refused and an accepted master playlist, both with a hash in the query.
  const now = Math.floor(clockMs / 1000);
  const token = signSecureToken({
    secret: TOKEN_SECRET,
    prefix: 'wowzatoken',
    hash: 'sha256',
    includeClientIp: false,
    streamPath: 'st/_definst_/mp4:sample.mp4',
    endTime: now + 3600,
  });
  tokenHashes.push(token.wowzatokenhash!);
  await request(`/st/mp4:sample.mp4/playlist.m3u8?${new URLSearchParams(token)}`);
  const forged = { ...token, wowzatokenhash: 'Zm9yZ2VkLWhhc2gtdmFsdWUtdGhhdC1tdXN0LW5vdC1sZWFr' };
  tokenHashes.push(forged.wowzatokenhash);
  await request(`/st/mp4:sample.mp4/playlist.m3u8?${new URLSearchParams(forged)}`);

  // A few malformed requests.
  await request('/gen/mp4:%zz/playlist.m3u8?wowzatokenhash=bad-encoding-secret-value');
  tokenHashes.push('bad-encoding-secret-value');
  await request('/nosuch/mp4:sample.mp4/playlist.m3u8');
  await request('/healthz');
});

after(() => fx.close());

function accessLines(): LogRecord[] {
  return fx.log.records().filter((r) => r.msg === 'access');
}

test('the run covered generated, served, edited, refused and malformed keys', () => {
  const statuses = new Set(sent.map((s) => s.status));
  for (const status of [200, 400, 403, 404, 503]) {
    assert.ok(statuses.has(status), `a ${status} answer in the run`);
  }
  const messages = fx.log.records().map((r) => String(r.msg));
  assert.ok(messages.some((m) => m.includes('generated a new key file')));
  assert.ok(messages.some((m) => m.includes('key file changed')));
  assert.ok(messages.some((m) => m.includes('refusing the stream')));
  assert.ok(keysSeen.length >= 8 && keysSeen.every((k) => k.length === 16));
});

test('no full key appears in the log, in upper- or lower-case hex or base64', () => {
  const text = fx.log.text();
  for (const key of keysSeen) {
    const hex = key.toString('hex');
    assert.ok(!text.includes(hex), `key ${hex.slice(-4)} in lower-case hex`);
    assert.ok(!text.includes(hex.toUpperCase()), `key ${hex.slice(-4)} in upper-case hex`);
    assert.ok(!text.includes(key.toString('base64')), 'key in base64');
  }
  // Keys are shown masked, as `*` and their last four hex digits.
  assert.match(text, /"key":"\*[0-9A-F]{4}"/);
});

test('one access line per request, with method, path and status, in order', () => {
  const lines = accessLines();
  assert.equal(lines.length, sent.length, JSON.stringify(lines.map((l) => l.path)));
  for (const [i, s] of sent.entries()) {
    const line = lines[i]!;
    assert.equal(line.method, s.method, `line ${i}`);
    assert.equal(line.status, s.status, `line ${i}: ${s.url}`);
    assert.equal(String(line.path).split('?')[0], s.url.split('?')[0], `line ${i}`);
    assert.equal(typeof line.ms, 'number');
    assert.equal(typeof line.bytes, 'number');
  }
});

test('query secrets never reach the log; parameter names do', () => {
  const text = fx.log.text();
  for (const hash of tokenHashes) {
    assert.ok(!text.includes(hash), 'token hash in the log');
    assert.ok(!text.includes(encodeURIComponent(hash)), 'encoded token hash in the log');
  }
  const tokenLines = accessLines().filter((l) => String(l.path).startsWith('/st/'));
  assert.equal(tokenLines.length, 2);
  for (const l of tokenLines) assert.match(String(l.path), /wowzatokenhash=…/);
});

test('access lines of chunklists and keys carry the session id', () => {
  const keyLines = accessLines().filter(
    (l) => /\/key_[0-9a-f]{8}(_\d+)?\.key/.test(String(l.path)) && l.status === 200,
  );
  assert.ok(keyLines.length >= 3);
  for (const l of keyLines) assert.match(String(l.sid), /^[A-Za-z0-9_-]+\.\d+\.[A-Za-z0-9_-]{43}$/);
});
