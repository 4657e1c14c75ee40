// Checks the entry counts of the sample tables in a moov against their box sizes before mp4box
// parses them: mp4box trusts a damaged count and grows arrays until the process runs out of memory.
import { HlsError } from '../core/errors.js';
import { MAX_SAMPLES_PER_TRACK } from './sample-table.js';

/** Boxes on the path from moov to the sample tables (ISO 14496-12 §8.2–8.7). */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts']);
/** Full box header: version (1 byte) + flags (3 bytes). */
const FULL_BOX_HEADER = 4;
const BOX_HEADER_SIZE = 8;
const LARGE_BOX_HEADER_SIZE = 16;
/**
 * Table boxes with a 32-bit entry_count right after the full box header, and the bytes per entry
 * (§8.6.1.2 stts, §8.6.1.3 ctts, §8.6.2 stss, §8.7.4 stsc, §8.7.5 stco/co64).
 */
const ENTRY_SIZES: Record<string, number> = { stts: 8, ctts: 8, stss: 4, stsc: 12, stco: 4, co64: 8 };
/** elst entries: 12 bytes in version 0, 20 in version 1 (§8.6.6). */
const ELST_ENTRY_V0 = 12;
const ELST_ENTRY_V1 = 20;

function damaged(type: string): HlsError {
  return new HlsError('MEDIA_INVALID', `invalid MP4 file: damaged ${type} box`);
}

function isTable(type: string): boolean {
  return type in ENTRY_SIZES || type === 'stsz' || type === 'stz2' || type === 'elst';
}

/** Checks one table box whose payload (after the 8- or 16-byte header) is `body`. */
function checkTable(type: string, body: DataView): void {
  if (!isTable(type)) return;
  if (body.byteLength < FULL_BOX_HEADER + 4) throw damaged(type);
  const version = body.getUint8(0);
  const count = body.getUint32(FULL_BOX_HEADER);
  let needed: number;
  if (type === 'stsz') {
    // sample_size, then sample_count; sizes follow only when sample_size is 0 (§8.7.3.2).
    if (body.byteLength < FULL_BOX_HEADER + 8) throw damaged(type);
    const sampleCount = body.getUint32(FULL_BOX_HEADER + 4);
    // With one size for all samples mp4box still fills an array of sample_count entries.
    if (sampleCount > MAX_SAMPLES_PER_TRACK) throw damaged(type);
    needed = FULL_BOX_HEADER + 8 + (count === 0 ? sampleCount * 4 : 0);
  } else if (type === 'stz2') {
    // reserved (24 bits) + field_size (8 bits), then sample_count; sizes of field_size bits (§8.7.3.3).
    if (body.byteLength < FULL_BOX_HEADER + 8) throw damaged(type);
    const fieldSize = body.getUint8(FULL_BOX_HEADER + 3);
    const sampleCount = body.getUint32(FULL_BOX_HEADER + 4);
    needed = FULL_BOX_HEADER + 8 + Math.ceil((sampleCount * fieldSize) / 8);
  } else if (type === 'elst') {
    needed = FULL_BOX_HEADER + 4 + count * (version === 1 ? ELST_ENTRY_V1 : ELST_ENTRY_V0);
  } else {
    needed = FULL_BOX_HEADER + 4 + count * ENTRY_SIZES[type]!;
  }
  if (needed > body.byteLength) throw damaged(type);
}

/** Walks the boxes in `view` (a container's payload), recursing into containers. */
function walk(view: DataView): void {
  let pos = 0;
  while (pos + BOX_HEADER_SIZE <= view.byteLength) {
    let size = view.getUint32(pos);
    const type = String.fromCharCode(
      view.getUint8(pos + 4),
      view.getUint8(pos + 5),
      view.getUint8(pos + 6),
      view.getUint8(pos + 7),
    );
    let header = BOX_HEADER_SIZE;
    if (size === 1) {
      if (pos + LARGE_BOX_HEADER_SIZE > view.byteLength) throw damaged(type);
      size = Number(view.getBigUint64(pos + 8));
      header = LARGE_BOX_HEADER_SIZE;
    } else if (size === 0) {
      size = view.byteLength - pos;
    }
    if (size < header || pos + size > view.byteLength) {
      // Boxes we do not read (udta, meta, …) may be sloppy in real files; stop at them, do not refuse.
      if (CONTAINERS.has(type) || isTable(type)) throw damaged(type);
      return;
    }
    const body = new DataView(view.buffer, view.byteOffset + pos + header, size - header);
    if (CONTAINERS.has(type)) walk(body);
    else checkTable(type, body);
    pos += size;
  }
}

/** Throws MEDIA_INVALID when a box in the moov does not fit its parent or a table count exceeds its box. */
export function checkTableCounts(moov: Uint8Array): void {
  walk(new DataView(moov.buffer, moov.byteOffset, moov.byteLength));
}
