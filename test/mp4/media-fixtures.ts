// Test media made with ffmpeg at test time, and ffprobe's view of it (the independent judge).
import { execFile } from 'node:child_process';
import fs, { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { locateMoov } from '../../src/mp4/box-scan.js';
import { type Mp4Index, parseMoov } from '../../src/mp4/mp4-index.js';

const run = promisify(execFile);

/** Small test clips: testsrc2 video and a sine tone, a few seconds long. */
export const FIXTURES = {
  /** H.264 with B-frames + AAC, moov at the end (ffmpeg's default). */
  av: ['-t', '4', '-c:v', 'libx264', '-bf', '2', '-g', '25', '-c:a', 'aac', '-b:a', '64k'],
  /** The same with the moov at the front. */
  avFaststart: [
    '-t',
    '4',
    '-c:v',
    'libx264',
    '-bf',
    '2',
    '-g',
    '25',
    '-c:a',
    'aac',
    '-movflags',
    '+faststart',
  ],
  /** Irregular GOPs: forced keyframes at uneven times plus a short keyint range. */
  gops: [
    '-t',
    '9',
    '-c:v',
    'libx264',
    '-g',
    '37',
    '-keyint_min',
    '5',
    '-sc_threshold',
    '40',
    '-force_key_frames',
    '0,0.72,1.12,3.4,3.52,6.08,8.8',
    '-c:a',
    'aac',
  ],
  /** Video only. */
  videoOnly: ['-t', '3', '-an', '-c:v', 'libx264', '-g', '12'],
  /** Audio only, 44.1 kHz. */
  audioOnly: ['-t', '5', '-vn', '-c:a', 'aac', '-ar', '44100'],
  /** H.264 with MP3 audio: refused for the audio. */
  mp3: ['-t', '1', '-c:v', 'libx264', '-c:a', 'libmp3lame'],
  /** Fragmented MP4 (empty moov, samples in moof boxes): refused. */
  fragmented: ['-t', '2', '-c:v', 'libx264', '-c:a', 'aac', '-movflags', 'frag_keyframe+empty_moov'],
  /** HEVC video: refused. */
  hevc: ['-t', '1', '-an', '-c:v', 'libx265', '-x265-params', 'log-level=error'],
} as const;

export type FixtureName = keyof typeof FIXTURES;

/** Audio that starts 0.5 s late: ffmpeg writes an initial empty edit for it. */
const DELAYED_AUDIO = 'delayedAudio';

/** A temp folder of generated clips, removed by `dispose`. */
export interface MediaDir {
  readonly dir: string;
  /** Path of a clip, generated on first use. */
  file(name: FixtureName | typeof DELAYED_AUDIO): Promise<string>;
  dispose(): void;
}

/** Makes a temp folder under the OS temp dir in which clips are generated on demand. */
export function mediaDir(): MediaDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-'));
  const made = new Map<string, Promise<string>>();
  const generate = async (name: string): Promise<string> => {
    const out = path.join(dir, `${name}.mp4`);
    const video = ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25'];
    const audio = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
    const args =
      name === DELAYED_AUDIO
        ? [...video, '-itsoffset', '0.5', ...audio, '-t', '3', '-c:v', 'libx264', '-bf', '2', '-c:a', 'aac']
        : [...video, ...audio, ...FIXTURES[name as FixtureName]];
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, '-preset', 'ultrafast', out]);
    return out;
  };
  return {
    dir,
    file(name) {
      let p = made.get(name);
      if (p === undefined) {
        p = generate(name);
        made.set(name, p);
      }
      return p;
    },
    dispose() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Indexes a whole file read into memory (the pure path: locateMoov + parseMoov). */
export async function indexOf(file: string): Promise<Mp4Index> {
  const bytes = readFileSync(file);
  const where = await locateMoov(async (o, l) => bytes.subarray(o, o + l), bytes.length);
  return parseMoov(bytes.subarray(where.offset, where.offset + where.size));
}

/** One packet as ffprobe reports it, in the stream's time base. */
export interface ProbePacket {
  readonly pts: number;
  readonly dts: number;
  readonly size: number;
  readonly pos: number;
  readonly keyframe: boolean;
}

/** ffprobe's packets of the first stream of a kind, and that stream's time base denominator. */
export async function probePackets(
  file: string,
  kind: 'video' | 'audio',
): Promise<{ packets: ProbePacket[]; timescale: number; width?: number; height?: number }> {
  const select = kind === 'video' ? 'v:0' : 'a:0';
  const { stdout } = await run(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      select,
      '-show_packets',
      '-show_streams',
      '-show_entries',
      'packet=pts,dts,size,pos,flags:stream=time_base,width,height',
      '-of',
      'json',
      file,
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const json = JSON.parse(stdout) as {
    packets: { pts: number; dts: number; size: string; pos: string; flags: string }[];
    streams: { time_base: string; width?: number; height?: number }[];
  };
  const stream = json.streams[0]!;
  return {
    packets: json.packets.map((p) => ({
      pts: p.pts,
      dts: p.dts,
      size: Number(p.size),
      pos: Number(p.pos),
      keyframe: p.flags.startsWith('K'),
    })),
    timescale: Number(stream.time_base.split('/')[1]),
    ...(stream.width !== undefined ? { width: stream.width, height: stream.height } : {}),
  };
}
