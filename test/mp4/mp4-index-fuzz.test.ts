// Corrupted moov boxes: whatever the damage, parseMoov (and planning) succeeds or throws an HlsError
// (a 415 with a reason), never a TypeError or RangeError that would become a 500.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { HlsError } from '../../src/core/errors.js';
import { locateMoov } from '../../src/mp4/box-scan.js';
import { parseMoov } from '../../src/mp4/mp4-index.js';
import { planSegments } from '../../src/packager/segment-plan.js';
import { prng } from '../helpers/prng.js';
import { mediaDir } from './media-fixtures.js';

const media = mediaDir();
after(() => media.dispose());

test('random byte damage in the moov gives an index or an HlsError', async () => {
  const bytes = readFileSync(await media.file('avFaststart'));
  const where = await locateMoov(async (o, l) => bytes.subarray(o, o + l), bytes.length);
  const original = bytes.subarray(where.offset, where.offset + where.size);
  const codes = new Map<string, number>();
  // mp4box reports damaged boxes on the console; keep the test output readable.
  const consoleMethods = { error: console.error, warn: console.warn, info: console.info, log: console.log };
  Object.assign(console, { error() {}, warn() {}, info() {}, log() {} });
  try {
    damageRounds(original, codes);
  } finally {
    Object.assign(console, consoleMethods);
  }
  assert.ok((codes.get('MEDIA_INVALID') ?? 0) + (codes.get('UNSUPPORTED_MEDIA') ?? 0) > 0);
});

/** Parses 400 randomly damaged copies of `original`, counting outcomes by error code. */
function damageRounds(original: Uint8Array, codes: Map<string, number>): void {
  const random = prng(1234);
  for (let round = 0; round < 400; round++) {
    const moov = Uint8Array.from(original);
    const flips = 1 + Math.floor(random() * 8);
    for (let f = 0; f < flips; f++)
      moov[8 + Math.floor(random() * (moov.length - 8))] = Math.floor(random() * 256);
    try {
      // A damaged index that still parses must also plan without crashing.
      planSegments(parseMoov(moov), 2000);
      codes.set('ok', (codes.get('ok') ?? 0) + 1);
    } catch (err) {
      assert.ok(err instanceof HlsError, `round ${round}: ${String(err)}`);
      assert.equal(err.statusCode, 415, `round ${round}: ${err.message}`);
      codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
    }
  }
}

/** A copy of `moov` with 32-bit `fields` written after the first box of `type` (offsets from the type). */
function patched(moov: Uint8Array, type: string, fields: [at: number, value: number][]): Uint8Array {
  const copy = Uint8Array.from(moov);
  const box = Buffer.from(copy.buffer).indexOf(type, 0, 'latin1');
  for (const [at, value] of fields) new DataView(copy.buffer).setUint32(box + at, value);
  return copy;
}

test('table counts larger than their boxes are refused before mp4box reads them', async () => {
  const bytes = readFileSync(await media.file('avFaststart'));
  const where = await locateMoov(async (o, l) => bytes.subarray(o, o + l), bytes.length);
  const moov = bytes.subarray(where.offset, where.offset + where.size);
  // After the type: version/flags at +4, then the fields. stsz: sample_size +8, sample_count +12;
  // stts and stco: entry_count +8.
  const cases: [string, Uint8Array][] = [
    [
      'stsz',
      patched(moov, 'stsz', [
        [8, 1],
        [12, 0xfffffff0],
      ]),
    ],
    ['stsz', patched(moov, 'stsz', [[12, 0x10000000]])],
    ['stts', patched(moov, 'stts', [[8, 0x10000000]])],
    ['stco', patched(moov, 'stco', [[8, 0x10000000]])],
  ];
  for (const [type, damaged] of cases) {
    assert.throws(
      () => parseMoov(damaged),
      (e: unknown) => e instanceof HlsError && e.code === 'MEDIA_INVALID' && e.message.includes(type),
    );
  }
});
