// Hostile request paths (SPEC §4): traversal in every spelling, NUL, backslashes, absolute names,
// symlinks leaving storageDir and key files asked through the media route all get a 4xx whose
// body holds nothing of any file. Sent over a real socket: inject() would normalize `..` away.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatKeyFile } from '../../src/keys/key-file.js';
import { listenLocal, rawRequest } from '../helpers/raw-http.js';
import {
  createFixture,
  type Fixture,
  makeTempDir,
  SAMPLE_MP4,
  writeStreamKey,
} from '../helpers/server-fixture.js';

/** Text of the file outside storageDir that symlinks point at; it must never reach a client. */
const OUTSIDE_TEXT = 'OUTSIDE-STORAGE-SECRET-7f3a9c';
/** Longest one-line reason plus a newline that an error body may hold. */
const MAX_REASON_BYTES = 301;

let fx: Fixture;
let outside: string;
let port: number;
const streamKey = randomBytes(16);
const storedKey = randomBytes(16);

/** Every spelling of a request that must not read anything, with the statuses it may get. */
const HOSTILE: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['/vod/mp4:../../etc/passwd/playlist.m3u8', [400]],
  ['/vod/mp4:%2e%2e/%2e%2e/etc/passwd/playlist.m3u8', [400]],
  ['/vod/mp4:%2E%2e%2f%2E%2e%2fetc%2fpasswd/playlist.m3u8', [400]],
  ['/vod/mp4:..%2f..%2fetc%2fpasswd/playlist.m3u8', [400]],
  ['/vod/mp4:%252e%252e/%252e%252e/etc/passwd/playlist.m3u8', [400]],
  ['/vod/mp4:..\\..\\etc\\passwd/playlist.m3u8', [400]],
  ['/vod/mp4:..%5c..%5cetc%5cpasswd/playlist.m3u8', [400]],
  ['/vod/mp4:sample.mp4%00.txt/playlist.m3u8', [400]],
  ['/vod/mp4:sample.mp4/playlist.m3u8%00', [400]],
  ['/vod/mp4:/etc/passwd/playlist.m3u8', [400]],
  ['/vod/mp4://etc/passwd/playlist.m3u8', [400]],
  ['/vod/mp4:%2fetc%2fpasswd/playlist.m3u8', [400]],
  ['/vod/mp4:C:%5cWindows%5cwin.ini/playlist.m3u8', [400]],
  ['//vod/mp4:sample.mp4/playlist.m3u8', [400, 404]],
  ['/vod//mp4:sample.mp4/playlist.m3u8', [400]],
  ['/vod/mp4:sample.mp4//playlist.m3u8', [400]],
  [`/vod/mp4:${'a/'.repeat(1500)}playlist.m3u8`, [400]],
  [`/vod/mp4:${'a'.repeat(5000)}.mp4/playlist.m3u8`, [400, 404]],
  ['/vod/mp4:%zz/playlist.m3u8', [400]],
  ['/vod/mp4:sample%2.mp4/playlist.m3u8', [400]],
  ['/vod/mp4:sample.mp4%2f..%2f..%2fetc%2fpasswd/playlist.m3u8', [400]],
  ['/vod/mp4:sample.mp4/../../../etc/passwd', [400]],
  ['/vod/_definst_/../mp4:sample.mp4/playlist.m3u8', [400]],
  ['/vod/..%2f..%2fetc/mp4:passwd/playlist.m3u8', [400]],
  ['/%2e%2e/%2e%2e/etc/passwd', [400]],
  ['/vod/mp4:escape.mp4/playlist.m3u8', [404]],
  ['/vod/mp4:escape.mp4/media_0.ts', [404]],
  ['/vod/mp4:escape-text.mp4/playlist.m3u8', [404]],
  ['/vod/mp4:linkdir/movie.mp4/playlist.m3u8', [404]],
  ['/vod/mp4:linkdir/secret.txt/media_0.ts', [404]],
  ['/vod/mp4:../keys/vod/_definst_/sample.mp4.key/playlist.m3u8', [400]],
  ['/vod/mp4:..%2fkeys%2fvod%2f_definst_%2fsample.mp4.key/playlist.m3u8', [400]],
  ['/nosuchapp/mp4:sample.mp4/playlist.m3u8', [404]],
  ['/vod/foo:bar/playlist.m3u8', [400]],
  ['/vod/mp4:sample.mp4/passwd', [404]],
  ['/vod/mp4:sample.mp4/playlist.m3u8.bak', [404]],
  ['/vod/mp4:sample.mp4/media_999999.ts', [404]],
  ['/vod/mp4:sample.mp4/media_-1.ts', [404]],
  ['/vod/mp4:sample.mp4/chunklist_r5.m3u8', [404]],
  ['/vod/mp4:sample.mp4/sample.mp4.key', [404]],
  ['/vod/mp4:nosuch.mp4/playlist.m3u8', [404]],
  ['/vod/mp4:/playlist.m3u8', [400]],
  ['/vod/mp4:sample.mp4', [400]],
  ['/vod/mp4:%EF%BC%8E%EF%BC%8E/etc/passwd/playlist.m3u8', [404]],
];

before(async () => {
  fx = await createFixture();
  outside = makeTempDir();
  fs.writeFileSync(path.join(outside, 'secret.txt'), `${OUTSIDE_TEXT}\n`);
  fs.copyFileSync(SAMPLE_MP4, path.join(outside, 'movie.mp4'));
  fs.symlinkSync(path.join(outside, 'movie.mp4'), path.join(fx.storageDir, 'escape.mp4'));
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(fx.storageDir, 'escape-text.mp4'));
  fs.symlinkSync(outside, path.join(fx.storageDir, 'linkdir'));
  fs.symlinkSync(path.join(fx.storageDir, 'sample.mp4'), path.join(fx.storageDir, 'alias.mp4'));
  writeStreamKey(fx.keyDir, 'vod', 'sample.mp4', { key: streamKey });
  writeStreamKey(fx.keyDir, 'vod', 'escape.mp4', { key: streamKey });
  // A key file inside storageDir: only the key route may ever hand out key bytes.
  fs.writeFileSync(path.join(fx.storageDir, 'x.key'), formatKeyFile({ key: storedKey }));
  fs.mkdirSync(path.join(fx.storageDir, 'keys'));
  fs.writeFileSync(path.join(fx.storageDir, 'keys', 'a.mp4.key'), formatKeyFile({ key: storedKey }));
  port = await listenLocal(fx.app.http);
});

after(async () => {
  await fx.close();
  fs.rmSync(outside, { recursive: true, force: true });
});

/** Asserts a body carries no file content: no passwd lines, outside text, key material or stack. */
function assertNoContent(body: Buffer, what: string): void {
  const text = body.toString('latin1');
  assert.ok(body.length <= MAX_REASON_BYTES, `${what}: body of ${body.length} bytes`);
  assert.ok(!text.includes('root:'), `${what}: passwd content in the body`);
  assert.ok(!text.includes(OUTSIDE_TEXT), `${what}: outside file in the body`);
  for (const key of [streamKey, storedKey]) {
    assert.ok(!body.includes(key), `${what}: raw key bytes in the body`);
    const hex = key.toString('hex');
    assert.ok(!text.toLowerCase().includes(hex), `${what}: key hex in the body`);
  }
  assert.ok(!text.includes('    at '), `${what}: stack trace in the body`);
  assert.ok(!text.includes('#EXTM3U'), `${what}: a playlist in the body`);
}

describe('hostile URLs', () => {
  test('the list is long enough to matter', () => {
    assert.ok(HOSTILE.length >= 25);
  });

  for (const [url, statuses] of HOSTILE) {
    test(`GET ${url.length > 90 ? `${url.slice(0, 90)}…` : url} → ${statuses.join('/')}`, async () => {
      const res = await rawRequest(port, url);
      assert.ok(
        statuses.includes(res.status),
        `got ${res.status} (${res.body.toString().slice(0, 120).trim()}), expected ${statuses.join(' or ')}`,
      );
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      assertNoContent(res.body, url);
    });
  }

  test('HEAD of a hostile path is refused the same way', async () => {
    const res = await rawRequest(port, '/vod/mp4:%2e%2e/%2e%2e/etc/passwd/playlist.m3u8', { method: 'HEAD' });
    assert.equal(res.status, 400);
    assert.equal(res.body.length, 0);
  });

  test('the symlinked files outside storageDir really exist and are readable', () => {
    // Without this the 404s above could come from a broken fixture rather than the path check.
    assert.equal(fs.readFileSync(path.join(fx.storageDir, 'escape-text.mp4'), 'utf8'), `${OUTSIDE_TEXT}\n`);
    assert.ok(fs.statSync(path.join(fx.storageDir, 'linkdir', 'movie.mp4')).size > 0);
  });

  test('the sample next to them is served, also through a symlink that stays inside', async () => {
    // So the 404s above come from leaving storageDir, not from symlinks as such.
    for (const url of ['/vod/mp4:sample.mp4/playlist.m3u8', '/vod/mp4:alias.mp4/playlist.m3u8']) {
      const res = await rawRequest(port, url);
      assert.equal(res.status, 200, url);
    }
  });
});

describe('key files are served only by the key route', () => {
  const urls = [
    '/vod/mp4:x.key/playlist.m3u8',
    '/vod/mp4:x.key/chunklist.m3u8',
    '/vod/mp4:x.key/media_0.ts',
    '/vod/mp4:keys/a.mp4.key/playlist.m3u8',
    '/vod/mp4:keys/a.mp4.key/media_0.ts',
  ];
  for (const url of urls) {
    test(`GET ${url} → 415 or 404 without key bytes`, async () => {
      const res = await rawRequest(port, url);
      assert.ok([404, 415].includes(res.status), `got ${res.status}: ${res.body}`);
      assertNoContent(res.body, url);
    });
  }

  test('the key route of a stream refuses without a session and never serves another file', async () => {
    const res = await rawRequest(port, '/vod/mp4:x.key/key_00000000.key');
    assert.equal(res.status, 403);
    assertNoContent(res.body, 'key route');
  });

  test('no request above made a 5xx or an internal error log line', () => {
    const bad = fx.log
      .records()
      .filter((r) => (typeof r.status === 'number' && r.status >= 500) || r.level >= 50);
    assert.deepEqual(bad, []);
  });
});
