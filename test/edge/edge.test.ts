// Edge (SPEC §8): an edge application repeats what an upstream origin serves (here a second
// hls-origin, and ffmpeg's own HLS files behind a plain web server, encrypted or not), fetching
// each upstream segment once, decrypting it and encrypting it again with the edge's own keys.
// ffmpeg decodes through the edge into exactly the source's frames; hostile upstreams get clear
// 4xx/5xx answers and the edge goes on.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createSharedListener, listen } from '../../src/cli/listener.js';
import { createApp, type WiredApp } from '../../src/cli/wiring.js';
import { decodeErrors, publish, runFfmpeg } from '../helpers/live-ffmpeg.js';
import { fetchChunklist, sleep, waitFor } from '../helpers/live-hls.js';
import { captureLogs, type LogCapture } from '../helpers/log-capture.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { createServerHome, readHomeConfig, SAMPLE_MP4, type ServerHome } from '../helpers/server-fixture.js';
import { CORRUPTION_PATTERN, ffmpeg, videoFrameHashes } from '../helpers/vod-media.js';
import { get, parsePlaylist } from '../helpers/vod-server.js';

const LOOPBACK = '127.0.0.1';

/** A running app on a free port. */
interface Running {
  readonly home: ServerHome;
  readonly app: WiredApp;
  readonly origin: string;
  readonly log: LogCapture;
  close(): Promise<void>;
}

async function run(applications: Record<string, Record<string, unknown>>, sample = true): Promise<Running> {
  const home = createServerHome({ applications, sample });
  const log = captureLogs();
  const app = await createApp({ config: readHomeConfig(home), logger: log.logger });
  const listener = createSharedListener(app.http.server, app.rtmp);
  const port = await listen(listener, 0, LOOPBACK);
  return {
    home,
    app,
    log,
    origin: `http://${LOOPBACK}:${port}`,
    async close() {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await app.close();
      home.remove();
    },
  };
}

/** A plain web server over `dir`, with a few hostile routes, counting requests by path. */
function staticServer(
  dir: string,
): Promise<{ url: string; hits: Map<string, number>; close(): Promise<void> }> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
    // An upstream whose chunklist URLs expire: each master names a new one, only the newest works.
    if (pathname === '/renew/master.m3u8') {
      const n = hits.get(pathname) ?? 0;
      res.writeHead(200).end(`#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000\nc${n}.m3u8\n`);
      return;
    }
    if (pathname.startsWith('/renew/c')) {
      const newest = `/renew/c${hits.get('/renew/master.m3u8') ?? 0}.m3u8`;
      if (pathname !== newest) res.writeHead(403).end('session expired');
      else
        res
          .writeHead(200)
          .end('#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\n../plain/index0.ts\n#EXT-X-ENDLIST\n');
      return;
    }
    if (pathname === '/broken/master.m3u8') {
      res.writeHead(200).end('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000\nc.m3u8\n');
      return;
    }
    if (pathname === '/broken/c.m3u8') {
      res.writeHead(500).end('oops');
      return;
    }
    if (pathname === '/huge.m3u8') {
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
      res.end(`#EXTM3U\n${'#EXT-X-COMMENT:'.padEnd(1024, 'x')}\n`.repeat(5 * 1024));
      return;
    }
    const file = path.join(dir, pathname);
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : 0;
      resolve({
        url: `http://${LOOPBACK}:${port}`,
        hits,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

let liveDir = '';

/** Writes live.m3u8 (no ENDLIST, 1 s target, media sequence 5) listing `segments` of plain/. */
function writeLive(segments: readonly string[]): void {
  const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:1', '#EXT-X-MEDIA-SEQUENCE:5'];
  for (const f of segments) lines.push('#EXTINF:1,', `plain/${f}`);
  fs.writeFileSync(path.join(liveDir, 'live.m3u8'), `${lines.join('\n')}\n`);
}

/** The first chunklist of a master, its first segment's key bytes, and the chunklist text. */
async function firstRendition(masterUrl: string) {
  const master = await get(masterUrl);
  assert.equal(master.status, 200, master.text);
  const uri = parsePlaylist(master.text).playlists?.[0]?.uri;
  assert.ok(uri);
  const chunklistUrl = new URL(uri, masterUrl).href;
  const chunklist = await get(chunklistUrl);
  assert.equal(chunklist.status, 200, chunklist.text);
  const parsed = parsePlaylist(chunklist.text);
  const keyUri = parsed.segments[0]?.key?.uri;
  assert.ok(keyUri);
  const key = await get(new URL(keyUri, chunklistUrl).href);
  assert.equal(key.status, 200);
  return { chunklistUrl, text: chunklist.text, parsed, key: key.body };
}

describe('edge applications and .stream pulls', () => {
  let upstream: Running;
  let edge: Running;
  let files: Awaited<ReturnType<typeof staticServer>>;
  let filesDir = '';

  before(async () => {
    upstream = await run({
      vod: { type: 'vod', encryption: { missingKey: 'generate' } },
      live: { type: 'live', hls: { chunkDurationTarget: 1000 }, encryption: { missingKey: 'generate' } },
    });
    fs.copyFileSync(SAMPLE_MP4, path.join(upstream.home.storageDir, 'copy.mp4'));
    // ffmpeg's own HLS output of the sample, plain and AES-128 with a fixed IV, behind a web server.
    filesDir = fs.mkdtempSync(path.join(upstream.home.home, 'www-'));
    liveDir = filesDir;
    fs.mkdirSync(path.join(filesDir, 'plain'));
    fs.mkdirSync(path.join(filesDir, 'aes'));
    await ffmpeg(
      ...['-v', 'error', '-i', SAMPLE_MP4, '-c', 'copy', '-f', 'hls', '-hls_time', '6'],
      ...['-hls_playlist_type', 'vod', path.join(filesDir, 'plain', 'index.m3u8')],
    );
    fs.writeFileSync(path.join(filesDir, 'aes', 'k.bin'), crypto.randomBytes(16));
    fs.writeFileSync(
      path.join(filesDir, 'aes', 'keyinfo'),
      `k.bin\n${path.join(filesDir, 'aes', 'k.bin')}\n${crypto.randomBytes(16).toString('hex')}\n`,
    );
    await ffmpeg(
      ...['-v', 'error', '-i', SAMPLE_MP4, '-c', 'copy', '-f', 'hls', '-hls_time', '6'],
      ...['-hls_playlist_type', 'vod', '-hls_key_info_file', path.join(filesDir, 'aes', 'keyinfo')],
      path.join(filesDir, 'aes', 'index.m3u8'),
    );
    fs.writeFileSync(path.join(filesDir, 'garbage.m3u8'), 'this is not a playlist');
    fs.writeFileSync(
      path.join(filesDir, 'nots.m3u8'),
      '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\nnots.ts\n#EXT-X-ENDLIST\n',
    );
    fs.writeFileSync(path.join(filesDir, 'nots.ts'), 'definitely not mpeg-ts');
    fs.writeFileSync(
      path.join(filesDir, 'sample-aes.m3u8'),
      '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI="k"\n#EXTINF:6,\na.ts\n',
    );
    // A live playlist (no ENDLIST) over ffmpeg's plain segments, and playlists naming bad URIs.
    const plainSegments = fs
      .readdirSync(path.join(filesDir, 'plain'))
      .filter((f) => f.endsWith('.ts'))
      .sort();
    writeLive(plainSegments.slice(0, 2));
    fs.writeFileSync(
      path.join(filesDir, 'bad-uri.m3u8'),
      '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\nhttp://[bad/x.ts\n#EXT-X-ENDLIST\n',
    );
    fs.writeFileSync(
      path.join(filesDir, 'file-uri.m3u8'),
      '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\nfile:///etc/passwd\n',
    );
    fs.writeFileSync(
      path.join(filesDir, 'bad-codecs.m3u8'),
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000,CODECS=avc1"x\nplain/index.m3u8\n',
    );
    files = await staticServer(filesDir);

    edge = await run(
      {
        edge: { type: 'edge', originUrl: `${upstream.origin}/vod`, encryption: { missingKey: 'generate' } },
        'edge-live': {
          type: 'edge',
          originUrl: `${upstream.origin}/live`,
          encryption: { missingKey: 'generate' },
        },
        vod: { type: 'vod', encryption: { missingKey: 'generate' } },
      },
      false,
    );
    const pulls: Record<string, string> = {
      'plain.stream': `${files.url}/plain/index.m3u8`,
      'aes.stream': `# ffmpeg with a key info file\n${files.url}/aes/index.m3u8\n`,
      'garbage.stream': `${files.url}/garbage.m3u8`,
      'nots.stream': `${files.url}/nots.m3u8`,
      'sample-aes.stream': `${files.url}/sample-aes.m3u8`,
      'huge.stream': `${files.url}/huge.m3u8`,
      'gone.stream': `${files.url}/nothing-here.m3u8`,
      'ftp.stream': 'ftp://example.com/a.m3u8',
      'down.stream': 'http://127.0.0.1:1/a.m3u8',
      'live.stream': `${files.url}/live.m3u8`,
      'renew.stream': `${files.url}/renew/master.m3u8`,
      'broken.stream': `${files.url}/broken/master.m3u8`,
      'plain-again.stream': `${files.url}/plain/index.m3u8`,
      'bad-uri.stream': `${files.url}/bad-uri.m3u8`,
      'file-uri.stream': `${files.url}/file-uri.m3u8`,
      'bad-codecs.stream': `${files.url}/bad-codecs.m3u8`,
    };
    for (const [name, text] of Object.entries(pulls))
      fs.writeFileSync(path.join(edge.home.storageDir, name), text);
  });

  after(async () => {
    await edge?.close();
    await files?.close();
    await upstream?.close();
  });

  test('an edge stream decodes to exactly the source, encrypted with the edge key only', async () => {
    const edgeMaster = `${edge.origin}/edge/mp4:sample.mp4/playlist.m3u8`;
    const atEdge = await firstRendition(edgeMaster);
    const atOrigin = await firstRendition(`${upstream.origin}/vod/mp4:sample.mp4/playlist.m3u8`);
    assert.notEqual(atEdge.key.toString('hex'), atOrigin.key.toString('hex'), 'the edge has its own key');
    assert.ok(!atEdge.text.includes(upstream.origin), 'no upstream URL reaches the player');
    assert.deepEqual(
      atEdge.parsed.segments.map((s) => s.duration),
      atOrigin.parsed.segments.map((s) => s.duration),
    );
    const [ours, source] = await Promise.all([videoFrameHashes(edgeMaster), videoFrameHashes(SAMPLE_MP4)]);
    assert.doesNotMatch(ours.warnings, CORRUPTION_PATTERN);
    assert.deepEqual(ours.hashes, source.hashes);
  });

  test('concurrent requests of one segment fetch it from the upstream once', async () => {
    const url = `${edge.origin}/edge/mp4:copy.mp4/media_3.ts`;
    const scrape = async () =>
      sampleValue(
        await parsePrometheus((await get(`${upstream.origin}/metrics`)).text),
        'hls_origin_http_requests_total',
        { kind: 'segment', status: '200' },
      ) ?? 0;
    const before = await scrape();
    const answers = await Promise.all(Array.from({ length: 8 }, () => get(url)));
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.ok(a.body.equals(answers[0]!.body));
    }
    assert.equal((await scrape()) - before, 1);
  });

  for (const name of ['plain', 'aes']) {
    test(`a .stream pull of ffmpeg's ${name} HLS files decodes to exactly the source, encrypted`, async () => {
      const master = `${edge.origin}/vod/${name}.stream/playlist.m3u8`;
      const { parsed } = await firstRendition(master);
      assert.equal(parsed.segments[0]?.key?.method, 'AES-128');
      const [ours, source] = await Promise.all([videoFrameHashes(master), videoFrameHashes(SAMPLE_MP4)]);
      assert.doesNotMatch(ours.warnings, CORRUPTION_PATTERN);
      assert.deepEqual(ours.hashes, source.hashes);
    });
  }

  // 5xx answers say only "upstream unavailable"; the reason goes to the log.
  const refusals: [string, number, RegExp][] = [
    ['garbage', 502, /upstream playlist invalid/],
    ['sample-aes', 415, /SAMPLE-AES/],
    ['huge', 502, /larger than/],
    ['gone', 404, /^upstream has no such playlist\n$/],
    ['ftp', 415, /must be an http\(s\) URL/],
    ['down', 502, /upstream unreachable/],
    ['bad-codecs', 502, /invalid CODECS/],
  ];
  for (const [name, status, says] of refusals) {
    test(`${name}.stream answers ${status} with a reason`, async () => {
      const res = await get(`${edge.origin}/vod/${name}.stream/playlist.m3u8`);
      assert.equal(res.status, status, res.text);
      if (status < 500) assert.match(res.text, says);
      else {
        assert.equal(res.text, 'upstream unavailable\n');
        assert.match(edge.log.text(), says);
      }
    });
  }

  test('an upstream segment that is not MPEG-TS is refused, and the edge goes on', async () => {
    const master = `${edge.origin}/vod/nots.stream/playlist.m3u8`;
    assert.equal((await get(master)).status, 200);
    const res = await get(`${edge.origin}/vod/nots.stream/media_0.ts`);
    assert.equal(res.status, 502);
    assert.match(edge.log.text(), /upstream segment 0 is not MPEG-TS/);
    assert.equal((await get(`${edge.origin}/edge/mp4:sample.mp4/media_0.ts`)).status, 200);
  });

  test('a live stream repeated by the edge moves on, re-encrypted, and records without errors', async () => {
    const publisher = publish(`${upstream.origin.replace('http:', 'rtmp:')}/live/cam`, {
      seconds: 30,
      realtime: true,
    });
    try {
      const master = `${edge.origin}/edge-live/cam/playlist.m3u8`;
      const first = await waitFor(
        'three live segments at the edge',
        async () => {
          const res = await get(master);
          if (res.status !== 200) return undefined;
          const uri = parsePlaylist(res.text).playlists?.[0]?.uri;
          const c = uri === undefined ? undefined : await fetchChunklist(new URL(uri, master).href);
          return c !== undefined && c.segments.length >= 3 ? c : undefined;
        },
        30_000,
        250,
      );
      assert.equal(first.endList, false);
      assert.ok(!first.response.text.includes(upstream.origin), 'no upstream URL reaches the player');
      const later = await waitFor(
        'the window to move',
        async () => {
          const c = await fetchChunklist(first.url);
          return c.mediaSequence > first.mediaSequence ? c : undefined;
        },
        15_000,
        250,
      );
      const segment = later.segments.at(-1)!;
      const key = (await get(segment.keyUrl!)).body;
      const decipher = crypto.createDecipheriv('aes-128-cbc', key, segment.iv!);
      const ts = Buffer.concat([decipher.update((await get(segment.url)).body), decipher.final()]);
      assert.equal(ts[0], 0x47);
      const out = path.join(edge.home.home, 'edge-live.ts');
      const rec = await runFfmpeg(['-loglevel', 'error', '-i', master, '-t', '3', '-c', 'copy', '-y', out])
        .done;
      assert.equal(rec.code, 0, rec.stderr);
      assert.equal(await decodeErrors(out), '');
    } finally {
      publisher.kill();
      await publisher.done;
    }
  });

  test('only configured instances exist at the edge: no key file per made-up instance', async () => {
    for (const url of [
      `${edge.origin}/edge/made-up/mp4:sample.mp4/playlist.m3u8`,
      `${edge.origin}/vod/made-up/plain.stream/playlist.m3u8`,
    ]) {
      const res = await get(url);
      assert.equal(res.status, 404, res.text);
      assert.match(res.text, /unknown instance made-up/);
    }
    assert.ok(!fs.existsSync(path.join(edge.home.keyDir, 'edge', 'made-up')));
    assert.ok(!fs.existsSync(path.join(edge.home.keyDir, 'vod', 'made-up')));
  });

  test('two pulls of one upstream are each encrypted with their own key', async () => {
    const decrypted: Buffer[] = [];
    for (const name of ['plain', 'plain-again']) {
      const { parsed, key, chunklistUrl } = await firstRendition(
        `${edge.origin}/vod/${name}.stream/playlist.m3u8`,
      );
      const segment = parsed.segments[0]!;
      const data = (await get(new URL(segment.uri, chunklistUrl).href)).body;
      const iv = Buffer.alloc(16);
      iv.writeBigUInt64BE(BigInt(parsed.mediaSequence ?? 0), 8);
      const decipher = crypto.createDecipheriv('aes-128-cbc', key, iv);
      decrypted.push(Buffer.concat([decipher.update(data), decipher.final()]));
    }
    assert.equal(decrypted[0]![0], 0x47);
    assert.ok(decrypted[0]!.equals(decrypted[1]!), 'the same upstream bytes under two keys');
  });

  test('upstream URIs that are not http(s) URLs are refused with 502, not 500', async () => {
    for (const name of ['bad-uri', 'file-uri']) {
      assert.equal((await get(`${edge.origin}/vod/${name}.stream/playlist.m3u8`)).status, 200);
      const res = await get(`${edge.origin}/vod/${name}.stream/media_0.ts`);
      assert.equal(res.status, 502, `${name}: ${res.text}`);
    }
    assert.match(edge.log.text(), /upstream playlist names an invalid URI/);
    assert.match(edge.log.text(), /upstream playlist names a file: URI/);
  });

  test('a live pull fetches its playlist again only for a segment newer than it holds', async () => {
    const master = `${edge.origin}/vod/live.stream/playlist.m3u8`;
    const { parsed } = await firstRendition(master);
    assert.equal(parsed.endList, undefined);
    assert.equal(parsed.mediaSequence, 5);
    const fetches = () => files.hits.get('/live.m3u8') ?? 0;
    const before = fetches();
    const old = await Promise.all(
      Array.from({ length: 20 }, () => get(`${edge.origin}/vod/live.stream/media_1.ts`)),
    );
    assert.ok(old.every((r) => r.status === 404));
    assert.equal(fetches(), before, 'an old segment number costs the upstream nothing');
    const ahead = await Promise.all(
      Array.from({ length: 20 }, () => get(`${edge.origin}/vod/live.stream/media_999.ts`)),
    );
    assert.ok(ahead.every((r) => r.status === 404));
    assert.ok(fetches() - before <= 1, `${fetches() - before} upstream fetches for 20 requests`);
  });

  test('segments already listed keep their key when the edge key file changes (SPEC §5)', async () => {
    const master = `${edge.origin}/vod/live.stream/playlist.m3u8`;
    const before = await firstRendition(master);
    const oldKeyUri = before.parsed.segments[0]!.key!.uri.split('?')[0]!;
    const keyFile = path.join(edge.home.keyDir, 'vod', '_definst_', 'live.stream.key');
    fs.writeFileSync(keyFile, `cupertinostreaming-aes128-key: ${crypto.randomBytes(16).toString('hex')}\n`);
    // Key files are looked at again at most once a second.
    await sleep(1100);
    // The upstream window grows by one segment; the edge sees it once its copy is half a target old.
    const plainSegments = fs
      .readdirSync(path.join(filesDir, 'plain'))
      .filter((f) => f.endsWith('.ts'))
      .sort();
    writeLive(plainSegments.slice(0, 3));
    const after = await waitFor(
      'the third segment at the edge',
      async () => {
        const res = await get(before.chunklistUrl);
        const p = parsePlaylist(res.text);
        return p.segments.length === 3 ? p : undefined;
      },
      10_000,
      200,
    );
    const uris = after.segments.map((s) => s.key!.uri.split('?')[0]!);
    assert.equal(uris[0], oldKeyUri, 'the first segment keeps the key it was listed with');
    assert.equal(uris[1], oldKeyUri);
    assert.notEqual(uris[2], oldKeyUri, 'the new segment has the new key');
    for (const [i, s] of after.segments.entries()) {
      const key = (await get(new URL(s.key!.uri, before.chunklistUrl).href)).body;
      const iv = Buffer.alloc(16);
      iv.writeBigUInt64BE(BigInt(5 + i), 8);
      const decipher = crypto.createDecipheriv('aes-128-cbc', key, iv);
      const data = (await get(new URL(s.uri, before.chunklistUrl).href)).body;
      const ts = Buffer.concat([decipher.update(data), decipher.final()]);
      assert.equal(ts[0], 0x47, `segment ${5 + i} decrypts with the key its playlist names`);
    }
  });

  test('a chunklist the upstream refuses is fetched again through a fresh master, once', async () => {
    const master = await get(`${edge.origin}/vod/renew.stream/playlist.m3u8`);
    assert.equal(master.status, 200);
    // The master's own fetch above made c1 the newest: the edge still holds c0's URL, now refused.
    files.hits.set('/renew/master.m3u8', (files.hits.get('/renew/master.m3u8') ?? 0) + 1);
    const uri = parsePlaylist(master.text).playlists![0]!.uri;
    const chunklist = await get(new URL(uri, `${edge.origin}/vod/renew.stream/`).href);
    assert.equal(chunklist.status, 200, chunklist.text);
    assert.equal(parsePlaylist(chunklist.text).segments.length, 1);
  });

  test('a chunklist the upstream fails on does not fetch the master again', async () => {
    const master = await get(`${edge.origin}/vod/broken.stream/playlist.m3u8`);
    assert.equal(master.status, 200);
    const before = files.hits.get('/broken/master.m3u8');
    const uri = parsePlaylist(master.text).playlists![0]!.uri;
    for (let i = 0; i < 5; i++) {
      assert.equal((await get(new URL(uri, `${edge.origin}/vod/broken.stream/`).href)).status, 502);
    }
    assert.equal(files.hits.get('/broken/master.m3u8'), before);
  });

  test('a stream the upstream does not have is 404 at the edge', async () => {
    const res = await get(`${edge.origin}/edge/mp4:missing.mp4/playlist.m3u8`);
    assert.equal(res.status, 404);
  });
});
