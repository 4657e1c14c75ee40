import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ContinuityCounter } from '../../src/ts/continuity-counter.js';

describe('ContinuityCounter', () => {
  test('counts 0..15 and wraps to 0', () => {
    const c = new ContinuityCounter();
    const values = Array.from({ length: 18 }, () => c.next());
    assert.deepEqual(values, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1]);
  });

  test('current() repeats the last value without advancing', () => {
    const c = new ContinuityCounter();
    c.next();
    c.next();
    assert.equal(c.current(), 1);
    assert.equal(c.current(), 1);
    assert.equal(c.next(), 2);
  });

  test('can start at any value, wrapping from 15', () => {
    const c = new ContinuityCounter(15);
    assert.equal(c.current(), 14);
    assert.equal(c.next(), 15);
    assert.equal(c.next(), 0);
  });
});
