// Rotated keys: SPEC §5 worked example and key numbering.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deriveRotatedKey, keyIndexFor, rotatedKeyName } from '../../src/crypto/key-rotation.js';

const FILE_KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

describe('key rotation', () => {
  test('SPEC §5 worked example', () => {
    assert.equal(rotatedKeyName('vod', '_definst_', 'sample.mp4', 0), 'vod/_definst_/sample.mp4/0');
    assert.equal(
      deriveRotatedKey(FILE_KEY, 'vod/_definst_/sample.mp4/0').toString('hex'),
      '62b9a06ac254dc1ac3dfd7b7f2ff2911',
    );
    assert.equal(
      deriveRotatedKey(FILE_KEY, 'vod/_definst_/sample.mp4/1').toString('hex'),
      'd32cb9ac60b60c62fa06bb3e3058a180',
    );
    assert.equal(deriveRotatedKey(FILE_KEY, 'x').length, 16);
  });

  test('a key must be 16 bytes', () => {
    assert.throws(() => deriveRotatedKey(Buffer.alloc(15), 'x'), RangeError);
  });

  test('keyIndexFor is floor(sequence / segmentsPerKey), 0 when rotation is off', () => {
    assert.equal(keyIndexFor(0, 3), 0);
    assert.equal(keyIndexFor(2, 3), 0);
    assert.equal(keyIndexFor(3, 3), 1);
    assert.equal(keyIndexFor(1_700_000_000, 10), 170_000_000);
    assert.equal(keyIndexFor(12345, 0), 0);
    assert.throws(() => keyIndexFor(-1, 3), RangeError);
    assert.throws(() => keyIndexFor(1, -3), RangeError);
  });
});
