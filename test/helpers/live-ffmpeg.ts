// ffmpeg as an independent RTMP publisher, HLS recorder and decoder for live tests. Spawned with
// execFile (no shell); each run can be awaited or killed.

import { type ChildProcess, execFile } from 'node:child_process';

/** Test pattern frame rate; with GOP_FRAMES a keyframe comes every second. */
export const FRAME_RATE = 25;
/** Frames per GOP (`-g`). */
export const GOP_FRAMES = 25;
/** Seconds between keyframes. */
export const GOP_SECONDS = GOP_FRAMES / FRAME_RATE;
/** No ffmpeg run in these tests may take longer than this. */
const FFMPEG_TIMEOUT_MS = 60_000;
/** Bytes of stderr kept from a run. */
const MAX_STDERR = 4 * 1024 * 1024;

/** How an ffmpeg run ended. */
export interface FfmpegResult {
  /** Exit code; non-zero when killed by a signal. */
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** A running ffmpeg. */
export interface FfmpegRun {
  readonly child: ChildProcess;
  readonly done: Promise<FfmpegResult>;
  /** Sends `signal` (default SIGKILL) if it still runs. */
  kill(signal?: NodeJS.Signals): void;
}

/** Runs ffmpeg with `args` (after `-hide_banner -nostdin`). */
export function runFfmpeg(args: readonly string[], timeoutMs = FFMPEG_TIMEOUT_MS): FfmpegRun {
  let child!: ChildProcess;
  const done = new Promise<FfmpegResult>((resolve) => {
    child = execFile(
      'ffmpeg',
      ['-hide_banner', '-nostdin', ...args],
      { timeout: timeoutMs, maxBuffer: MAX_STDERR, encoding: 'utf8' },
      (err, _stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        const signal =
          err !== null && 'signal' in err ? ((err.signal as NodeJS.Signals | null) ?? null) : null;
        resolve({ code, signal, stderr: String(stderr) });
      },
    );
  });
  return {
    child,
    done,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Options of a test publish. */
export interface PublishOptions {
  /** Seconds of media to send. */
  readonly seconds: number;
  /** Send at the media's pace (`-re`) rather than as fast as possible. */
  readonly realtime?: boolean;
}

/** Publishes testsrc2 (320x240, 25 fps, a keyframe a second) and a 48 kHz sine as H.264 + AAC in FLV. */
export function publish(rtmpUrl: string, opts: PublishOptions): FfmpegRun {
  return runFfmpeg([
    '-loglevel',
    'error',
    ...(opts.realtime ? ['-re'] : []),
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=320x240:rate=${FRAME_RATE}`,
    '-f',
    'lavfi',
    '-i',
    'sine=sample_rate=48000',
    '-t',
    String(opts.seconds),
    '-c:v',
    'libx264',
    '-g',
    String(GOP_FRAMES),
    '-preset',
    'veryfast',
    '-c:a',
    'aac',
    '-f',
    'flv',
    rtmpUrl,
  ]);
}

/** Records an HLS URL to a TS file without re-encoding, as a player would fetch it. */
export function record(playlistUrl: string, outFile: string): FfmpegRun {
  return runFfmpeg(['-loglevel', 'error', '-y', '-i', playlistUrl, '-c', 'copy', '-f', 'mpegts', outFile]);
}

/** Decodes every frame of `file` and resolves with what ffmpeg reported at level `error` ('' = clean). */
export async function decodeErrors(file: string): Promise<string> {
  const r = await runFfmpeg(['-v', 'error', '-i', file, '-f', 'null', '-']).done;
  return r.code === 0 ? r.stderr : `exit ${r.code}: ${r.stderr}`;
}

/** Counts the video frames ffprobe finds in `file`. */
export function countVideoFrames(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffprobe',
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-count_packets',
        '-show_entries',
        'stream=nb_read_packets',
        '-of',
        'csv=p=0',
        file,
      ],
      { timeout: FFMPEG_TIMEOUT_MS },
      (err, stdout) => (err ? reject(err) : resolve(Number.parseInt(stdout.trim(), 10))),
    );
  });
}
