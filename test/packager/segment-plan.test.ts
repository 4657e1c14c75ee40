// Segment plans of real clips: cuts on sync samples, every sample once, audio following video time,
// audio-only cuts at multiples of the target, determinism, and the bit rate estimate against ffmpeg.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { HlsError } from '../../src/core/errors.js';
import type { Mp4Index, Mp4Track } from '../../src/mp4/mp4-index.js';
import { planSegments, type SegmentPlan } from '../../src/packager/segment-plan.js';
import { indexOf, mediaDir } from '../mp4/media-fixtures.js';

const run = promisify(execFile);
const media = mediaDir();
after(() => media.dispose());

function pts(track: Mp4Track, i: number): number {
  return (track.samples.dts[i]! + track.samples.cto[i]!) / track.timescale;
}

/** Ranges of one track across the plan join into [0, count) with no gap or overlap. */
function assertCoversOnce(plan: SegmentPlan, track: Mp4Track | undefined, kind: 'video' | 'audio') {
  if (track === undefined) return;
  let next = 0;
  for (const s of plan.segments) {
    const range = s[kind];
    assert.ok(range, `segment ${s.index} has ${kind}`);
    assert.equal(range.first, next, `segment ${s.index} ${kind} starts where the previous ended`);
    assert.ok(range.end >= range.first);
    next = range.end;
  }
  assert.equal(next, track.samples.count);
}

function assertVideoCuts(index: Mp4Index, plan: SegmentPlan, targetMs: number) {
  const video = index.video!;
  const target = targetMs / 1000;
  plan.segments.forEach((s, k) => {
    const { first, end } = s.video!;
    assert.equal(video.samples.sync[first], 1, `segment ${k} starts on a sync sample`);
    assert.ok(Math.abs(s.start - pts(video, first)) < 1e-9);
    // The cut is the first sync sample at or after start + target: none earlier inside the segment.
    for (let i = first + 1; i < end; i++) {
      if (video.samples.sync[i] === 1)
        assert.ok(pts(video, i) < s.start + target - 1e-9, `sync ${i} should cut`);
    }
    if (k < plan.segments.length - 1) {
      assert.ok(s.duration >= target - 1e-9, `segment ${k} lasts at least the target`);
      assert.ok(
        Math.abs(s.start + s.duration - plan.segments[k + 1]!.start) < 1e-9,
        'segments are contiguous',
      );
    }
  });
}

/** Audio frames sit in the segment whose time range holds them; the first takes earlier ones. */
function assertAudioFollowsVideo(index: Mp4Index, plan: SegmentPlan) {
  const audio = index.audio!;
  plan.segments.forEach((s, k) => {
    const next = plan.segments[k + 1];
    for (let j = s.audio!.first; j < s.audio!.end; j++) {
      if (k > 0) assert.ok(pts(audio, j) >= s.start - 1e-9, `audio ${j} not before segment ${k}`);
      if (next) assert.ok(pts(audio, j) < next.start, `audio ${j} before segment ${k + 1}`);
    }
  });
}

function payload(index: Mp4Index): number {
  const sum = (t?: Mp4Track) => (t ? t.samples.size.reduce((a, b) => a + b, 0) : 0);
  return sum(index.video) + sum(index.audio);
}

describe('planSegments with video', () => {
  test('regular GOPs of 1 s at a 2 s target: 2 s segments', async () => {
    const index = await indexOf(await media.file('av'));
    const plan = planSegments(index, 2000);
    assert.deepEqual(
      plan.segments.map((s) => s.duration),
      [2, 2],
    );
    assert.equal(plan.targetDuration, 2);
    assertVideoCuts(index, plan, 2000);
    assertCoversOnce(plan, index.video, 'video');
    assertCoversOnce(plan, index.audio, 'audio');
    assertAudioFollowsVideo(index, plan);
    // The AAC priming frame (before the first video frame) goes into the first segment.
    assert.equal(plan.segments[0]!.audio!.first, 0);
  });

  for (const targetMs of [1000, 2000, 3000, 4500]) {
    test(`irregular GOPs at a ${targetMs} ms target`, async () => {
      const index = await indexOf(await media.file('gops'));
      const plan = planSegments(index, targetMs);
      assertVideoCuts(index, plan, targetMs);
      assertCoversOnce(plan, index.video, 'video');
      assertCoversOnce(plan, index.audio, 'audio');
      assertAudioFollowsVideo(index, plan);
      const longest = Math.max(...plan.segments.map((s) => s.duration));
      assert.equal(plan.targetDuration, Math.ceil(longest - 1e-6));
      assert.ok(Math.abs(plan.duration - index.duration) < 0.05, `${plan.duration} vs ${index.duration}`);
      assert.equal(
        plan.segments.reduce((a, s) => a + s.bytes, 0),
        payload(index),
      );
    });
  }

  test('the irregular clip really has uneven GOPs', async () => {
    const index = await indexOf(await media.file('gops'));
    const v = index.video!;
    const syncTimes: number[] = [];
    for (let i = 0; i < v.samples.count; i++) if (v.samples.sync[i] === 1) syncTimes.push(pts(v, i));
    const gaps = new Set(syncTimes.slice(1).map((t, i) => Math.round((t - syncTimes[i]!) * 100)));
    assert.ok(gaps.size >= 3, `GOP lengths ${[...gaps]}`);
  });

  test('video only', async () => {
    const index = await indexOf(await media.file('videoOnly'));
    const plan = planSegments(index, 1000);
    assertVideoCuts(index, plan, 1000);
    assertCoversOnce(plan, index.video, 'video');
    assert.ok(plan.segments.every((s) => s.audio === undefined));
  });

  test('a target longer than the file gives one segment', async () => {
    const index = await indexOf(await media.file('gops'));
    const plan = planSegments(index, 60_000);
    assert.equal(plan.segments.length, 1);
    assert.deepEqual(plan.segments[0]!.video, { first: 0, end: index.video!.samples.count });
    assert.deepEqual(plan.segments[0]!.audio, { first: 0, end: index.audio!.samples.count });
    assert.equal(plan.targetDuration, Math.ceil(plan.duration - 1e-6));
  });

  test('deterministic: the same file indexed twice gives the same plan', async () => {
    const file = await media.file('gops');
    const a = planSegments(await indexOf(file), 2000);
    const b = planSegments(await indexOf(file), 2000);
    assert.deepEqual(a, b);
  });
});

describe('planSegments audio only', () => {
  test('cuts at the first frame at or after each multiple of the target', async () => {
    const index = await indexOf(await media.file('audioOnly'));
    const audio = index.audio!;
    const plan = planSegments(index, 2000);
    assertCoversOnce(plan, audio, 'audio');
    assert.equal(plan.segments.length, 3);
    plan.segments.slice(1).forEach((s, k) => {
      const multiple = 2 * (k + 1);
      assert.ok(pts(audio, s.audio!.first) >= multiple, `segment ${k + 1} starts at or after ${multiple} s`);
      assert.ok(pts(audio, s.audio!.first - 1) < multiple, 'and on the first such frame');
    });
    assert.equal(plan.targetDuration, 3);
  });

  test('a target longer than the file gives one segment', async () => {
    const index = await indexOf(await media.file('audioOnly'));
    const plan = planSegments(index, 10_000);
    assert.equal(plan.segments.length, 1);
    assert.equal(plan.targetDuration, Math.ceil(plan.duration - 1e-6));
  });
});

describe('planSegments bit rates', () => {
  // ffmpeg repeats PAT/PMT every 0.1 s and adds an SDT, so its stream is a few percent larger than
  // ours (PAT/PMT once a segment); mp4-source-reader.test.ts checks the estimate against our muxer.
  test('the TS size estimate is close to what ffmpeg muxes from the same file', async () => {
    const file = await media.file('gops');
    const index = await indexOf(file);
    const plan = planSegments(index, 3000);
    const ts = path.join(media.dir, 'gops.ts');
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-i',
      file,
      '-c',
      'copy',
      '-f',
      'mpegts',
      ts,
    ]);
    const estimated = (plan.averageBitrate * plan.duration) / 8;
    const actual = statSync(ts).size;
    assert.ok(estimated >= actual * 0.85, `estimated ${estimated} vs ffmpeg ${actual}`);
    assert.ok(estimated <= actual * 1.15, `estimated ${estimated} vs ffmpeg ${actual}`);
    assert.ok(plan.peakBitrate >= plan.averageBitrate);
  });

  test('a non-positive target is refused', async () => {
    const index = await indexOf(await media.file('av'));
    for (const bad of [0, -1, Number.NaN]) {
      assert.throws(
        () => planSegments(index, bad),
        (e: unknown) => e instanceof HlsError && e.code === 'CONFIG_INVALID',
      );
    }
  });
});
