// Coalesced segment reads (few large reads, never past the end of the file) and the TS size estimate
// of the segment plan against what the TS muxer actually writes for the same samples.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { HlsError } from '../../src/core/errors.js';
import type { ReadAt } from '../../src/mp4/box-scan.js';
import { MAX_READ_GAP, planReads, readSegmentSamples } from '../../src/packager/mp4-segment-reader.js';
import { planSegments } from '../../src/packager/segment-plan.js';
import { estimateTsBytes } from '../../src/packager/segment-plan-bitrate.js';
import { TsMuxer } from '../../src/ts/segment-muxer.js';
import { indexOf, mediaDir } from '../mp4/media-fixtures.js';

const media = mediaDir();
after(() => media.dispose());

/** A ReadAt over bytes in memory that records every read and refuses reads past the end. */
function recordingReader(bytes: Uint8Array): { read: ReadAt; reads: [number, number][] } {
  const reads: [number, number][] = [];
  const read: ReadAt = async (offset, length) => {
    reads.push([offset, length]);
    assert.ok(offset + length <= bytes.length, 'no read past the end of the file');
    return bytes.subarray(offset, offset + length);
  };
  return { read, reads };
}

describe('planReads', () => {
  test('sorts by offset, merges gaps up to the limit, keeps far spans apart', () => {
    const spans = [
      { offset: 1000, size: 100 },
      { offset: 0, size: 500 },
      { offset: 500, size: 500 },
      { offset: 1100 + MAX_READ_GAP, size: 10 },
      { offset: 1111 + 2 * MAX_READ_GAP, size: 10 },
    ];
    assert.deepEqual(planReads(spans), [
      { start: 0, end: 1110 + MAX_READ_GAP, spans: [1, 2, 0, 3] },
      { start: 1111 + 2 * MAX_READ_GAP, end: 1121 + 2 * MAX_READ_GAP, spans: [4] },
    ]);
  });

  test('a run stops growing at the byte limit; one big sample still gets its own read', () => {
    const spans = [
      { offset: 0, size: 60 },
      { offset: 60, size: 60 },
      { offset: 120, size: 500 },
    ];
    assert.deepEqual(
      planReads(spans, 10, 100).map((r) => [r.start, r.end]),
      [
        [0, 60],
        [60, 120],
        [120, 620],
      ],
    );
  });
});

describe('readSegmentSamples', () => {
  test('interleaved A/V: one read per segment, samples are views of it', async () => {
    const bytes = readFileSync(await media.file('avFaststart'));
    const index = await indexOf(await media.file('avFaststart'));
    const plan = planSegments(index, 2000);
    for (const segment of plan.segments) {
      const { read, reads } = recordingReader(bytes);
      const samples = await readSegmentSamples(read, bytes.length, index, segment);
      assert.equal(reads.length, 1, `segment ${segment.index}: ${reads.length} reads`);
      assert.equal(samples.video.length, segment.video!.end - segment.video!.first);
      assert.equal(samples.audio.length, segment.audio!.end - segment.audio!.first);
      const v = samples.video[0]!;
      assert.deepEqual(
        Buffer.from(v.data),
        bytes.subarray(
          index.video!.samples.offset[segment.video!.first]!,
          index.video!.samples.offset[segment.video!.first]! + v.data.length,
        ),
      );
    }
  });

  test('a sample past the given file size fails before any read', async () => {
    const bytes = readFileSync(await media.file('avFaststart'));
    const index = await indexOf(await media.file('avFaststart'));
    const plan = planSegments(index, 2000);
    const last = plan.segments[plan.segments.length - 1]!;
    const { read, reads } = recordingReader(bytes);
    const err = await readSegmentSamples(read, bytes.length - 1000, index, last).catch((e: unknown) => e);
    assert.ok(err instanceof HlsError && err.code === 'MEDIA_INVALID');
    assert.equal(reads.length, 0);
  });

  test('a short read (file shrank) is MEDIA_INVALID', async () => {
    const bytes = readFileSync(await media.file('avFaststart'));
    const index = await indexOf(await media.file('avFaststart'));
    const plan = planSegments(index, 2000);
    const short: ReadAt = async (offset, length) => bytes.subarray(offset, offset + length - 1);
    const err = await readSegmentSamples(short, bytes.length, index, plan.segments[0]!).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof HlsError && err.code === 'MEDIA_INVALID');
  });
});

describe('TS size estimate against the TS muxer', () => {
  for (const name of ['gops', 'audioOnly', 'videoOnly'] as const) {
    test(`${name}: each segment's estimate is within 1% of the muxed size plus AES padding`, async () => {
      const file = await media.file(name);
      const bytes = readFileSync(file);
      const index = await indexOf(file);
      const plan = planSegments(index, 2000);
      const muxer = new TsMuxer({ video: index.video?.info as never, audio: index.audio?.info as never });
      const read: ReadAt = async (o, l) => bytes.subarray(o, o + l);
      for (const segment of plan.segments) {
        const samples = await readSegmentSamples(read, bytes.length, index, segment);
        const muxed = muxer.muxSegment(samples).length;
        // PKCS#7 pads to the next 16-byte block (RFC 8216 §5.2).
        const encrypted = (Math.floor(muxed / 16) + 1) * 16;
        const estimate = estimateTsBytes(index, segment.video, segment.audio);
        assert.ok(
          Math.abs(estimate - encrypted) <= encrypted * 0.01,
          `segment ${segment.index}: estimate ${estimate}, muxed ${encrypted}`,
        );
      }
    });
  }
});
