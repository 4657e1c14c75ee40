// Benchmark: packaging a 10-minute 720p movie on the fly. Fetches every segment from a freshly
// started server (cold) and again (warm, from the segment cache), and times ffmpeg's own AES-128
// HLS segmenter on the same file for reference; best of BENCH_RUNS runs. `tsx bench/vod.ts`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ensureMovie720p, MEDIA_DIR, MOVIE_720P_NAME } from './bench-media.js';
import {
  assertDecryptsToTs,
  type Chunklist,
  fetchChunklist,
  fetchSegments,
  firstVariantUrl,
  getBytes,
} from './hls-client.js';
import { childrenCpuReader, processCpuReader } from './process-cpu.js';
import { benchRuns, best, listRuns, repeat } from './repeat.js';
import { startBenchServer } from './server-process.js';
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

async function timed(cpu: () => number, work: () => Promise<number>): Promise<Pass> {
  const cpuBefore = cpu();
  const start = performance.now();
  const bytes = await work();
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: cpu() - cpuBefore, bytes };
}

/** Master playlist, chunklist, keys, then every segment; checks the first segment decrypts. */
async function coldPass(masterUrl: string): Promise<{ chunklist: Chunklist; bytes: number }> {
  const chunklist = await fetchChunklist(await firstVariantUrl(masterUrl));
  const keys = new Map<string, Buffer>();
  for (const url of chunklist.keyUrls) keys.set(url, await getBytes(url));
  const first = chunklist.segments[0];
  if (first === undefined) throw new Error('the chunklist lists no segments');
  const key = first.keyUrl === undefined ? undefined : keys.get(first.keyUrl);
  if (key === undefined) throw new Error('the first segment has no key');
  const bytes = await fetchSegments(chunklist.segments, CONCURRENCY, (body) =>
    assertDecryptsToTs(body, key, first),
  );
  return { chunklist, bytes };
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

/** A fresh server: one cold pass over every segment, then one warm pass. */
async function serverPass(): Promise<{ cold: Pass; warm: Pass; chunklist: Chunklist }> {
  const server = await startBenchServer({ mediaDir: MEDIA_DIR });
  try {
    const cpu = processCpuReader(server.pid);
    const masterUrl = `${server.origin}/vod/mp4:${MOVIE_720P_NAME}/playlist.m3u8`;
    let chunklist: Chunklist | undefined;
    const cold = await timed(cpu, async () => {
      const result = await coldPass(masterUrl);
      chunklist = result.chunklist;
      return result.bytes;
    });
    if (chunklist === undefined) throw new Error('no chunklist');
    const segments = chunklist.segments;
    const warm = await timed(cpu, () => fetchSegments(segments, CONCURRENCY));
    if (warm.bytes !== cold.bytes) throw new Error(`warm pass got ${warm.bytes} bytes, cold ${cold.bytes}`);
    return { cold, warm, chunklist };
  } finally {
    await server.stop();
  }
}

/** Runs the VOD benchmark (best of BENCH_RUNS runs) and returns its figures and summary rows. */
export async function benchVod(): Promise<BenchResult> {
  const movie = await ensureMovie720p();
  const runs = benchRuns();
  const ours = await repeat(runs, () => serverPass());
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
  const coldS = best(ours.map((r) => r.cold.seconds));
  const coldCpu = best(ours.map((r) => r.cold.cpuSeconds));
  const warmS = best(ours.map((r) => r.warm.seconds));
  const ffS = best(ff.map((r) => r.seconds));
  const ffCpu = best(ff.map((r) => r.cpuSeconds));
  const speedup = ffS / coldS;
  const rate = (seconds: number) =>
    `${fixed(segments / seconds, 1)} seg/s, ${fixed(bytes / MB / seconds, 1)} MB/s`;
  const figures = {
    movie: path.relative(process.cwd(), movie),
    movieMB: fixed(fs.statSync(movie).size / MB, 1),
    runs,
    segments,
    playlistSeconds: fixed(first.chunklist.totalSeconds, 1),
    fetchedMB: fixed(bytes / MB, 1),
    coldSecondsRuns: listRuns(ours.map((r) => r.cold.seconds)),
    coldBestRate: rate(coldS),
    coldServerCpuRuns: listRuns(ours.map((r) => r.cold.cpuSeconds)),
    warmSecondsRuns: listRuns(ours.map((r) => r.warm.seconds)),
    warmBestRate: rate(warmS),
    warmServerCpuRuns: listRuns(ours.map((r) => r.warm.cpuSeconds)),
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
        ours: `${fixed(coldCpu)} (server)`,
        reference: `${fixed(ffCpu)} (ffmpeg)`,
        ratio: `ffmpeg/ours ${fixed(ffCpu / coldCpu)}x`,
        target: '',
        met: undefined,
      },
      {
        figure: 'VOD all segments warm, from cache (s)',
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
