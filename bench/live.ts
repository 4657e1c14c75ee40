// Benchmark: server CPU spent ingesting a 10-minute 720p RTMP push sent as fast as possible (no
// -re), cut into AES-128 HLS segments; nginx-rtmp with hls_keys on is the reference; best of
// BENCH_RUNS pushes. `tsx bench/live.ts`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ensureFlv720p, MEDIA_DIR, MOVIE_SECONDS } from './bench-media.js';
import { fetchChunklist, firstVariantUrl } from './hls-client.js';
import { ensureNginxRtmp, startNginxRtmp } from './nginx-rtmp.js';
import { processCpuReader } from './process-cpu.js';
import { benchRuns, best, listRuns, repeat } from './repeat.js';
import { startBenchServer } from './server-process.js';
import { type BenchResult, fixed, printFigures, printSummary, type SummaryRow } from './summary.js';

const run = promisify(execFile);

const STREAM = 'bench';
/** A window longer than the movie (100 segments of 6 s), so the chunklist lists every segment. */
const LIVE_WINDOW_SEGMENTS = 200;
/** After the push, CPU is read once it has stopped moving for this long (the tail is still cut). */
const SETTLE_MS = 300;
const SETTLE_LIMIT_MS = 10_000;

/** CPU and wall time of one push. */
interface Push {
  readonly seconds: number;
  readonly cpuSeconds: number;
}

/** Pushes `flv` to `url` without -re; measures wall time and `cpu()` until the server settles. */
async function push(flv: string, url: string, cpu: () => number): Promise<Push> {
  const cpuBefore = cpu();
  const start = performance.now();
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', flv, '-c', 'copy', '-f', 'flv', url]);
  const seconds = (performance.now() - start) / 1000;
  let last = cpu();
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const now = cpu();
    if (now === last) break;
    last = now;
  }
  return { seconds, cpuSeconds: last - cpuBefore };
}

/** Ours: push, then count the segments our chunklist lists. */
async function pushToOurs(flv: string): Promise<Push & { segments: number; listedSeconds: number }> {
  const server = await startBenchServer({
    mediaDir: MEDIA_DIR,
    liveHls: { playlistChunkCount: LIVE_WINDOW_SEGMENTS, maxChunkCount: LIVE_WINDOW_SEGMENTS },
  });
  try {
    const result = await push(
      flv,
      `rtmp://127.0.0.1:${server.port}/live/${STREAM}`,
      processCpuReader(server.pid),
    );
    const chunklist = await fetchChunklist(
      await firstVariantUrl(`${server.origin}/live/${STREAM}/playlist.m3u8`),
    );
    if (chunklist.keyUrls.length === 0) throw new Error('our live chunklist has no EXT-X-KEY');
    return { ...result, segments: chunklist.segments.length, listedSeconds: chunklist.totalSeconds };
  } finally {
    await server.stop();
  }
}

/** nginx-rtmp: push, then count the .ts files and keys it wrote. */
async function pushToNginx(flv: string, module: string): Promise<Push & { segments: number; keys: number }> {
  const nginx = await startNginxRtmp(module);
  try {
    const result = await push(
      flv,
      `rtmp://127.0.0.1:${nginx.port}/live/${STREAM}`,
      processCpuReader(nginx.pid),
    );
    const segments = fs.readdirSync(nginx.hlsDir).filter((f) => f.endsWith('.ts')).length;
    const keys = fs.readdirSync(nginx.keysDir).filter((f) => f.endsWith('.key')).length;
    return { ...result, segments, keys };
  } finally {
    await nginx.stop();
  }
}

/** Runs the live benchmark (best of BENCH_RUNS pushes) and returns its figures and summary rows. */
export async function benchLive(): Promise<BenchResult> {
  const flv = await ensureFlv720p();
  const runs = benchRuns();
  const ours = await repeat(runs, () => pushToOurs(flv));
  const first = ours[0];
  if (first === undefined || ours.some((r) => r.segments === 0))
    throw new Error('our server cut no segments');
  const oursCpu = best(ours.map((r) => r.cpuSeconds));
  const oursS = best(ours.map((r) => r.seconds));
  const figures: Record<string, number | string> = {
    flvMB: fixed(fs.statSync(flv).size / 1e6, 1),
    movieSeconds: MOVIE_SECONDS,
    runs,
    oursPushSecondsRuns: listRuns(ours.map((r) => r.seconds)),
    oursServerCpuRuns: listRuns(ours.map((r) => r.cpuSeconds)),
    oursSegmentsRuns: ours.map((r) => r.segments).join(' / '),
    oursListedSecondsRuns: listRuns(
      ours.map((r) => r.listedSeconds),
      1,
    ),
  };
  const row: SummaryRow = {
    figure: 'Live 10 min 720p push, server CPU (s)',
    ours: fixed(oursCpu),
    reference: '',
    ratio: '',
    target: 'ours/nginx <= 1x',
    met: undefined,
  };
  const nginx = await ensureNginxRtmp();
  if ('skipped' in nginx) {
    console.log(`  nginx-rtmp skipped: ${nginx.skipped}`);
    figures.nginx = `skipped: ${nginx.skipped}`;
    return { figures, rows: [{ ...row, reference: 'nginx-rtmp skipped' }] };
  }
  const ref = await repeat(runs, () => pushToNginx(flv, nginx.module));
  if (ref.some((r) => r.segments === 0)) throw new Error('nginx-rtmp wrote no segments');
  const refCpu = best(ref.map((r) => r.cpuSeconds));
  const refS = best(ref.map((r) => r.seconds));
  Object.assign(figures, {
    nginxPushSecondsRuns: listRuns(ref.map((r) => r.seconds)),
    nginxCpuRuns: listRuns(ref.map((r) => r.cpuSeconds)),
    nginxSegmentsRuns: ref.map((r) => r.segments).join(' / '),
    nginxKeysRuns: ref.map((r) => r.keys).join(' / '),
    cpuRatioOursToNginx: fixed(oursCpu / refCpu),
  });
  return {
    figures,
    rows: [
      {
        ...row,
        reference: `${fixed(refCpu)} (nginx-rtmp)`,
        ratio: `ours/nginx ${fixed(oursCpu / refCpu)}x`,
        met: oursCpu <= refCpu,
      },
      {
        figure: 'Live push wall time (s)',
        ours: fixed(oursS),
        reference: `${fixed(refS)} (nginx-rtmp)`,
        ratio: `ours/nginx ${fixed(oursS / refS)}x`,
        target: '',
        met: undefined,
      },
    ],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchLive();
  printFigures('Live ingest', result.figures);
  printSummary(result.rows);
}
