// Segment jobs give the same bytes on a worker thread as on the main thread, errors come back
// with their codes, and a pool keeps working after a job fails.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decryptSegment } from '../../src/crypto/segment-cipher.js';
import { Mp4SourceCache } from '../../src/packager/mp4-source.js';
import { runSegmentJob, type SegmentJob, segmentJobOf, tracksOf } from '../../src/packager/segment-job.js';
import { SegmentWorkerPool } from '../../src/packager/segment-worker-pool.js';
import { TsMuxer } from '../../src/ts/segment-muxer.js';
import { REPO_ROOT } from '../helpers/server-fixture.js';

const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const IV = Buffer.alloc(16, 7);

let pool: SegmentWorkerPool;
let makeJob: (sequence: number) => Promise<SegmentJob>;

before(async () => {
  pool = new SegmentWorkerPool(2);
  const src = await new Mp4SourceCache({ maxBytes: 1e8 }).get(path.join(REPO_ROOT, 'content', 'sample.mp4'));
  const plan = src.plan(6000);
  makeJob = async (sequence) => segmentJobOf(src, plan, sequence, KEY, IV);
});

after(() => pool.close());

test('a worker packages the same bytes as the main thread', async () => {
  const sequences = [0, 1, 2];
  const expected = await Promise.all(
    sequences.map(async (i) => Buffer.from(runSegmentJob(await makeJob(i)).data)),
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
  // The file no longer is what was indexed: it must not be read with a stale index.
  const stale: SegmentJob = { ...job, file: { ...job.file, size: job.file.size + 1 } };
  await assert.rejects(pool.run(stale), (err: { code?: string }) => err.code === 'SEGMENT_NOT_FOUND');
  const missing: SegmentJob = { ...job, file: { ...job.file, path: `${job.file.path}.gone` } };
  await assert.rejects(pool.run(missing), (err: { code?: string }) => err.code === 'NOT_FOUND');
  const expected = Buffer.from(runSegmentJob(await makeJob(1)).data);
  assert.deepEqual(Buffer.from(await pool.run(await makeJob(1))), expected);
});

test('the bytes a worker reads equal what the async reader reads', async () => {
  const src = await new Mp4SourceCache({ maxBytes: 1e8 }).get(path.join(REPO_ROOT, 'content', 'sample.mp4'));
  const plan = src.plan(6000);
  const samples = await src.readSegment(plan, 2);
  const fromSamples = new TsMuxer(tracksOf(src)).muxSegment(samples, { standaloneSequence: 2 });
  const { key: _k, iv: _i, ...plain } = await makeJob(2);
  assert.deepEqual(Buffer.from(await pool.run(plain)), Buffer.from(fromSamples));
});

test('a recycled segment buffer holds a later segment, with the right bytes', async () => {
  // One worker, so the buffer handed back is the one the next job finds.
  const single = new SegmentWorkerPool(1);
  try {
    const first = await single.run(await makeJob(3));
    const reusedBefore = single.stats.reused;
    single.recycle(first);
    const second = await single.run(await makeJob(3));
    assert.equal(first.byteLength, 0, 'the buffer went to the worker with the job');
    assert.equal(single.stats.reused, reusedBefore + 1, 'packaged into the recycled buffer');
    assert.deepEqual(Buffer.from(second), Buffer.from(runSegmentJob(await makeJob(3)).data));
  } finally {
    await single.close();
  }
});

test('recycle ignores buffers the pool did not make, and recycling twice does nothing', async () => {
  const foreign = new Uint8Array(4096).fill(9);
  pool.recycle(foreign);
  assert.equal(foreign.byteLength, 4096, 'a foreign buffer is left alone');
  assert.equal(foreign[0], 9);
  const made = await pool.run(await makeJob(0));
  pool.recycle(made);
  pool.recycle(made);
  assert.deepEqual(
    Buffer.from(await pool.run(await makeJob(0))),
    Buffer.from(runSegmentJob(await makeJob(0)).data),
  );
});
