// The MP4 index against ffprobe: same samples, sizes, positions, sync flags and timestamps.
//
// What is compared: ffprobe (ffmpeg's mov demuxer) applies the edit list to timestamps, so its
// pts/dts (in the stream time base, which is the track timescale) equal our `dts + cto` and `dts`.
// ffmpeg keeps the AAC priming frame that the edit list hides (pts −1024, flagged "discard"), and so
// do we: it is sample 0 with a negative presentation time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { HlsError } from '../../src/core/errors.js';
import { locateMoov } from '../../src/mp4/box-scan.js';
import type { Mp4Track } from '../../src/mp4/mp4-index.js';
import { parseMoov } from '../../src/mp4/mp4-index.js';
import { HEVC_REFUSAL } from '../../src/mp4/track-codec.js';
import { indexOf, mediaDir, probePackets } from './media-fixtures.js';

const media = mediaDir();
after(() => media.dispose());

/** Asserts that `track` lists exactly the packets ffprobe lists for the first stream of its kind. */
async function assertMatchesProbe(file: string, track: Mp4Track | undefined, kind: 'video' | 'audio') {
  assert.ok(track, `${kind} track indexed`);
  const probe = await probePackets(file, kind);
  assert.equal(track.timescale, probe.timescale, 'timescale = ffprobe time base');
  const s = track.samples;
  assert.equal(s.count, probe.packets.length, 'sample count');
  probe.packets.forEach((p, i) => {
    const ours = {
      pts: s.dts[i]! + s.cto[i]!,
      dts: s.dts[i]!,
      size: s.size[i]!,
      pos: s.offset[i]!,
      keyframe: s.sync[i] === 1,
    };
    assert.deepEqual(ours, p, `${kind} sample ${i}`);
  });
}

describe('parseMoov against ffprobe', () => {
  for (const name of ['av', 'avFaststart', 'gops', 'delayedAudio'] as const) {
    test(`${name}: video and audio tables equal ffprobe's packets`, async () => {
      const file = await media.file(name);
      const index = await indexOf(file);
      await assertMatchesProbe(file, index.video, 'video');
      await assertMatchesProbe(file, index.audio, 'audio');
    });
  }

  test('video only: no audio track', async () => {
    const file = await media.file('videoOnly');
    const index = await indexOf(file);
    assert.equal(index.audio, undefined);
    await assertMatchesProbe(file, index.video, 'video');
    assert.equal(index.video?.frameRate, 25);
    assert.ok(Math.abs(index.duration - 3) < 0.05, `duration ${index.duration}`);
  });

  test('audio only: no video track, rate and channels from the AudioSpecificConfig', async () => {
    const file = await media.file('audioOnly');
    const index = await indexOf(file);
    assert.equal(index.video, undefined);
    await assertMatchesProbe(file, index.audio, 'audio');
    assert.equal(index.audio?.sampleRate, 44100);
    assert.equal(index.audio?.channels, 1);
  });

  test('B-frames: the edit list puts the first presentation time at 0, decode times start below 0', async () => {
    const index = await indexOf(await media.file('av'));
    const v = index.video!.samples;
    assert.equal(v.dts[0]! + v.cto[0]!, 0);
    assert.ok(v.dts[0]! < 0);
    // The AAC priming frame is presented before 0, as ffmpeg writes it (media_time 1024).
    assert.equal(index.audio!.samples.dts[0], -1024);
  });
});

describe('parseMoov codec setup', () => {
  test('H.264 from avcC and the visual sample entry', async () => {
    const file = await media.file('av');
    const index = await indexOf(file);
    const info = index.video!.info;
    assert.equal(info.kind, 'video');
    if (info.kind !== 'video') return;
    const probe = await probePackets(file, 'video');
    assert.equal(info.width, probe.width);
    assert.equal(info.height, probe.height);
    assert.equal(info.nalLengthSize, 4);
    assert.equal(info.sps.length, 1);
    assert.equal(info.sps[0]![0]! & 0x1f, 7, 'SPS NAL type');
    assert.equal(info.pps[0]![0]! & 0x1f, 8, 'PPS NAL type');
    // The parameter sets are copies, not views into mp4box's buffer of the whole moov.
    assert.equal(info.sps[0]!.buffer.byteLength, info.sps[0]!.byteLength);
  });

  test('AAC AudioSpecificConfig: AAC LC, 48 kHz, mono', async () => {
    const index = await indexOf(await media.file('av'));
    const info = index.audio!.info;
    assert.equal(info.kind, 'audio');
    if (info.kind !== 'audio') return;
    // audioObjectType 2 (5 bits), frequency index 3 (4 bits), channel configuration 1 (4 bits).
    assert.deepEqual([...info.audioSpecificConfig.subarray(0, 2)], [0x11, 0x88]);
    assert.equal(index.audio!.sampleRate, 48000);
    assert.equal(index.audio!.channels, 1);
  });

  test('memory: typed arrays only, at most 32 bytes a sample', async () => {
    const index = await indexOf(await media.file('av'));
    const samples = index.video!.samples.count + index.audio!.samples.count;
    assert.ok(index.memoryBytes / samples <= 32, `${index.memoryBytes / samples} bytes a sample`);
    assert.ok(index.memoryBytes >= samples * 25);
  });
});

describe('parseMoov refusals', () => {
  test('HEVC video is refused with the reason', async () => {
    const err = await indexOf(await media.file('hevc')).catch((e: unknown) => e);
    assert.ok(err instanceof HlsError);
    assert.equal(err.code, 'UNSUPPORTED_MEDIA');
    assert.equal(err.statusCode, 415);
    assert.equal(err.message, HEVC_REFUSAL);
  });

  test('MP3 audio next to H.264 video is refused, naming the codec', async () => {
    const err = await indexOf(await media.file('mp3')).catch((e: unknown) => e);
    assert.ok(err instanceof HlsError);
    assert.equal(err.code, 'UNSUPPORTED_MEDIA');
    assert.match(err.message, /MP3/);
  });

  test('a fragmented MP4 is refused with the reason', async () => {
    const err = await indexOf(await media.file('fragmented')).catch((e: unknown) => e);
    assert.ok(err instanceof HlsError);
    assert.equal(err.code, 'UNSUPPORTED_MEDIA');
    assert.match(err.message, /fragmented/);
  });

  test('a moov with garbage inside is MEDIA_INVALID, not a crash', async () => {
    const bytes = readFileSync(await media.file('avFaststart'));
    const where = await locateMoov(async (o, l) => bytes.subarray(o, o + l), bytes.length);
    const moov = Uint8Array.from(bytes.subarray(where.offset, where.offset + where.size));
    // Keep the moov header, scramble everything after the mvhd.
    for (let i = 200; i < moov.length; i++) moov[i] = (i * 7919) & 0xff;
    assert.throws(
      () => parseMoov(moov),
      (e: unknown) => e instanceof HlsError && (e.code === 'MEDIA_INVALID' || e.code === 'UNSUPPORTED_MEDIA'),
    );
  });

  test('a moov without tracks is MEDIA_INVALID', () => {
    // moov { mvhd version 0: 100 bytes } (ISO 14496-12 §8.2.2), all fields zero except timescale.
    const mvhd = new Uint8Array(108);
    const view = new DataView(mvhd.buffer);
    view.setUint32(0, 108);
    mvhd.set([0x6d, 0x76, 0x68, 0x64], 4); // 'mvhd'
    view.setUint32(20, 1000); // timescale
    const moov = new Uint8Array(8 + mvhd.length);
    new DataView(moov.buffer).setUint32(0, moov.length);
    moov.set([0x6d, 0x6f, 0x6f, 0x76], 4); // 'moov'
    moov.set(mvhd, 8);
    assert.throws(
      () => parseMoov(moov),
      (e: unknown) => e instanceof HlsError && e.code === 'MEDIA_INVALID',
    );
  });
});
