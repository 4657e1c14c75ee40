// Serializes RTMP messages into chunks (RTMP Specification 1.0 §5.3): a fmt 0 chunk, then fmt 3 continuations.

import type { RtmpOutgoingMessage } from './message-types.js';

/** Timestamps at or above this go in the 32-bit extended timestamp field (§5.3.1.3). */
const EXTENDED_TIMESTAMP_MARK = 0xffffff;
/** Chunk stream ids: 2..63 fit the 1-byte basic header, up to 319 the 2-byte one, up to 65599 the 3-byte one. */
const CSID_MIN = 2;
const CSID_ONE_BYTE_MAX = 63;
const CSID_TWO_BYTE_MAX = 319;
const CSID_THREE_BYTE_MAX = 65599;
const CSID_FORM_BASE = 64;
const FMT0_HEADER_SIZE = 11;
const FMT3_BITS = 0xc0;
/** Chunk size before either side changes it (§5.4.1). */
const INITIAL_CHUNK_SIZE = 128;

/** Writes messages as chunks of the writer's chunk size. Change the size only after sending Set Chunk Size. */
export class ChunkWriter {
  private chunkSizeValue = INITIAL_CHUNK_SIZE;

  /** The chunk size used for outgoing chunks. */
  get chunkSize(): number {
    return this.chunkSizeValue;
  }

  /** Sets the outgoing chunk size (1..2^31-1); call after writing the Set Chunk Size message that announces it. */
  setChunkSize(size: number): void {
    if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) throw new RangeError(`chunk size ${size}`);
    this.chunkSizeValue = size;
  }

  /** The chunks that carry `message`. */
  write(message: RtmpOutgoingMessage): Buffer {
    const { chunkStreamId: csid, payload } = message;
    const timestamp = message.timestamp >>> 0;
    const extended = timestamp >= EXTENDED_TIMESTAMP_MARK;
    const basic = basicHeader(0, csid);
    const header = Buffer.alloc(FMT0_HEADER_SIZE + (extended ? 4 : 0));
    header.writeUIntBE(extended ? EXTENDED_TIMESTAMP_MARK : timestamp, 0, 3);
    header.writeUIntBE(payload.length, 3, 3);
    header[6] = message.type;
    header.writeUInt32LE(message.streamId >>> 0, 7); // the message stream id is little-endian (§5.3.1.2.1)
    if (extended) header.writeUInt32BE(timestamp, FMT0_HEADER_SIZE);

    const parts: Uint8Array[] = [basic, header];
    const continuation = Buffer.concat([
      basicHeader(FMT3_BITS, csid),
      extended ? header.subarray(FMT0_HEADER_SIZE) : Buffer.alloc(0),
    ]);
    for (let off = 0; off < payload.length; off += this.chunkSizeValue) {
      if (off > 0) parts.push(continuation);
      parts.push(payload.subarray(off, off + this.chunkSizeValue));
    }
    return Buffer.concat(parts);
  }
}

/** The 1-, 2- or 3-byte basic header for `csid` with the fmt bits `fmtBits` (§5.3.1.1). */
function basicHeader(fmtBits: number, csid: number): Buffer {
  if (!Number.isInteger(csid) || csid < CSID_MIN || csid > CSID_THREE_BYTE_MAX)
    throw new RangeError(`chunk stream id ${csid}`);
  if (csid <= CSID_ONE_BYTE_MAX) return Buffer.of(fmtBits | csid);
  const id = csid - CSID_FORM_BASE;
  if (csid <= CSID_TWO_BYTE_MAX) return Buffer.of(fmtBits, id);
  return Buffer.of(fmtBits | 1, id & 0xff, id >> 8);
}
