// Test media for the VOD and live benchmarks: 10-minute 720p H.264+AAC movies made once with
// ffmpeg's test sources, and the measured one remuxed into FLV for RTMP pushes. Cached in bench/.media.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Cached media folder (git-ignored). */
export const MEDIA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '.media');
/** The VOD movie's file name inside MEDIA_DIR (the URL names it `mp4:<this>`). */
export const MOVIE_720P_NAME = 'movie-10m-720p.mp4';
/** The warm-up movie's file name inside MEDIA_DIR. */
export const WARMUP_720P_NAME = 'warmup-10m-720p.mp4';
/** Ten minutes. */
export const MOVIE_SECONDS = 600;
const FLV_NAME = 'movie-10m-720p.flv';
/** 25 fps with a keyframe every 50 frames: a keyframe every 2 s, so 6 s segments cut evenly. */
const FRAME_RATE = 25;
const GOP_FRAMES = 50;
const PROGRESS_EVERY_MS = 5000;

/** Runs ffmpeg with `-progress`, printing a percentage of `seconds` every few seconds. */
function runFfmpeg(args: readonly string[], label: string, seconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostats', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let lastPrint = 0;
    let carry = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      const lines = (carry + text).split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^out_time_us=(\d+)/.exec(line);
        if (!m || Date.now() - lastPrint < PROGRESS_EVERY_MS) continue;
        lastPrint = Date.now();
        const done = Math.min(100, Number(m[1]) / 1e6 / seconds) * 100;
        console.log(`  ${label}: ${done.toFixed(0)}%`);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg (${label}) exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** Makes `target` with `make(partialPath)` unless it exists; a crash leaves no half file behind. */
async function once(target: string, make: (partial: string) => Promise<void>): Promise<string> {
  if (fs.existsSync(target)) return target;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.partial${path.extname(target)}`;
  const started = performance.now();
  await make(partial);
  fs.renameSync(partial, target);
  console.log(`  made ${path.basename(target)} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return target;
}

/** Encodes a 10-minute 1280x720 25 fps H.264 (2 Mb/s, GOP 50) + AAC 128k movie into `partial`. */
function encodeMovie(partial: string, name: string, filters: string, toneHz: number): Promise<void> {
  console.log(`  generating ${name} (${MOVIE_SECONDS} s of 720p; a few minutes on 2 cores)`);
  return runFfmpeg(
    [
      ...['-y', '-progress', 'pipe:1'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=${FRAME_RATE}${filters}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=${toneHz}:sample_rate=48000`],
      ...['-t', String(MOVIE_SECONDS), '-pix_fmt', 'yuv420p'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '2M', '-g', String(GOP_FRAMES)],
      ...['-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-movflags', '+faststart', partial],
    ],
    `encoding ${name}`,
    MOVIE_SECONDS,
  );
}

/** The 10-minute 720p movie the benchmarks measure (testsrc2 and a 440 Hz tone); made on first use. */
export function ensureMovie720p(): Promise<string> {
  return once(path.join(MEDIA_DIR, MOVIE_720P_NAME), (partial) =>
    encodeMovie(partial, MOVIE_720P_NAME, '', 440),
  );
}

/**
 * Another 10-minute 720p movie of the same shape and bitrate (testsrc2 mirrored and a 660 Hz tone),
 * served before the measured one so the server is measured as it runs in production rather than
 * just started.
 */
export function ensureWarmupMovie720p(): Promise<string> {
  return once(path.join(MEDIA_DIR, WARMUP_720P_NAME), (partial) =>
    encodeMovie(partial, WARMUP_720P_NAME, ',hflip', 660),
  );
}

/**
 * The same movie as FLV for RTMP pushes. The streams are those of the MP4 (libx264 ultrafast,
 * GOP 50, AAC), copied rather than encoded a second time.
 */
export async function ensureFlv720p(): Promise<string> {
  const movie = await ensureMovie720p();
  return once(path.join(MEDIA_DIR, FLV_NAME), (partial) =>
    runFfmpeg(
      ['-y', '-progress', 'pipe:1', '-i', movie, '-c', 'copy', '-f', 'flv', partial],
      'remuxing to FLV',
      MOVIE_SECONDS,
    ),
  );
}
