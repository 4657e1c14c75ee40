// Sample table expansion and edit-list shifts with literal tables.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HlsError } from '../../src/core/errors.js';
import { editListShift } from '../../src/mp4/edit-list.js';
import { buildSampleTable, type SampleTableBoxes } from '../../src/mp4/sample-table.js';

/** Five samples in two chunks: 3 in chunk 1 at 1000, 2 in chunk 2 at 5000. */
const BOXES: SampleTableBoxes = {
  stts: { sample_counts: [4, 1], sample_deltas: [512, 256] },
  ctts: { sample_counts: [1, 1, 3], sample_offsets: [1024, 2048, 0] },
  stss: { sample_numbers: [1, 4] },
  stsc: { first_chunk: [1, 2], samples_per_chunk: [3, 2] },
  sizes: { count: 5, constant: 0, perSample: [10, 20, 30, 40, 50] },
  chunkOffsets: [1000, 5000],
};

describe('buildSampleTable', () => {
  test('expands stts, ctts, stss, stsc, stsz and stco', () => {
    const { table, presentationEnd, decodeDuration } = buildSampleTable(BOXES, 0);
    assert.equal(table.count, 5);
    assert.deepEqual([...table.offset], [1000, 1010, 1030, 5000, 5040]);
    assert.deepEqual([...table.size], [10, 20, 30, 40, 50]);
    assert.deepEqual([...table.dts], [0, 512, 1024, 1536, 2048]);
    assert.deepEqual([...table.cto], [1024, 2048, 0, 0, 0]);
    assert.deepEqual([...table.sync], [1, 0, 0, 1, 0]);
    assert.equal(decodeDuration, 2304);
    // Sample 1 is presented latest: 512 + 2048 + 512.
    assert.equal(presentationEnd, 3072);
  });

  test('a shift moves decode times; no stss means all sync; a constant stsz size', () => {
    const { table } = buildSampleTable(
      { ...BOXES, stss: undefined, ctts: undefined, sizes: { count: 5, constant: 7, perSample: [] } },
      -1024,
    );
    assert.deepEqual([...table.dts], [-1024, -512, 0, 512, 1024]);
    assert.deepEqual([...table.sync], [1, 1, 1, 1, 1]);
    assert.deepEqual([...table.offset], [1000, 1007, 1014, 5000, 5007]);
  });

  test('a version-0 ctts offset above 2^31 reads as negative', () => {
    const { table } = buildSampleTable(
      { ...BOXES, ctts: { sample_counts: [5], sample_offsets: [2 ** 32 - 512] } },
      0,
    );
    assert.equal(table.cto[0], -512);
  });

  test('tables that do not cover every sample are MEDIA_INVALID', () => {
    const broken: Partial<SampleTableBoxes>[] = [
      { stts: { sample_counts: [2], sample_deltas: [512] } },
      { chunkOffsets: [1000] },
      { stsc: { first_chunk: [1, 3], samples_per_chunk: [1, 2] } },
      { sizes: { count: 5, constant: 0, perSample: [1, 2] } },
    ];
    for (const patch of broken) {
      assert.throws(
        () => buildSampleTable({ ...BOXES, ...patch }, 0),
        (e: unknown) => e instanceof HlsError && e.code === 'MEDIA_INVALID',
        JSON.stringify(patch),
      );
    }
  });
});

describe('editListShift', () => {
  test('no edit list: no shift', () => {
    assert.equal(editListShift(undefined, 1000, 48000), 0);
  });

  test('media_time of the first edit is subtracted (AAC priming, B-frame delay)', () => {
    assert.equal(editListShift([{ segment_duration: 4000, media_time: 1024 }], 1000, 48000), -1024);
  });

  test('an initial empty edit delays the track, converted to the track timescale', () => {
    const entries = [
      { segment_duration: 478, media_time: -1 },
      { segment_duration: 2522, media_time: 0 },
    ];
    assert.equal(editListShift(entries, 1000, 48000), 22944);
    assert.equal(
      editListShift([entries[0]!, { segment_duration: 2522, media_time: 1024 }], 1000, 48000),
      21920,
    );
  });
});
