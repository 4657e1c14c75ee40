// Benchmark: indexing a 2-hour movie (172,800 video + ~337,500 audio samples) from its moov alone,
// memory per sample, and mp4box's own full sample list for comparison. `tsx bench/mp4-index.ts`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createFile, MP4BoxBuffer } from 'mp4box';
import { locateMoov } from '../src/mp4/box-scan.js';
import { parseMoov } from '../src/mp4/mp4-index.js';
import { planSegments } from '../src/packager/segment-plan.js';

const run = promisify(execFile);

/** Cached test movie (git-ignored folder). */
const MEDIA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '.media');
const MOVIE = path.join(MEDIA_DIR, 'movie-2h-24fps.mp4');
/** Two hours at 24 fps: 172,800 video samples. */
const MOVIE_SECONDS = 7200;
const SEGMENT_TARGET_MS = 6000;
const MIB = 1024 * 1024;

/** Makes the movie once: tiny picture and silent AAC keep generation well under a minute on 2 cores. */
async function ensureMovie(): Promise<string> {
  if (fs.existsSync(MOVIE)) return MOVIE;
  fs.mkdirSync(MEDIA_DIR, { recursive: true });
  const partial = `${MOVIE}.partial.mp4`;
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=64x36:rate=24'],
    ...['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono'],
    ...['-t', String(MOVIE_SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '48'],
    ...['-c:a', 'aac', '-b:a', '24k', partial],
  ]);
  fs.renameSync(partial, MOVIE);
  return MOVIE;
}

/** Reads the moov box of `file` (box headers and the moov only). */
async function readMoov(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const read = async (offset: number, length: number) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    };
    const where = await locateMoov(read, size);
    return await read(where.offset, where.size);
  } finally {
    await handle.close();
  }
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** mp4box's own path: appendBuffer builds one object per sample. Returns ms and heap growth. */
function mp4boxFullParse(moov: Uint8Array): { ms: number; heapBytes: number; samples: number } {
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  const file = createFile();
  const buffer = new MP4BoxBuffer(moov.byteLength);
  new Uint8Array(buffer).set(moov);
  buffer.fileStart = 0;
  file.appendBuffer(buffer);
  const ms = performance.now() - start;
  collectGarbage();
  const samples = file.moov.traks.reduce((sum, trak) => sum + trak.samples.length, 0);
  const heapBytes = process.memoryUsage().heapUsed - heapBefore;
  return { ms, heapBytes, samples };
}

/** Runs the benchmark and returns its figures (also printed when run directly). */
export async function benchMp4Index(): Promise<Record<string, number | string>> {
  const file = await ensureMovie();
  const moov = await readMoov(file);
  collectGarbage();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
  const start = performance.now();
  const index = parseMoov(moov);
  const parseMs = performance.now() - start;
  collectGarbage();
  const rssGrowth = process.memoryUsage().rss - rssBefore;
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  // Typed arrays live outside the JS heap: this is what the index keeps after mp4box's objects are gone.
  const arrayBufferGrowth = process.memoryUsage().arrayBuffers - arrayBuffersBefore;
  const samples = (index.video?.samples.count ?? 0) + (index.audio?.samples.count ?? 0);
  const planStart = performance.now();
  const plan = planSegments(index, SEGMENT_TARGET_MS);
  const planMs = performance.now() - planStart;
  const full = mp4boxFullParse(moov);
  return {
    file: path.relative(process.cwd(), file),
    fileMiB: Math.round(fs.statSync(file).size / MIB),
    moovKiB: Math.round(moov.byteLength / 1024),
    videoSamples: index.video?.samples.count ?? 0,
    audioSamples: index.audio?.samples.count ?? 0,
    samples,
    memoryBytes: index.memoryBytes,
    bytesPerSample: Number((index.memoryBytes / samples).toFixed(2)),
    parseMs: Math.round(parseMs),
    rssGrowthMiB: Number((rssGrowth / MIB).toFixed(1)),
    heapGrowthMiB: Number((heapGrowth / MIB).toFixed(1)),
    arrayBufferGrowthMiB: Number((arrayBufferGrowth / MIB).toFixed(1)),
    planMs: Math.round(planMs),
    segments: plan.segments.length,
    mp4boxFullParseMs: Math.round(full.ms),
    mp4boxFullHeapMiB: Number((full.heapBytes / MIB).toFixed(1)),
    mp4boxBytesPerSample: Math.round(full.heapBytes / full.samples),
    gcExposed:
      typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'yes' : 'no (run with --expose-gc)',
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchMp4Index();
  for (const [name, value] of Object.entries(result)) console.log(`${name.padEnd(22)} ${value}`);
}
