// locateMoov over hand-built box lists (64-bit sizes, size 0, limits) and over real and broken files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { HlsError } from '../../src/core/errors.js';
import { locateMoov, MAX_MOOV_SIZE, MAX_TOP_LEVEL_BOXES, type ReadAt } from '../../src/mp4/box-scan.js';
import { mediaDir } from './media-fixtures.js';

const media = mediaDir();
after(() => media.dispose());

/** A box header: 32-bit size, then the 4-character type (ISO 14496-12 §4.2). */
function header(size: number, type: string): number[] {
  return [
    (size >>> 24) & 0xff,
    (size >>> 16) & 0xff,
    (size >>> 8) & 0xff,
    size & 0xff,
    ...Buffer.from(type, 'latin1'),
  ];
}

/** A box header with size 1 and a 64-bit largesize. */
function largeHeader(size: bigint, type: string): number[] {
  const large = new Uint8Array(8);
  new DataView(large.buffer).setBigUint64(0, size);
  return [...header(1, type), ...large];
}

/** A "file" of `fileSize` bytes whose only non-zero bytes are the given pieces; counts the reads. */
function sparseFile(pieces: [offset: number, bytes: number[]][]): { read: ReadAt; reads: number[] } {
  const reads: number[] = [];
  const read: ReadAt = async (offset, length) => {
    reads.push(length);
    const out = new Uint8Array(length);
    for (const [at, bytes] of pieces) {
      for (let i = 0; i < bytes.length; i++) {
        const pos = at + i - offset;
        if (pos >= 0 && pos < length) out[pos] = bytes[i]!;
      }
    }
    return out;
  };
  return { read, reads };
}

function memoryReader(bytes: Uint8Array): ReadAt {
  return async (offset, length) => bytes.subarray(offset, offset + length);
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof HlsError, `expected an HlsError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.equal(err.statusCode, 415);
  if (message) assert.match(err.message, message);
}

describe('locateMoov on hand-built box lists', () => {
  test('ftyp, a 6 GiB mdat with a 64-bit largesize, then moov', async () => {
    const mdatSize = 6n * 1024n ** 3n;
    const moovAt = 24 + Number(mdatSize);
    const file = sparseFile([
      [0, header(24, 'ftyp')],
      [24, largeHeader(mdatSize, 'mdat')],
      [moovAt, header(1000, 'moov')],
    ]);
    const where = await locateMoov(file.read, moovAt + 1000);
    assert.deepEqual(where, { offset: moovAt, size: 1000 });
    // Only three box headers were read, never the media data.
    assert.deepEqual(file.reads, [16, 16, 16]);
  });

  test('a moov with a 64-bit largesize', async () => {
    const file = sparseFile([
      [0, header(16, 'ftyp')],
      [16, largeHeader(4000n, 'moov')],
    ]);
    assert.deepEqual(await locateMoov(file.read, 4016), { offset: 16, size: 4000 });
  });

  test('a moov with size 0 runs to the end of the file', async () => {
    const file = sparseFile([
      [0, header(16, 'ftyp')],
      [16, header(0, 'moov')],
    ]);
    assert.deepEqual(await locateMoov(file.read, 5016), { offset: 16, size: 5000 });
  });

  test('an mdat with size 0 (to the end) and no moov: MEDIA_INVALID', async () => {
    const file = sparseFile([
      [0, header(16, 'ftyp')],
      [16, header(0, 'mdat')],
    ]);
    await rejectsWith(locateMoov(file.read, 100_000), 'MEDIA_INVALID', /no moov/);
  });

  test('a box running past the end of the file: MEDIA_INVALID (truncated)', async () => {
    const file = sparseFile([
      [0, header(16, 'ftyp')],
      [16, header(50_000, 'mdat')],
    ]);
    await rejectsWith(locateMoov(file.read, 20_000), 'MEDIA_INVALID', /truncated/);
  });

  test('an absurd moov size is refused', async () => {
    const size = MAX_MOOV_SIZE + 8;
    const file = sparseFile([
      [0, header(16, 'ftyp')],
      [16, header(size, 'moov')],
    ]);
    await rejectsWith(locateMoov(file.read, 16 + size), 'MEDIA_INVALID', /too large/);
  });

  test('a box smaller than its header: MEDIA_INVALID', async () => {
    const file = sparseFile([
      [0, header(16, 'ftyp')],
      [16, header(4, 'free')],
    ]);
    await rejectsWith(locateMoov(file.read, 1000), 'MEDIA_INVALID');
  });

  test('the walk is bounded: thousands of tiny boxes without a moov', async () => {
    const count = MAX_TOP_LEVEL_BOXES + 10;
    const bytes = new Uint8Array(16 + count * 8 + 1000);
    bytes.set(header(16, 'ftyp'), 0);
    for (let i = 0; i < count; i++) bytes.set(header(8, 'free'), 16 + i * 8);
    let reads = 0;
    const read: ReadAt = async (offset, length) => {
      reads++;
      return bytes.subarray(offset, offset + length);
    };
    await rejectsWith(locateMoov(read, bytes.length), 'MEDIA_INVALID', /no moov/);
    assert.equal(reads, MAX_TOP_LEVEL_BOXES);
  });
});

describe('locateMoov on files', () => {
  test('moov at the end (ffmpeg default) and at the front (faststart)', async () => {
    for (const name of ['av', 'avFaststart'] as const) {
      const bytes = readFileSync(await media.file(name));
      const where = await locateMoov(memoryReader(bytes), bytes.length);
      assert.equal(
        Buffer.from(bytes.subarray(where.offset + 4, where.offset + 8)).toString('latin1'),
        'moov',
      );
      assert.equal(bytes.readUInt32BE(where.offset), where.size);
      if (name === 'av') assert.equal(where.offset + where.size, bytes.length);
      else assert.ok(where.offset < 100);
    }
  });

  test('garbage bytes, an empty file and a text file are not MP4 files', async () => {
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    await rejectsWith(locateMoov(memoryReader(garbage), garbage.length), 'UNSUPPORTED_MEDIA', /not an MP4/);
    await rejectsWith(locateMoov(memoryReader(new Uint8Array(0)), 0), 'UNSUPPORTED_MEDIA', /not an MP4/);
    const text = Buffer.from('#EXTM3U\n#EXT-X-VERSION:3\nhello, this is a text file and not a movie\n');
    await rejectsWith(locateMoov(memoryReader(text), text.length), 'UNSUPPORTED_MEDIA', /not an MP4/);
  });

  test('a file cut in the middle of its moov is MEDIA_INVALID', async () => {
    const bytes = readFileSync(await media.file('av'));
    const where = await locateMoov(memoryReader(bytes), bytes.length);
    const cut = bytes.subarray(0, where.offset + Math.floor(where.size / 2));
    await rejectsWith(locateMoov(memoryReader(cut), cut.length), 'MEDIA_INVALID', /truncated/);
  });

  test('a file cut inside the mdat (moov lost) is MEDIA_INVALID', async () => {
    const bytes = readFileSync(await media.file('av'));
    const cut = bytes.subarray(0, Math.floor(bytes.length / 3));
    await rejectsWith(locateMoov(memoryReader(cut), cut.length), 'MEDIA_INVALID');
  });
});
