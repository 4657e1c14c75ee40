// Mp4SourceCache and segment reads on real files: sample bytes and times against ffmpeg's framemd5,
// caching (hits, mtime changes, shared parses, LRU), clean errors, and no leaked file descriptors.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { HlsError } from '../../src/core/errors.js';
import type { MediaSample } from '../../src/core/media.js';
import { Mp4SourceCache, TS_OFFSET_90K } from '../../src/packager/mp4-source.js';
import { indexOf, mediaDir } from '../mp4/media-fixtures.js';

const run = promisify(execFile);
const media = mediaDir();
after(() => media.dispose());

const BIG_CACHE = { maxBytes: 64 * 1024 * 1024 };

/** ffmpeg's framemd5 of the packets of one stream: dts, pts, size and MD5 of the packet data. */
async function framemd5(file: string, map: string): Promise<{ tb: number; rows: string[][] }> {
  const { stdout } = await run('ffmpeg', [
    '-loglevel',
    'error',
    '-i',
    file,
    '-map',
    map,
    '-c',
    'copy',
    '-f',
    'framemd5',
    '-',
  ]);
  const tb = Number(/#tb 0: 1\/(\d+)/.exec(stdout)![1]);
  const rows = stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(',').map((f) => f.trim()));
  return { tb, rows };
}

function describeSample(s: MediaSample): string[] {
  return [
    String(s.dts),
    String(s.pts),
    String(s.data.length),
    createHash('md5').update(s.data).digest('hex'),
  ];
}

function expected(row: string[], tb: number): string[] {
  const to90k = (v: string) => String(Math.round((Number(v) * 90000) / tb) + TS_OFFSET_90K);
  return [to90k(row[1]!), to90k(row[2]!), row[4]!, row[5]!];
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<HlsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof HlsError, `expected an HlsError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return err;
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

function copyOf(name: string, src: string): string {
  const dest = path.join(media.dir, name);
  fs.copyFileSync(src, dest);
  return dest;
}

describe('Mp4Source.readSegment', () => {
  for (const name of ['av', 'avFaststart', 'gops'] as const) {
    test(`${name}: every segment's samples equal ffmpeg's packets (bytes and 90 kHz times)`, async () => {
      const file = await media.file(name);
      const source = await new Mp4SourceCache(BIG_CACHE).get(file);
      const plan = source.plan(2000);
      const video: MediaSample[] = [];
      const audio: MediaSample[] = [];
      for (let i = 0; i < plan.segments.length; i++) {
        const samples = await source.readSegment(plan, i);
        assert.equal(samples.video[0]?.keyframe, true, `segment ${i} starts with a keyframe`);
        video.push(...samples.video);
        audio.push(...samples.audio);
      }
      for (const [kind, got] of [
        ['0:v:0', video],
        ['0:a:0', audio],
      ] as const) {
        const { tb, rows } = await framemd5(file, kind);
        assert.equal(got.length, rows.length, `${kind} packet count`);
        rows.forEach((row, i) => {
          assert.deepEqual(describeSample(got[i]!), expected(row, tb), `${kind} #${i}`);
        });
      }
      // Times are positive (the edit list puts the first ones below 0) and join across segments.
      assert.ok(video[0]!.dts > 0 && audio[0]!.dts > 0);
      for (let i = 1; i < video.length; i++) assert.ok(video[i]!.dts > video[i - 1]!.dts);
    });
  }

  test('audio only and video only files', async () => {
    const cache = new Mp4SourceCache(BIG_CACHE);
    const audioOnly = await cache.get(await media.file('audioOnly'));
    const a = await audioOnly.readSegment(audioOnly.plan(2000), 0);
    assert.equal(a.video.length, 0);
    assert.ok(a.audio.length > 0 && a.audio.every((s) => s.keyframe));
    const videoOnly = await cache.get(await media.file('videoOnly'));
    const v = await videoOnly.readSegment(videoOnly.plan(2000), 1);
    assert.equal(v.audio.length, 0);
    assert.equal(v.video[0]!.keyframe, true);
  });

  test('a segment index out of range is SEGMENT_NOT_FOUND', async () => {
    const source = await new Mp4SourceCache(BIG_CACHE).get(await media.file('av'));
    const plan = source.plan(2000);
    for (const bad of [-1, plan.segments.length, 1.5, Number.NaN]) {
      const err = await rejectsWith(source.readSegment(plan, bad), 'SEGMENT_NOT_FOUND');
      assert.equal(err.statusCode, 404);
    }
  });

  test('samples past the end of a truncated file are MEDIA_INVALID; earlier segments still read', async () => {
    const full = fs.readFileSync(await media.file('avFaststart'));
    const file = path.join(media.dir, 'cut-mdat.mp4');
    // The moov is at the front; cutting the tail leaves chunk offsets pointing past the end.
    fs.writeFileSync(file, full.subarray(0, Math.floor(full.length * 0.6)));
    const source = await new Mp4SourceCache(BIG_CACHE).get(file);
    const plan = source.plan(1000);
    const first = await source.readSegment(plan, 0);
    assert.ok(first.video.length > 0);
    const err = await rejectsWith(source.readSegment(plan, plan.segments.length - 1), 'MEDIA_INVALID');
    assert.equal(err.statusCode, 415);
  });

  test('a file changed after indexing is not read with the old index', async () => {
    const file = copyOf('changing.mp4', await media.file('av'));
    const source = await new Mp4SourceCache(BIG_CACHE).get(file);
    const plan = source.plan(2000);
    fs.appendFileSync(file, Buffer.alloc(100));
    await rejectsWith(source.readSegment(plan, 0), 'SEGMENT_NOT_FOUND');
  });
});

describe('Mp4SourceCache', () => {
  test('indexes from the moov alone: same index as the pure path; hits return the same object', async () => {
    const file = await media.file('av');
    const cache = new Mp4SourceCache(BIG_CACHE);
    const a = await cache.get(file);
    assert.deepEqual(a.index, await indexOf(file));
    assert.equal(await cache.get(file), a);
    assert.equal(a.plan(2000), a.plan(2000));
    assert.equal(cache.count, 1);
    assert.equal(cache.bytes, a.index.memoryBytes);
  });

  test('a changed mtime re-indexes', async () => {
    const file = copyOf('touched.mp4', await media.file('av'));
    const cache = new Mp4SourceCache(BIG_CACHE);
    const a = await cache.get(file);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(file, later, later);
    const b = await cache.get(file);
    assert.notEqual(b, a);
    assert.equal(b.mtimeMs, fs.statSync(file).mtimeMs);
    assert.equal(await cache.get(file), b);
    assert.equal(cache.count, 1);
    assert.equal(cache.bytes, b.index.memoryBytes);
  });

  test('concurrent gets of one file share one parse', async () => {
    const cache = new Mp4SourceCache(BIG_CACHE);
    const file = await media.file('gops');
    const all = await Promise.all(Array.from({ length: 8 }, () => cache.get(file)));
    for (const s of all) assert.equal(s, all[0]);
    assert.equal(cache.count, 1);
  });

  test('bounded by index bytes: least recently used indexes are evicted', async () => {
    const av = await media.file('av');
    const gops = await media.file('gops');
    const audioOnly = await media.file('audioOnly');
    const sizes = await Promise.all([av, gops, audioOnly].map(async (f) => (await indexOf(f)).memoryBytes));
    const cache = new Mp4SourceCache({ maxBytes: sizes[0]! + sizes[1]! });
    const first = await cache.get(av);
    await cache.get(gops);
    assert.equal(await cache.get(av), first, 'av used again: now the most recent');
    await cache.get(audioOnly);
    assert.ok(cache.bytes <= sizes[0]! + sizes[1]!);
    assert.equal(await cache.get(av), first, 'av kept');
    assert.equal(cache.count, 2);
  });

  test('errors: missing file, not an MP4, HEVC; failures are not cached', async () => {
    const cache = new Mp4SourceCache(BIG_CACHE);
    await rejectsWith(cache.get(path.join(media.dir, 'missing.mp4')), 'NOT_FOUND');
    await rejectsWith(cache.get(media.dir), 'NOT_FOUND');
    const text = path.join(media.dir, 'text.mp4');
    fs.writeFileSync(text, 'this is not a movie\n');
    await rejectsWith(cache.get(text), 'UNSUPPORTED_MEDIA');
    const empty = path.join(media.dir, 'empty.mp4');
    fs.writeFileSync(empty, '');
    await rejectsWith(cache.get(empty), 'UNSUPPORTED_MEDIA');
    await rejectsWith(cache.get(await media.file('hevc')), 'UNSUPPORTED_MEDIA');
    fs.copyFileSync(await media.file('av'), text);
    assert.ok((await cache.get(text)).index.video);
    assert.equal(cache.count, 1);
  });

  test('file descriptors are closed after reads and failures', async () => {
    const full = fs.readFileSync(await media.file('avFaststart'));
    const cut = path.join(media.dir, 'fd-cut.mp4');
    fs.writeFileSync(cut, full.subarray(0, Math.floor(full.length * 0.6)));
    const moovCut = path.join(media.dir, 'fd-moov-cut.mp4');
    fs.writeFileSync(moovCut, full.subarray(0, 200));
    const good = await media.file('av');
    const before = openFds();
    for (let round = 0; round < 20; round++) {
      const cache = new Mp4SourceCache(BIG_CACHE);
      const source = await cache.get(good);
      const plan = source.plan(1000);
      for (let i = 0; i < plan.segments.length; i++) await source.readSegment(plan, i);
      const broken = await cache.get(cut);
      const brokenPlan = broken.plan(1000);
      await rejectsWith(broken.readSegment(brokenPlan, brokenPlan.segments.length - 1), 'MEDIA_INVALID');
      await rejectsWith(source.readSegment(plan, 99), 'SEGMENT_NOT_FOUND');
      await rejectsWith(cache.get(moovCut), 'MEDIA_INVALID');
    }
    assert.equal(openFds(), before);
  });
});
