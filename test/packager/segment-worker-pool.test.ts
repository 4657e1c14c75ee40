// Segment jobs give the same bytes on a worker thread as on the main thread, errors come back
// with their codes, and a pool keeps working after a job fails.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decryptSegment } from '../../src/crypto/segment-cipher.js';
import { Mp4SourceCache } from '../../src/packager/mp4-source.js';
import { runSegmentJob, type SegmentJob } from '../../src/packager/segment-job.js';
import { SegmentWorkerPool } from '../../src/packager/segment-worker-pool.js';
import { REPO_ROOT } from '../helpers/server-fixture.js';

const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const IV = Buffer.alloc(16, 7);

let pool: SegmentWorkerPool;
let makeJob: (sequence: number) => Promise<SegmentJob>;

before(async () => {
  pool = new SegmentWorkerPool(2);
  const src = await new Mp4SourceCache({ maxBytes: 1e8 }).get(path.join(REPO_ROOT, 'content', 'sample.mp4'));
  const plan = src.plan(6000);
  const video = src.index.video?.info;
  const audio = src.index.audio?.info;
  // Sample buffers are handed to the worker (detached here), so every run gets a fresh read.
  makeJob = async (sequence) => ({
    tracks: {
      video: video?.kind === 'video' ? video : undefined,
      audio: audio?.kind === 'audio' ? audio : undefined,
    },
    ...(await src.readSegment(plan, sequence)),
    sequence,
    key: KEY,
    iv: IV,
  });
});

after(() => pool.close());

test('a worker packages the same bytes as the main thread', async () => {
  const sequences = [0, 1, 2];
  const expected = await Promise.all(
    sequences.map(async (i) => Buffer.from(runSegmentJob(await makeJob(i)))),
  );
  const jobs = await Promise.all(sequences.map(makeJob));
  const results = await Promise.all(jobs.map((job) => pool.run(job)));
  results.forEach((bytes, i) => {
    assert.deepEqual(Buffer.from(bytes), expected[i]);
    const plain = decryptSegment(bytes, KEY, IV);
    assert.equal(plain.length % 188, 0);
    assert.equal(plain[0], 0x47);
  });
});

test('a plain job (no key) comes back as MPEG-TS', async () => {
  const { key: _key, iv: _iv, ...plainJob } = await makeJob(0);
  const bytes = await pool.run(plainJob);
  assert.equal(bytes[0], 0x47);
  assert.equal(bytes.length % 188, 0);
});

test('a failing job rejects with its error code and the pool goes on', async () => {
  const job = await makeJob(0);
  const broken: SegmentJob = {
    ...job,
    // A length prefix far past the sample's end: the muxer must refuse it.
    video: job.video.map((s, i) => (i === 0 ? { ...s, data: Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1) } : s)),
  };
  await assert.rejects(pool.run(broken), (err: { code?: string }) => err.code === 'MEDIA_INVALID');
  const expected = Buffer.from(runSegmentJob(await makeJob(1)));
  assert.deepEqual(Buffer.from(await pool.run(await makeJob(1))), expected);
});
