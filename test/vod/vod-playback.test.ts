// VOD end to end, judged by ffmpeg and ffprobe: each clip is served by the real app over HTTP,
// and ffmpeg's decoded frames and audio packets must equal the source MP4's, with no warnings.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  audioPacketHashes,
  type ClipRecipe,
  CORRUPTION_PATTERN,
  makeClips,
  type ProbedPacket,
  type ProbedStream,
  probePackets,
  probeStreams,
  videoFrameHashes,
} from '../helpers/vod-media.js';
import {
  fetchDecryptedSegments,
  fetchKey,
  fetchPlaylists,
  type StreamPlaylists,
  startVodServer,
  type VodServer,
} from '../helpers/vod-server.js';

/** hls.chunkDurationTarget of the test app (ms): several segments per clip. */
const TARGET_MS = 2000;
/** EXTINF is written with millisecond precision. */
const EXTINF_TOLERANCE_S = 0.001;
/** Samples in an AAC frame. */
const AAC_FRAME_SAMPLES = 1024;

/** The clips, one per kind of input the packager must get right. */
const CLIPS: readonly ClipRecipe[] = [
  { name: 'bframes.mp4', seconds: 10 },
  { name: 'faststart.mp4', seconds: 10, extra: ['-movflags', '+faststart'] },
  {
    name: 'forced-keys.mp4',
    seconds: 12,
    gop: 1000,
    extra: ['-force_key_frames', '0,1.3,2.1,4.9,5.2,8', '-sc_threshold', '0'],
  },
  { name: 'gop37.mp4', seconds: 9, gop: 37, extra: ['-keyint_min', '7'] },
  { name: 'video-only.mp4', seconds: 8, audio: false },
  { name: 'audio-only.mp4', seconds: 9, video: false },
  { name: 'mono-44k.mp4', seconds: 8, sampleRate: 44_100, channels: 1 },
  { name: 'odd-size.mp4', seconds: 8, size: '426x238', extra: ['-b:v', '120k'] },
];

// Two clips are judged at a time: most of the work is in ffmpeg processes.
describe('VOD playback judged by ffmpeg', { concurrency: 2 }, () => {
  let dir = '';
  let server: VodServer;
  let sources = new Map<string, string>();
  /** Each clip's playlists, and ffprobe's view of each decrypted segment, shared by the tests. */
  const served = new Map<
    string,
    {
      pl: StreamPlaylists;
      source: ProbedStream[];
      probes: { packets: ProbedPacket[]; stderr: string }[];
    }
  >();

  async function serve(clip: ClipRecipe): Promise<void> {
    const pl = await fetchPlaylists(server.masterUrl(clip.name));
    const segments = await fetchDecryptedSegments(pl, await fetchKey(pl));
    const probes = [];
    for (const [i, segment] of segments.entries()) {
      const file = path.join(dir, `${clip.name}.${i}.ts`);
      fs.writeFileSync(file, segment);
      probes.push(await probePackets(file));
    }
    const { streams: source } = await probeStreams(sources.get(clip.name)!);
    served.set(clip.name, { pl, source, probes });
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-'));
    const storageDir = path.join(dir, 'content');
    fs.mkdirSync(storageDir);
    sources = await makeClips(storageDir, CLIPS);
    server = await startVodServer({ storageDir, keyDir: path.join(dir, 'keys'), targetMs: TARGET_MS });
    const queue = [...CLIPS];
    const worker = async () => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) await serve(c);
    };
    await Promise.all([worker(), worker()]);
  });

  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const clip of CLIPS) {
    describe(clip.name, () => {
      if (clip.video !== false) {
        test('decoded video frames equal the source frames, with no corruption warnings', async () => {
          const source = await videoFrameHashes(sources.get(clip.name)!);
          const hls = await videoFrameHashes(server.masterUrl(clip.name));
          assert.ok(source.hashes.length > 0);
          assert.equal(hls.hashes.length, source.hashes.length, 'frame count');
          assert.deepEqual(hls.hashes, source.hashes);
          assert.doesNotMatch(hls.warnings, CORRUPTION_PATTERN);
        });
      }

      if (clip.audio !== false) {
        test('AAC packets equal the source packets, with no corruption warnings', async () => {
          const source = await audioPacketHashes(sources.get(clip.name)!);
          const hls = await audioPacketHashes(server.masterUrl(clip.name));
          assert.ok(source.hashes.length > 0);
          assert.equal(hls.hashes.length, source.hashes.length, 'packet count');
          assert.deepEqual(hls.hashes, source.hashes);
          assert.doesNotMatch(hls.warnings, CORRUPTION_PATTERN);
        });
      }

      test('the master playlist states the clip resolution and codecs', () => {
        const { pl, source } = served.get(clip.name)!;
        const attrs = pl.master.playlists![0]!.attributes;
        const codecs = String(attrs.CODECS).split(',');
        const video = source.find((s) => s.codec_type === 'video');
        if (video) {
          assert.deepEqual(attrs.RESOLUTION, { width: video.width, height: video.height });
          const level = video.level!.toString(16).padStart(2, '0');
          assert.match(codecs[0]!, new RegExp(`^avc1\\.64[0-9a-f]{2}${level}$`), 'H.264 High at its level');
        } else {
          assert.equal(attrs.RESOLUTION, undefined);
        }
        assert.deepEqual(
          codecs.filter((c) => c.startsWith('mp4a')),
          clip.audio === false ? [] : ['mp4a.40.2'],
        );
      });

      test('ffprobe reads every decrypted segment without a word on stderr', async () => {
        const { probes } = served.get(clip.name)!;
        assert.ok(probes.length > 1, 'several segments');
        probes.forEach(({ packets, stderr }, i) => {
          assert.equal(stderr, '', `segment ${i}`);
          assert.ok(packets.length > 0, `segment ${i}`);
        });
      });

      test('EXTINF is the time from one segment start to the next; all but the last reach the target', async () => {
        const { pl, probes } = served.get(clip.name)!;
        const kind = clip.video === false ? 'audio' : 'video';
        const starts = probes.map(({ packets }, i) => {
          const first = packets.find((p) => p.codec_type === kind);
          assert.ok(first?.pts_time !== undefined, `segment ${i} has ${kind}`);
          if (kind === 'video') assert.match(first.flags, /K/, `segment ${i} opens with a keyframe`);
          return Number(first.pts_time);
        });
        // Audio-only files are cut on the first frame at or after each multiple of the target (so cuts
        // do not drift), which may fall up to one frame short of the target after the previous cut.
        const slack = kind === 'audio' ? AAC_FRAME_SAMPLES / (clip.sampleRate ?? 48_000) : 0;
        for (let i = 0; i < pl.segments.length - 1; i++) {
          const extinf = pl.segments[i]!.duration;
          const between = starts[i + 1]! - starts[i]!;
          assert.ok(
            Math.abs(extinf - between) <= EXTINF_TOLERANCE_S,
            `segment ${i}: EXTINF ${extinf} vs ${between}`,
          );
          assert.ok(extinf >= TARGET_MS / 1000 - slack, `segment ${i}: ${extinf} s is below the target`);
        }
      });
    });
  }
});
