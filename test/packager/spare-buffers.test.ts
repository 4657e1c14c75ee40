// Recycled output buffers: best fit first, never one too small or mostly wasted, bounded in
// number; and the size estimate a buffer is picked by is close above the real segment size.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { Mp4SourceCache } from '../../src/packager/mp4-source.js';
import { estimateOutputBytes, runSegmentJob, segmentJobOf } from '../../src/packager/segment-job.js';
import { freshBuffer, SpareBuffers } from '../../src/packager/spare-buffers.js';
import { REPO_ROOT } from '../helpers/server-fixture.js';

test('take gives the smallest spare that fits', () => {
  const spares = new SpareBuffers(8);
  const [small, mid, large] = [new ArrayBuffer(1000), new ArrayBuffer(1200), new ArrayBuffer(1400)];
  for (const b of [large, small, mid]) spares.give(b);
  assert.equal(spares.take(1100), mid);
  assert.equal(spares.take(1100), large);
  assert.equal(spares.take(1100), undefined, 'the 1000-byte spare is too small');
  assert.equal(spares.count, 1);
});

test('take refuses a spare that would be mostly wasted', () => {
  const spares = new SpareBuffers(8);
  spares.give(new ArrayBuffer(3000));
  assert.equal(spares.take(1000), undefined);
  assert.equal(spares.take(2500)?.byteLength, 3000);
});

test('the oldest spare goes when the set is full, and a set of 0 keeps nothing', () => {
  const spares = new SpareBuffers(2);
  const [a, b, c] = [new ArrayBuffer(10), new ArrayBuffer(10), new ArrayBuffer(10)];
  spares.give(a);
  spares.give(b);
  spares.give(c);
  assert.equal(spares.count, 2);
  const taken = [spares.take(10), spares.take(10)];
  assert.ok(taken.includes(b) && taken.includes(c) && !taken.includes(a));
  const none = new SpareBuffers(0);
  none.give(new ArrayBuffer(10));
  assert.equal(none.count, 0);
});

test('fresh buffers have headroom, so a slightly larger segment fits a recycled one', () => {
  const buffer = freshBuffer(1_000_000);
  assert.ok(buffer.byteLength >= 1_100_000, `${buffer.byteLength}`);
  assert.ok(buffer.byteLength <= 1_250_000, `${buffer.byteLength}`);
  const spares = new SpareBuffers(1);
  spares.give(buffer);
  assert.equal(spares.take(1_080_000), buffer);
  assert.ok(freshBuffer(10).byteLength >= 10);
});

test('the output estimate is a little above the real size of every sample segment', async () => {
  const src = await new Mp4SourceCache({ maxBytes: 1e8 }).get(path.join(REPO_ROOT, 'content', 'sample.mp4'));
  const plan = src.plan(6000);
  for (let sequence = 0; sequence < plan.segments.length; sequence++) {
    const job = segmentJobOf(src, plan, sequence, new Uint8Array(16), new Uint8Array(16));
    const actual = runSegmentJob(job).data.byteLength;
    const estimate = estimateOutputBytes(job);
    assert.ok(estimate >= actual, `segment ${sequence}: estimate ${estimate} < ${actual}`);
    assert.ok(estimate <= actual * 1.15, `segment ${sequence}: estimate ${estimate} far above ${actual}`);
  }
});
