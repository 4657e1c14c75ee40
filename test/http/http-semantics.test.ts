// HTTP semantics of the stream route (SPEC §4): HEAD, Range, ETag and If-None-Match, content
// types, Cache-Control, CORS preflights, per-application headers and /healthz.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { get, openStream } from '../helpers/hls-client.js';
import { createFixture, type Fixture, writeStreamKey } from '../helpers/server-fixture.js';

const TS_PACKET_SIZE = 188;
const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
const SEGMENT_TYPE = 'video/mp2t';
const ALLOWED_ORIGIN = 'https://a.example';

let fx: Fixture;

before(async () => {
  fx = await createFixture({
    applications: {
      vod: { type: 'vod' },
      corsapp: { type: 'vod', http: { cors: { origins: [ALLOWED_ORIGIN] } } },
      hdr: { type: 'vod', http: { headers: { 'X-Test-Header': 'on', 'Access-Control-Allow-Origin': '*' } } },
    },
  });
  for (const app of ['vod', 'corsapp', 'hdr']) {
    writeStreamKey(fx.keyDir, app, 'sample.mp4', { key: randomBytes(16) });
  }
});

after(() => fx.close());

const BASE = '/vod/mp4:sample.mp4';

describe('HEAD, Range, ETag', () => {
  test('HEAD on master, chunklist and segment gives the headers of GET and no body', async () => {
    const s = await openStream(fx.app.http, `${BASE}/playlist.m3u8`);
    for (const url of [`${BASE}/playlist.m3u8`, s.chunklistUrl, s.segments[0]!]) {
      const full = await get(fx.app.http, url);
      const head = await get(fx.app.http, url, {}, 'HEAD');
      assert.equal(head.statusCode, 200, url);
      assert.equal(head.rawPayload.length, 0, `${url}: HEAD has no body`);
      assert.equal(head.headers['content-type'], full.headers['content-type'], url);
      assert.equal(head.headers['cache-control'], full.headers['cache-control'], url);
      assert.equal(Number(head.headers['content-length']), full.rawPayload.length, `${url}: content-length`);
    }
    const seg = await get(fx.app.http, s.segments[0]!, {}, 'HEAD');
    assert.ok(seg.headers.etag);
  });

  test('Range bytes=0-187 on a segment answers 206 with exactly the first packet', async () => {
    const url = `${BASE}/media_0.ts`;
    const full = await get(fx.app.http, url);
    const part = await get(fx.app.http, url, { range: 'bytes=0-187' });
    assert.equal(part.statusCode, 206);
    assert.equal(part.rawPayload.length, TS_PACKET_SIZE);
    assert.equal(part.headers['content-range'], `bytes 0-187/${full.rawPayload.length}`);
    assert.deepEqual(part.rawPayload, full.rawPayload.subarray(0, TS_PACKET_SIZE));
    assert.equal(part.headers['content-type'], SEGMENT_TYPE);
  });

  test('suffix and open-ended ranges', async () => {
    const url = `${BASE}/media_1.ts`;
    const full = (await get(fx.app.http, url)).rawPayload;
    const size = full.length;
    const tail = await get(fx.app.http, url, { range: 'bytes=-16' });
    assert.equal(tail.statusCode, 206);
    assert.deepEqual(tail.rawPayload, full.subarray(size - 16));
    assert.equal(tail.headers['content-range'], `bytes ${size - 16}-${size - 1}/${size}`);
    const rest = await get(fx.app.http, url, { range: `bytes=${size - 100}-` });
    assert.equal(rest.statusCode, 206);
    assert.deepEqual(rest.rawPayload, full.subarray(size - 100));
  });

  test('an unsatisfiable range is 416 with bytes */size', async () => {
    const url = `${BASE}/media_0.ts`;
    const size = (await get(fx.app.http, url)).rawPayload.length;
    const res = await get(fx.app.http, url, { range: `bytes=${size}-${size + 10}` });
    assert.equal(res.statusCode, 416);
    assert.equal(res.headers['content-range'], `bytes */${size}`);
    assert.ok(res.rawPayload.length < 400);
  });

  test('If-None-Match with the ETag answers 304 without a body; another ETag gets the segment', async () => {
    const url = `${BASE}/media_2.ts`;
    const full = await get(fx.app.http, url);
    const etag = String(full.headers.etag);
    assert.match(etag, /^"[^"]+"$/, 'a strong validator');
    const again = await get(fx.app.http, url);
    assert.equal(again.headers.etag, etag, 'stable across requests');
    const cached = await get(fx.app.http, url, { 'if-none-match': etag });
    assert.equal(cached.statusCode, 304);
    assert.equal(cached.rawPayload.length, 0);
    assert.equal(cached.headers.etag, etag);
    const other = await get(fx.app.http, url, { 'if-none-match': '"something-else"' });
    assert.equal(other.statusCode, 200);
    assert.equal(other.rawPayload.length, full.rawPayload.length);
  });
});

describe('content types and Cache-Control', () => {
  test('playlists are application/vnd.apple.mpegurl, segments video/mp2t and immutable', async () => {
    const s = await openStream(fx.app.http, `${BASE}/playlist.m3u8`);
    assert.equal(s.master.headers['content-type'], PLAYLIST_TYPE);
    assert.equal(s.chunklist.headers['content-type'], PLAYLIST_TYPE);
    const seg = await get(fx.app.http, s.segments[0]!);
    assert.equal(seg.headers['content-type'], SEGMENT_TYPE);
    assert.match(String(seg.headers['cache-control']), /\bimmutable\b/);
    assert.match(String(seg.headers['cache-control']), /\bpublic\b/);
    assert.equal(seg.headers['accept-ranges'], 'bytes');
  });

  test('error answers are one plain-text line and are not cached', async () => {
    const res = await get(fx.app.http, `${BASE}/media_999.ts`);
    assert.equal(res.statusCode, 404);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.body.trimEnd().split('\n').length, 1);
  });
});

describe('CORS and per-application headers', () => {
  const preflight = (url: string, origin: string) =>
    fx.app.http.inject({
      method: 'OPTIONS',
      url,
      headers: { origin, 'access-control-request-method': 'GET' },
    });

  test('OPTIONS preflight of a CORS application answers with the allowed origin', async () => {
    const res = await preflight('/corsapp/mp4:sample.mp4/playlist.m3u8', ALLOWED_ORIGIN);
    assert.ok(res.statusCode >= 200 && res.statusCode < 300, `status ${res.statusCode}`);
    assert.equal(res.headers['access-control-allow-origin'], ALLOWED_ORIGIN);
    assert.match(String(res.headers['access-control-allow-methods']), /GET/);
  });

  test('a GET with that origin carries the header; another origin does not get it', async () => {
    const ok = await get(fx.app.http, '/corsapp/mp4:sample.mp4/playlist.m3u8', { origin: ALLOWED_ORIGIN });
    assert.equal(ok.headers['access-control-allow-origin'], ALLOWED_ORIGIN);
    const other = await preflight('/corsapp/mp4:sample.mp4/playlist.m3u8', 'https://evil.example');
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  test('an application without CORS sends no allow-origin header', async () => {
    const res = await preflight(`${BASE}/playlist.m3u8`, ALLOWED_ORIGIN);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    const got = await get(fx.app.http, `${BASE}/playlist.m3u8`, { origin: ALLOWED_ORIGIN });
    assert.equal(got.headers['access-control-allow-origin'], undefined);
  });

  test('http.headers are added to every response of that application only', async () => {
    const s = await openStream(fx.app.http, '/hdr/mp4:sample.mp4/playlist.m3u8');
    const seg = await get(fx.app.http, s.segments[0]!);
    const missing = await get(fx.app.http, '/hdr/mp4:nosuch.mp4/playlist.m3u8');
    for (const res of [s.master, s.chunklist, seg, missing]) {
      assert.equal(res.headers['x-test-header'], 'on');
      assert.equal(res.headers['access-control-allow-origin'], '*');
    }
    const plain = await openStream(fx.app.http, `${BASE}/playlist.m3u8`);
    for (const res of [plain.master, plain.chunklist]) {
      assert.equal(res.headers['x-test-header'], undefined);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    }
    assert.equal((await get(fx.app.http, '/healthz')).headers['x-test-header'], undefined);
  });
});

describe('/healthz', () => {
  test('answers 200 and is not cached', async () => {
    const res = await get(fx.app.http, '/healthz');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal((await get(fx.app.http, '/healthz', {}, 'HEAD')).statusCode, 200);
  });
});
