// Interop: ffmpeg and ffprobe judge segments muxed from an ffmpeg-made clip. Samples come straight
// from the MP4 file at the byte positions ffprobe reports, so no MP4 parser of ours is involved.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { NalType, nalType, splitAnnexB } from '../../src/codecs/nal.js';
import type { AacTrackInfo, H264TrackInfo, MediaSample } from '../../src/core/media.js';
import { to90k } from '../../src/core/time.js';
import { TsMuxer } from '../../src/ts/segment-muxer.js';
import { readPackets, readPes } from './ts-reader.js';

const run = promisify(execFile);
const MAX_BUFFER = 64 * 1024 * 1024;
/** Caller-side offset applied to every timestamp: 10 s of 90 kHz ticks. */
const OFFSET_90K = 900_000;

interface ProbedPacket {
  stream_index: number;
  pts: string;
  dts: string;
  pos: string;
  size: string;
  flags: string;
}

async function ffmpeg(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('ffmpeg', ['-hide_banner', '-nostdin', ...args], { maxBuffer: MAX_BUFFER });
}

/** The MD5 column of framemd5 output (the sixth; side data hashes may follow), one entry per frame or packet. */
function hashes(framemd5: string): string[] {
  return framemd5
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split(',')[5]!.trim());
}

/** Parses ffprobe's hexdump of extradata ("00000000: 1190 56e5 00   ..V..") into bytes. */
function parseHexdump(dump: string): Uint8Array {
  const hex = dump
    .split('\n')
    .filter((l) => l.includes(':'))
    .map((l) => l.slice(l.indexOf(':') + 1, l.indexOf(':') + 41).replace(/\s/g, ''))
    .join('');
  return Buffer.from(hex, 'hex');
}

describe('TsMuxer output judged by ffmpeg', () => {
  let dir = '';
  let source = '';
  let segments: Uint8Array[] = [];
  let joined = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-'));
    source = path.join(dir, 'source.mp4');
    // biome-ignore format: one ffmpeg option per line
    await ffmpeg(
      '-v', 'error',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '4', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-bf', '3', '-g', '50', '-c:a', 'aac',
      source,
    );
    const file = fs.readFileSync(source);
    const probe = JSON.parse(
      (
        await run(
          'ffprobe',
          ['-v', 'error', '-show_packets', '-show_streams', '-show_data', '-of', 'json', source],
          { maxBuffer: MAX_BUFFER },
        )
      ).stdout,
    ) as { packets: ProbedPacket[]; streams: { codec_type: string; time_base: string; extradata: string }[] };
    const videoIndex = probe.streams.findIndex((s) => s.codec_type === 'video');
    const audioIndex = probe.streams.findIndex((s) => s.codec_type === 'audio');
    const timescale = (i: number) => Number(probe.streams[i]!.time_base.split('/')[1]);

    // Parameter sets from ffmpeg's own Annex B conversion of the first access unit.
    const annexB = await run(
      'ffmpeg',
      [
        '-v',
        'error',
        '-i',
        source,
        '-map',
        '0:v',
        '-c:v',
        'copy',
        '-bsf:v',
        'h264_mp4toannexb',
        '-frames:v',
        '1',
        '-f',
        'h264',
        '-',
      ],
      { encoding: 'buffer', maxBuffer: MAX_BUFFER },
    );
    const nals = splitAnnexB(annexB.stdout);
    const videoInfo: H264TrackInfo = {
      kind: 'video',
      codec: 'h264',
      sps: nals.filter((n) => nalType(n[0]!) === NalType.SPS),
      pps: nals.filter((n) => nalType(n[0]!) === NalType.PPS),
      nalLengthSize: 4,
      width: 320,
      height: 240,
    };
    const audioInfo: AacTrackInfo = {
      kind: 'audio',
      codec: 'aac',
      audioSpecificConfig: parseHexdump(probe.streams[audioIndex]!.extradata),
    };

    const toSample = (p: ProbedPacket, scale: number): MediaSample => ({
      dts: to90k(Number(p.dts), scale) + OFFSET_90K,
      pts: to90k(Number(p.pts), scale) + OFFSET_90K,
      data: file.subarray(Number(p.pos), Number(p.pos) + Number(p.size)),
      keyframe: p.flags.includes('K'),
    });
    const video = probe.packets
      .filter((p) => p.stream_index === videoIndex)
      .map((p) => toSample(p, timescale(videoIndex)));
    const audio = probe.packets
      .filter((p) => p.stream_index === audioIndex)
      .map((p) => toSample(p, timescale(audioIndex)));
    assert.equal(video.length, 100);

    // Two segments, cut at the second keyframe (2 s); audio cut at the same presentation time.
    const cut = video.findIndex((s, i) => i > 0 && s.keyframe);
    assert.equal(cut, 50);
    const cutTime = video[cut]!.pts;
    const muxer = new TsMuxer({ video: videoInfo, audio: audioInfo });
    segments = [
      muxer.muxSegment({ video: video.slice(0, cut), audio: audio.filter((s) => s.pts < cutTime) }),
      muxer.muxSegment({ video: video.slice(cut), audio: audio.filter((s) => s.pts >= cutTime) }),
    ];
    segments.forEach((s, i) => {
      fs.writeFileSync(path.join(dir, `segment${i}.ts`), s);
    });
    joined = path.join(dir, 'joined.ts');
    fs.writeFileSync(joined, Buffer.concat(segments));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('ffprobe reads each segment and the joined stream without a warning', async () => {
    for (const file of [path.join(dir, 'segment0.ts'), path.join(dir, 'segment1.ts'), joined]) {
      const { stderr } = await run('ffprobe', ['-v', 'warning', '-show_packets', file], {
        maxBuffer: MAX_BUFFER,
      });
      assert.equal(stderr, '', file);
    }
  });

  test('ffmpeg decodes the joined segments without a warning', async () => {
    const { stderr } = await ffmpeg('-v', 'warning', '-i', joined, '-f', 'null', '-');
    assert.equal(stderr, '');
  });

  test('decoded video frames equal the source frames', async () => {
    const args = ['-map', '0:v', '-fps_mode', 'passthrough', '-f', 'framemd5', '-'];
    const expected = hashes((await ffmpeg('-v', 'error', '-i', source, ...args)).stdout);
    const actual = hashes((await ffmpeg('-v', 'error', '-i', joined, ...args)).stdout);
    assert.equal(expected.length, 100);
    assert.deepEqual(actual, expected);
  });

  test('audio packets equal the source packets', async () => {
    const expected = hashes(
      (await ffmpeg('-v', 'error', '-i', source, '-map', '0:a', '-c', 'copy', '-f', 'framemd5', '-')).stdout,
    );
    const actual = hashes(
      (
        await ffmpeg(
          '-v',
          'error',
          '-i',
          joined,
          '-map',
          '0:a',
          '-c',
          'copy',
          '-bsf:a',
          'aac_adtstoasc',
          '-f',
          'framemd5',
          '-',
        )
      ).stdout,
    );
    assert.ok(expected.length > 180);
    assert.deepEqual(actual, expected);
  });

  test('ffprobe sees the timestamps we wrote, offset by 10 s', async () => {
    const { stdout } = await run(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=dts_time', '-of', 'csv=p=0', joined],
      { maxBuffer: MAX_BUFFER },
    );
    const first = Number.parseFloat(stdout);
    assert.ok(Math.abs(first - (10 - 2 / 25)) < 1e-6, `first video DTS ${first}`);
  });

  test('packets are 188 bytes with a sync byte and counters run on across segments', () => {
    const last = new Map<number, number>();
    for (const segment of segments) {
      for (const p of readPackets(segment)) {
        const prev = last.get(p.pid);
        if (!p.hasPayload) {
          assert.equal(p.cc, prev);
          continue;
        }
        if (prev !== undefined)
          assert.equal(p.cc, (prev + 1) % 16, `PID ${p.pid.toString(16)} packet ${p.index}`);
        last.set(p.pid, p.cc);
      }
    }
  });

  test('each segment opens with PAT and PMT, its first video packet carries a PCR, and no PCR passes the next DTS', () => {
    for (const segment of segments) {
      const packets = readPackets(segment);
      assert.deepEqual([packets[0]!.pid, packets[1]!.pid], [0, 0x1000]);
      const firstVideo = packets.find((p) => p.pid === 0x100 && p.hasPayload)!;
      assert.notEqual(firstVideo.pcr, undefined);
      assert.equal(firstVideo.randomAccess, true);
      const pes = readPes(packets);
      for (const p of packets) {
        if (p.pcr === undefined) continue;
        const next = pes.find((e) => e.firstPacket >= p.index)!;
        assert.ok(p.pcr <= next.dts, `PCR ${p.pcr} after DTS ${next.dts}`);
      }
    }
  });
});
