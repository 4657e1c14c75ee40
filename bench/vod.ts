// Benchmark: packaging a 10-minute 720p movie on the fly. Fetches every segment cold (never
// packaged before) from a server that has just served another 10-minute movie, as a server in
// production has, and from a freshly started one; then each segment a second time (the request
// that admits it to the cache: mostly packaged again, the last few still in probation) and a
// third (from the cache). ffmpeg's own AES-128 HLS segmenter
// on the same file is the reference. Best of BENCH_RUNS runs. `tsx bench/vod.ts`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  ensureMovie720p,
  ensureWarmupMovie720p,
  MEDIA_DIR,
  MOVIE_720P_NAME,
  WARMUP_720P_NAME,
} from './bench-media.js';
import {
  assertDecryptsToTs,
  type Chunklist,
  ensureCurl,
  fetchChunklist,
  fetchSegments,
  firstVariantUrl,
  getBytes,
} from './hls-client.js';
import { childrenCpuReader, processCpuReader } from './process-cpu.js';
import { benchRuns, best, listRuns, repeat } from './repeat.js';
import { type BenchServer, startBenchServer } from './server-process.js';
import { type BenchResult, fixed, printFigures, printSummary } from './summary.js';

const run = promisify(execFile);

/** Requests in flight, as a player prefetching one segment ahead would have. */
const CONCURRENCY = 2;
/** ffmpeg's segment length, matching the server's default chunkDurationTarget. */
const HLS_TIME_S = 6;
/** Ours must be at least this many times faster than ffmpeg's segmenter. */
const TARGET_SPEEDUP = 2;
/** Our bytes may differ from ffmpeg's by this fraction (TS layout differs; an error page would not). */
const BYTES_TOLERANCE = 0.2;
const MB = 1e6;

/** One pass over all segments. */
interface Pass {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly bytes: number;
}

/** A movie's chunklist and keys, fetched before the segments. */
interface Movie {
  readonly chunklist: Chunklist;
  readonly key: Buffer;
}

/** Master playlist, chunklist and the key of the first segment. */
async function openMovie(server: BenchServer, name: string): Promise<Movie> {
  const masterUrl = `${server.origin}/vod/mp4:${name}/playlist.m3u8`;
  const chunklist = await fetchChunklist(await firstVariantUrl(masterUrl));
  const keyUrl = chunklist.segments[0]?.keyUrl;
  if (keyUrl === undefined) throw new Error(`${name}: the first segment has no key`);
  return { chunklist, key: await getBytes(keyUrl) };
}

/** Every segment of `movie` once, timed with the server's CPU; checks the first one decrypts. */
async function segmentPass(server: BenchServer, movie: Movie): Promise<Pass> {
  const cpu = processCpuReader(server.pid);
  const cpuBefore = cpu();
  const start = performance.now();
  const fetched = await fetchSegments(movie.chunklist.segments, CONCURRENCY);
  const seconds = (performance.now() - start) / 1000;
  const cpuSeconds = cpu() - cpuBefore;
  const first = movie.chunklist.segments[0];
  if (first === undefined) throw new Error('the chunklist lists no segments');
  assertDecryptsToTs(fetched.first, movie.key, first);
  return { seconds, cpuSeconds, bytes: fetched.bytes };
}

/** One ffmpeg run: wall and CPU seconds, output bytes and segment count. */
interface FfmpegRun {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly bytes: number;
  readonly segments: number;
}

/** ffmpeg's HLS muxer with AES-128 on the same file, into a temporary folder. */
async function ffmpegPass(movie: string): Promise<FfmpegRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-bench-ffmpeg-'));
  try {
    const keyFile = path.join(dir, 'bench.key');
    fs.writeFileSync(keyFile, randomBytes(16));
    const keyInfo = path.join(dir, 'keyinfo');
    fs.writeFileSync(keyInfo, `bench.key\n${keyFile}\n${randomBytes(16).toString('hex')}\n`);
    const cpu = childrenCpuReader();
    const cpuBefore = cpu();
    const start = performance.now();
    await run('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-i', movie, '-c', 'copy'],
      ...['-f', 'hls', '-hls_time', String(HLS_TIME_S), '-hls_playlist_type', 'vod'],
      ...['-hls_key_info_file', keyInfo, '-hls_segment_filename', path.join(dir, 'seg_%d.ts')],
      path.join(dir, 'out.m3u8'),
    ]);
    const seconds = (performance.now() - start) / 1000;
    const cpuSeconds = cpu() - cpuBefore;
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
    const bytes = files.reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
    return { seconds, cpuSeconds, bytes, segments: files.length };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The passes of one run. */
interface ServerRun {
  /** Cold, on a server that has served the warm-up movie. */
  readonly cold: Pass;
  /** Cold, on a server just started. */
  readonly fresh: Pass;
  /**
   * Every segment a second time, which admits it to the cache: the last ones are still in
   * probation and served from it, the others are packaged again.
   */
  readonly second: Pass;
  /** A third time: from the cache. */
  readonly warm: Pass;
  readonly chunklist: Chunklist;
}

/** Runs `passes` on a freshly started server, then stops it. */
async function withServer<T>(passes: (server: BenchServer) => Promise<T>): Promise<T> {
  const server = await startBenchServer({ mediaDir: MEDIA_DIR });
  try {
    return await passes(server);
  } finally {
    await server.stop();
  }
}

/** One run: a cold pass on a fresh server, then warm-up, cold, second and warm passes on another. */
async function serverRun(): Promise<ServerRun> {
  const fresh = await withServer(async (server) =>
    segmentPass(server, await openMovie(server, MOVIE_720P_NAME)),
  );
  return withServer(async (server) => {
    await segmentPass(server, await openMovie(server, WARMUP_720P_NAME));
    const movie = await openMovie(server, MOVIE_720P_NAME);
    const cold = await segmentPass(server, movie);
    const second = await segmentPass(server, movie);
    const warm = await segmentPass(server, movie);
    for (const pass of [fresh, second, warm]) {
      if (pass.bytes !== cold.bytes)
        throw new Error(`a pass got ${pass.bytes} bytes, the cold one ${cold.bytes}`);
    }
    return { cold, fresh, second, warm, chunklist: movie.chunklist };
  });
}

/** Runs the VOD benchmark (best of BENCH_RUNS runs) and returns its figures and summary rows. */
export async function benchVod(): Promise<BenchResult> {
  const movie = await ensureMovie720p();
  await ensureWarmupMovie720p();
  await ensureCurl();
  const runs = benchRuns();
  const ours = await repeat(runs, () => serverRun());
  const ff = await repeat(runs, () => ffmpegPass(movie));
  const first = ours[0];
  const ffFirst = ff[0];
  if (first === undefined || ffFirst === undefined) throw new Error('no runs');
  const bytes = first.cold.bytes;
  const bytesRatio = bytes / ffFirst.bytes;
  if (Math.abs(bytesRatio - 1) > BYTES_TOLERANCE) {
    throw new Error(`implausible output: ours ${bytes} bytes, ffmpeg ${ffFirst.bytes} bytes`);
  }
  const segments = first.chunklist.segments.length;
  const seconds = (pick: (r: ServerRun) => Pass) => best(ours.map((r) => pick(r).seconds));
  const cpuSeconds = (pick: (r: ServerRun) => Pass) => best(ours.map((r) => pick(r).cpuSeconds));
  const coldS = seconds((r) => r.cold);
  const freshS = seconds((r) => r.fresh);
  const secondS = seconds((r) => r.second);
  const warmS = seconds((r) => r.warm);
  const ffS = best(ff.map((r) => r.seconds));
  const ffCpu = best(ff.map((r) => r.cpuSeconds));
  const speedup = ffS / coldS;
  const rate = (s: number) => `${fixed(segments / s, 1)} seg/s, ${fixed(bytes / MB / s, 1)} MB/s`;
  const passFigures = (name: string, pick: (r: ServerRun) => Pass) => ({
    [`${name}SecondsRuns`]: listRuns(ours.map((r) => pick(r).seconds)),
    [`${name}BestRate`]: rate(seconds(pick)),
    [`${name}ServerCpuRuns`]: listRuns(ours.map((r) => pick(r).cpuSeconds)),
  });
  const figures = {
    movie: path.relative(process.cwd(), movie),
    movieMB: fixed(fs.statSync(movie).size / MB, 1),
    client: `curl, ${CONCURRENCY} transfers in flight`,
    runs,
    segments,
    playlistSeconds: fixed(first.chunklist.totalSeconds, 1),
    fetchedMB: fixed(bytes / MB, 1),
    ...passFigures('cold', (r) => r.cold),
    ...passFigures('coldFreshServer', (r) => r.fresh),
    ...passFigures('second', (r) => r.second),
    ...passFigures('warm', (r) => r.warm),
    ffmpegSecondsRuns: listRuns(ff.map((r) => r.seconds)),
    ffmpegCpuRuns: listRuns(ff.map((r) => r.cpuSeconds)),
    ffmpegSegments: ffFirst.segments,
    ffmpegMB: fixed(ffFirst.bytes / MB, 1),
    oursToFfmpegBytes: fixed(bytesRatio, 3),
    speedupOverFfmpeg: `${fixed(speedup)}x`,
  };
  return {
    figures,
    rows: [
      {
        figure: 'VOD 10 min 720p, all segments cold (s)',
        ours: fixed(coldS),
        reference: `${fixed(ffS)} (ffmpeg -f hls)`,
        ratio: `ffmpeg/ours ${fixed(speedup)}x`,
        target: `ffmpeg/ours >= ${TARGET_SPEEDUP}x`,
        met: speedup >= TARGET_SPEEDUP,
      },
      {
        figure: 'VOD cold, CPU (s)',
        ours: `${fixed(cpuSeconds((r) => r.cold))} (server)`,
        reference: `${fixed(ffCpu)} (ffmpeg)`,
        ratio: `ffmpeg/ours ${fixed(ffCpu / cpuSeconds((r) => r.cold))}x`,
        target: '',
        met: undefined,
      },
      {
        figure: 'VOD cold, server just started (s)',
        ours: fixed(freshS),
        reference: `${fixed(ffS)} (ffmpeg -f hls)`,
        ratio: `ffmpeg/ours ${fixed(ffS / freshS)}x`,
        target: '',
        met: undefined,
      },
      {
        figure: 'VOD second request, admits to cache (s)',
        ours: fixed(secondS),
        reference: `${fixed(coldS)} (cold)`,
        ratio: `cold/second ${fixed(coldS / secondS)}x`,
        target: '',
        met: undefined,
      },
      {
        figure: 'VOD third request, from cache (s)',
        ours: fixed(warmS),
        reference: `${fixed(coldS)} (cold)`,
        ratio: `cold/warm ${fixed(coldS / warmS)}x`,
        target: 'faster than cold',
        met: warmS < coldS,
      },
    ],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchVod();
  printFigures('VOD packaging', result.figures);
  printSummary(result.rows);
}
