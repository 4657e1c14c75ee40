// Test media made by ffmpeg at test time, and ffmpeg/ffprobe as judges: decoded-frame and packet
// hashes (framemd5), stream facts and per-packet timestamps of any file or URL.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Room for framemd5 and ffprobe output of a 20 s clip. */
const MAX_BUFFER = 64 * 1024 * 1024;
/** Protocols ffmpeg may follow from an HLS playlist: the key URI is plain http. */
const PROTOCOLS = 'file,http,tcp,crypto,data';
/** Default GOP: a keyframe every 2 s at 25 fps. */
const DEFAULT_GOP = 50;

/** One clip to make: the ffmpeg arguments between the inputs and the output name. */
export interface ClipRecipe {
  /** File name under the storage folder. */
  readonly name: string;
  /** Seconds of media. */
  readonly seconds: number;
  readonly size?: string;
  readonly sampleRate?: number;
  readonly channels?: 1 | 2;
  readonly video?: boolean;
  readonly audio?: boolean;
  /** Extra output options (codec settings, movflags, keyframe placement). */
  readonly extra?: readonly string[];
  /** Video codec arguments; H.264 High with 3 B-frames when unset. */
  readonly videoCodec?: readonly string[];
  /** Frames per GOP for the default codec (50: a keyframe every 2 s). */
  readonly gop?: number;
}

/** Runs ffmpeg with `-hide_banner -nostdin` and the given arguments. */
export async function ffmpeg(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('ffmpeg', ['-hide_banner', '-nostdin', ...args], { maxBuffer: MAX_BUFFER });
}

/** Runs ffprobe with the given arguments. */
export async function ffprobe(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('ffprobe', ['-hide_banner', ...args], { maxBuffer: MAX_BUFFER });
}

/** Makes one clip from testsrc2 and sine into `dir`; returns its path. */
export async function makeClip(dir: string, r: ClipRecipe): Promise<string> {
  const out = path.join(dir, r.name);
  const video = r.video ?? true;
  const audio = r.audio ?? true;
  const inputs: string[] = [];
  if (video) inputs.push('-f', 'lavfi', '-i', `testsrc2=size=${r.size ?? '320x240'}:rate=25`);
  if (audio) {
    const rate = r.sampleRate ?? 48_000;
    const layout = r.channels === 1 ? 'mono' : 'stereo';
    inputs.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}`);
    inputs.push('-af', `aformat=channel_layouts=${layout}`);
  }
  const codecs: string[] = [];
  if (video) {
    codecs.push('-pix_fmt', 'yuv420p');
    const gop = String(r.gop ?? DEFAULT_GOP);
    codecs.push(...(r.videoCodec ?? ['-c:v', 'libx264', '-profile:v', 'high', '-bf', '3', '-g', gop]));
  }
  if (audio) codecs.push('-c:a', 'aac', '-b:a', '64k');
  await ffmpeg('-v', 'error', ...inputs, '-t', String(r.seconds), ...codecs, ...(r.extra ?? []), '-y', out);
  return out;
}

/** Makes clips two at a time (the test machines have two cores); returns their paths by name. */
export async function makeClips(dir: string, recipes: readonly ClipRecipe[]): Promise<Map<string, string>> {
  const made = new Map<string, string>();
  const queue = [...recipes];
  const worker = async () => {
    for (let r = queue.shift(); r !== undefined; r = queue.shift()) made.set(r.name, await makeClip(dir, r));
  };
  await Promise.all([worker(), worker()]);
  return made;
}

/**
 * Fields before the hash in a framemd5 line: stream, dts, pts, duration, size. The hash is the last
 * field only without side data: a packet with side data (AAC priming skip) adds `S=1, size, hash`.
 */
const FRAMEMD5_HASH_FIELD = 5;

/** The payload hash column of framemd5 output, one entry per frame or packet. */
export function framemd5Hashes(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split(',')[FRAMEMD5_HASH_FIELD]!.trim());
}

/** What one ffmpeg judging run saw: hashes and the warnings it printed. */
export interface Judgement {
  readonly hashes: string[];
  readonly warnings: string;
}

/** Input options for an HLS URL (protocol whitelist) or nothing for a file. */
function inputOptions(input: string): string[] {
  return input.startsWith('http') ? ['-protocol_whitelist', PROTOCOLS] : [];
}

/** Hashes of the decoded frames of the first video stream of `input`. */
export async function videoFrameHashes(input: string): Promise<Judgement> {
  const { stdout, stderr } = await ffmpeg(
    '-v',
    'warning',
    ...inputOptions(input),
    '-i',
    input,
    '-map',
    '0:v:0',
    '-f',
    'framemd5',
    '-',
  );
  return { hashes: framemd5Hashes(stdout), warnings: stderr };
}

/** Hashes of the AAC packets (ADTS headers stripped) of the first audio stream of `input`. */
export async function audioPacketHashes(input: string): Promise<Judgement> {
  const { stdout, stderr } = await ffmpeg(
    '-v',
    'warning',
    ...inputOptions(input),
    '-i',
    input,
    '-map',
    '0:a:0',
    '-c',
    'copy',
    '-bsf:a',
    'aac_adtstoasc',
    '-f',
    'framemd5',
    '-',
  );
  return { hashes: framemd5Hashes(stdout), warnings: stderr };
}

/** The ffmpeg warnings that mean a broken stream (SPEC: none may appear on our output). */
export const CORRUPTION_PATTERN = /corrupt|Non-monoton|Invalid|DTS/i;

/** Stream facts ffprobe reports, as far as the tests need them. */
export interface ProbedStream {
  readonly codec_type: string;
  readonly codec_name: string;
  readonly profile?: string;
  readonly level?: number;
  readonly width?: number;
  readonly height?: number;
  readonly r_frame_rate?: string;
  readonly avg_frame_rate?: string;
  readonly sample_rate?: string;
  readonly channels?: number;
}

/** The streams and container duration of a file. */
export async function probeStreams(file: string): Promise<{ streams: ProbedStream[]; duration: number }> {
  const { stdout } = await ffprobe('-v', 'error', '-show_streams', '-show_format', '-of', 'json', file);
  const json = JSON.parse(stdout) as { streams: ProbedStream[]; format: { duration: string } };
  return { streams: json.streams, duration: Number(json.format.duration) };
}

/** One packet as `ffprobe -show_packets` reports it. */
export interface ProbedPacket {
  readonly codec_type: string;
  readonly pts_time?: string;
  readonly dts_time?: string;
  readonly flags: string;
}

/** The packets of a file, and what ffprobe printed on stderr at `-v warning`. */
export async function probePackets(file: string): Promise<{ packets: ProbedPacket[]; stderr: string }> {
  const { stdout, stderr } = await ffprobe(
    '-v',
    'warning',
    '-show_packets',
    '-show_entries',
    'packet=codec_type,pts_time,dts_time,flags',
    '-of',
    'json',
    file,
  );
  const json = JSON.parse(stdout) as { packets?: ProbedPacket[] };
  return { packets: json.packets ?? [], stderr };
}
