// Walks the top-level box headers of an ISO BMFF file (ISO 14496-12 §4.2) to find the moov box
// without reading the media data; the caller supplies the reads, so this file does no I/O.
import { HlsError } from '../core/errors.js';

/** Reads `length` bytes at `offset` of the file; may return fewer bytes only at the end of the file. */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** Where the moov box sits in the file, header included. */
export interface BoxLocation {
  readonly offset: number;
  readonly size: number;
}

/** A box header: 32-bit size and type, then a 64-bit `largesize` when size is 1 (ISO 14496-12 §4.2). */
const BOX_HEADER_SIZE = 8;
const LARGE_BOX_HEADER_SIZE = 16;
/** `size` == 1: the real size follows as a 64-bit `largesize`. */
const SIZE_IS_LARGE = 1;
/** `size` == 0: the box extends to the end of the file. */
const SIZE_TO_END = 0;
/** A moov larger than this is refused: real files need a few MB even for hours of media. */
export const MAX_MOOV_SIZE = 256 * 1024 * 1024;
/** Top-level boxes walked before giving up; moov-less fragmented files could otherwise take long. */
export const MAX_TOP_LEVEL_BOXES = 4096;

/** Types a plausible MP4 or QuickTime file may start with. */
const FIRST_BOX_TYPES = new Set([
  'ftyp',
  'styp',
  'moov',
  'mdat',
  'free',
  'skip',
  'wide',
  'pdin',
  'uuid',
  'meta',
  'sidx',
  'junk',
  'pnot',
]);

interface BoxHeader {
  readonly type: string;
  readonly headerSize: number;
  /** Total size in bytes, header included (already resolved for size 0). */
  readonly size: number;
}

function notMp4(): HlsError {
  return new HlsError('UNSUPPORTED_MEDIA', 'not an MP4 file');
}

function invalid(reason: string): HlsError {
  return new HlsError('MEDIA_INVALID', `invalid MP4 file: ${reason}`);
}

/** Four bytes of a box type: printable ASCII, or © (0xA9) as QuickTime uses. */
function boxType(bytes: Uint8Array): string | undefined {
  let type = '';
  for (let i = 4; i < BOX_HEADER_SIZE; i++) {
    const c = bytes[i]!;
    if ((c < 0x20 || c > 0x7e) && c !== 0xa9) return undefined;
    type += String.fromCharCode(c);
  }
  return type;
}

function parseHeader(bytes: Uint8Array, offset: number, fileSize: number, first: boolean): BoxHeader {
  const fail = (reason: string) => (first ? notMp4() : invalid(`${reason} at offset ${offset}`));
  if (bytes.length < BOX_HEADER_SIZE) throw fail('truncated box header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = boxType(bytes);
  if (type === undefined || (first && !FIRST_BOX_TYPES.has(type))) throw fail('bad box type');
  const size32 = view.getUint32(0);
  let size: number;
  let headerSize = BOX_HEADER_SIZE;
  if (size32 === SIZE_IS_LARGE) {
    if (bytes.length < LARGE_BOX_HEADER_SIZE) throw fail('truncated box header');
    size = Number(view.getBigUint64(8));
    headerSize = LARGE_BOX_HEADER_SIZE;
  } else if (size32 === SIZE_TO_END) {
    size = fileSize - offset;
  } else {
    size = size32;
  }
  if (size < headerSize) throw fail(`box '${type}' smaller than its header`);
  if (offset + size > fileSize) {
    if (first && type !== 'moov' && type !== 'mdat') throw notMp4();
    throw invalid(`box '${type}' at offset ${offset} runs past the end of the file (truncated?)`);
  }
  return { type, headerSize, size };
}

/**
 * Finds the top-level moov box, at the front of the file or after the media data.
 * Throws UNSUPPORTED_MEDIA when the file is not ISO BMFF, MEDIA_INVALID when it is truncated or has no moov.
 */
export async function locateMoov(read: ReadAt, fileSize: number): Promise<BoxLocation> {
  if (fileSize < BOX_HEADER_SIZE) throw notMp4();
  let offset = 0;
  for (let n = 0; n < MAX_TOP_LEVEL_BOXES; n++) {
    if (offset === fileSize) throw invalid('no moov box');
    if (fileSize - offset < BOX_HEADER_SIZE) throw invalid(`truncated box header at offset ${offset}`);
    const length = Math.min(LARGE_BOX_HEADER_SIZE, fileSize - offset);
    const bytes = await read(offset, length);
    const header = parseHeader(bytes, offset, fileSize, n === 0);
    if (header.type === 'moov') {
      if (header.size > MAX_MOOV_SIZE) throw invalid(`moov box of ${header.size} bytes is too large`);
      return { offset, size: header.size };
    }
    offset += header.size;
  }
  throw invalid(`no moov box in the first ${MAX_TOP_LEVEL_BOXES} boxes`);
}
