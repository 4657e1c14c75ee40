// The segment cache's 2Q admission: one request keeps a segment in probation, a second admits it
// to the main LRU, a one-pass scan never evicts admitted segments, prefetches do not count as
// requests, concurrent misses package once, and the byte budget holds whatever the traffic.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SegmentCache } from '../../src/packager/segment-cache.js';
import { prng } from '../helpers/prng.js';

const SEGMENT_BYTES = 1000;
/** Room for 40 segments: 10 in probation, 30 admitted. */
const BUDGET = 40 * SEGMENT_BYTES;

/**
 * A cache whose misses make SEGMENT_BYTES of the key's first char code, counting every make;
 * `get` releases its lease at once, `lease` keeps it.
 */
function counted(budget = BUDGET, bytes = SEGMENT_BYTES) {
  const released: Uint8Array[] = [];
  const cache = new SegmentCache(budget, { onReleased: (data) => released.push(data) });
  const made: string[] = [];
  const lease = (key: string, prefetch = false) =>
    cache.getOrMake(
      key,
      async () => {
        made.push(key);
        return new Uint8Array(bytes).fill(key.charCodeAt(0));
      },
      { prefetch },
    );
  const get = async (key: string, prefetch = false) => {
    const l = await lease(key, prefetch);
    l.release();
    return l.data;
  };
  const makes = (key: string) => made.filter((k) => k === key).length;
  return { cache, get, lease, makes, made, released };
}

/** Requests `count` distinct one-off segments, as a scan does. */
async function scan(
  get: (key: string) => Promise<Uint8Array>,
  count: number,
  prefix = 'scan',
): Promise<void> {
  for (let i = 0; i < count; i++) await get(`${prefix}-${i}`);
}

test('a segment requested twice is packaged once and served as the same buffer', async () => {
  const { get, makes } = counted();
  const first = await get('a');
  const second = await get('a');
  assert.equal(makes('a'), 1);
  assert.equal(second, first);
});

test('a one-pass scan does not evict segments requested twice', async () => {
  const { get, makes } = counted();
  await get('hot');
  await get('hot');
  await scan(get, 200);
  await get('hot');
  assert.equal(makes('hot'), 1, 'the hot segment survived a scan five times the cache');
});

test('a scan only cycles the probation area', async () => {
  const { cache, get } = counted();
  await scan(get, 200);
  assert.ok(cache.bytes <= BUDGET / 4, `${cache.bytes} bytes held after a scan`);
});

test('a segment evicted after one request is admitted when requested again', async () => {
  const { get, makes } = counted();
  await get('once');
  await scan(get, 15);
  await get('once');
  assert.equal(makes('once'), 2, 'packaged again: it had left probation');
  await scan(get, 200, 'second-scan');
  await get('once');
  assert.equal(makes('once'), 2, 'the second request admitted it');
});

test('a prefetch keeps the segment for the request that follows but does not count as one', async () => {
  const { get, makes } = counted();
  await get('ahead', true);
  await get('ahead');
  assert.equal(makes('ahead'), 1, 'the request was served from the prefetch');
  await scan(get, 15);
  await get('ahead');
  assert.equal(makes('ahead'), 2, 'prefetch + one request did not admit it');
});

test('a segment requested before its eviction is admitted even when prefetched again', async () => {
  const { get, makes } = counted();
  await get('p');
  await scan(get, 15);
  await get('p', true);
  await get('p');
  await scan(get, 200, 'second-scan');
  await get('p');
  assert.equal(makes('p'), 2);
});

test('concurrent misses share one packaging run, and two clients admit the segment', async () => {
  const { get, makes } = counted();
  const [a, b] = await Promise.all([get('c'), get('c')]);
  assert.equal(a, b);
  assert.equal(makes('c'), 1);
  await scan(get, 200);
  await get('c');
  assert.equal(makes('c'), 1);
});

test('a failed packaging run is not cached; the next request tries again', async () => {
  const cache = new SegmentCache(BUDGET);
  await assert.rejects(
    cache.getOrMake('x', async () => {
      throw new Error('disk on fire');
    }),
    /disk on fire/,
  );
  const { data } = await cache.getOrMake('x', async () => new Uint8Array(10));
  assert.equal(data.length, 10);
  assert.equal(cache.bytes, 10);
});

test('a cache of 0 bytes keeps nothing', async () => {
  const { cache, get, makes } = counted(0);
  for (let i = 0; i < 3; i++) await get('z');
  assert.equal(makes('z'), 3);
  assert.equal(cache.bytes, 0);
});

test('in a small cache a segment too large for probation is admitted on its second request', async () => {
  // Probation holds a quarter of 3000 bytes: a 1000-byte segment does not fit it, but fits the rest.
  const { cache, get, makes } = counted(3 * SEGMENT_BYTES);
  await get('big');
  await get('big');
  await get('big');
  assert.equal(makes('big'), 2);
  assert.equal(cache.bytes, SEGMENT_BYTES);
});

test('the byte budget holds under mixed traffic', async () => {
  const cache = new SegmentCache(BUDGET);
  // A deterministic mix of repeats, prefetches and one-offs, with segments of varying size.
  const next = prng(7);
  for (let i = 0; i < 2000; i++) {
    const id = Math.floor(next() * 120);
    const bytes = 200 + ((id * 997) % 4000);
    const lease = await cache.getOrMake(`k${id}`, async () => new Uint8Array(bytes), {
      prefetch: next() < 0.3,
    });
    lease.release();
    assert.ok(cache.bytes <= BUDGET, `${cache.bytes} > ${BUDGET} after request ${i}`);
  }
});

test('a segment evicted while leased is released only when its last lease ends', async () => {
  const { lease, get, released } = counted();
  const held = await lease('held');
  await scan(get, 15);
  assert.ok(!released.includes(held.data), 'not released while a response still sends it');
  held.release();
  assert.ok(released.includes(held.data), 'released once the response is over');
  held.release();
  assert.equal(released.filter((d) => d === held.data).length, 1, 'a second release does nothing');
});

test('segments a scan pushes out of probation are released at once', async () => {
  const { get, released } = counted();
  await scan(get, 15);
  assert.equal(released.length, 5, 'probation holds 10 of the 15');
});

test('segments evicted from the main LRU are released', async () => {
  const { get, released } = counted();
  for (let i = 0; i < 31; i++) {
    await get(`m${i}`);
    await get(`m${i}`);
  }
  assert.equal(released.length, 1, 'the main LRU holds 30');
  assert.equal(released[0]![0], 'm'.charCodeAt(0));
});

test('every waiter of a shared packaging run holds its own lease', async () => {
  const { lease, released } = counted(0);
  const [a, b] = await Promise.all([lease('w'), lease('w')]);
  assert.equal(a.data, b.data);
  a.release();
  assert.equal(released.length, 0, 'the second waiter still holds it');
  b.release();
  assert.equal(released.length, 1, 'a segment the cache could not keep is released after its last lease');
});

test('a segment is never released while cached', async () => {
  const { get, lease, released } = counted();
  const kept = await lease('kept');
  kept.release();
  await get('kept');
  assert.equal(released.length, 0);
});

test('the budget counts what sizeOf says a segment holds', async () => {
  // Each 100-byte segment lies in a 400-byte buffer: 7 fit the 3000-byte main LRU, not 30.
  const cache = new SegmentCache(4000, { sizeOf: (data) => data.buffer.byteLength });
  for (let i = 0; i < 20; i++) {
    for (let twice = 0; twice < 2; twice++) {
      const lease = await cache.getOrMake(`s${i}`, async () => new Uint8Array(new ArrayBuffer(400), 0, 100));
      lease.release();
    }
    assert.ok(cache.bytes <= 4000, `${cache.bytes} bytes held`);
  }
  assert.equal(cache.bytes, 7 * 400);
});

test('a prefetch does not refresh an admitted segment', async () => {
  const { get, makes } = counted();
  for (let i = 0; i < 30; i++) {
    await get(`m${i}`);
    await get(`m${i}`);
  }
  // m0 is the least recently requested; a prefetch must not save it from the next admission.
  await get('m0', true);
  await get('new');
  await get('new');
  await get('m0');
  assert.equal(makes('m0'), 2);
});
