// Sans-I/O RTMP chunk stream reader (RTMP Specification 1.0 §5.3): bytes in, complete messages out.
// Applies Set Chunk Size and Abort itself; every size a peer declares is checked before it is trusted.

import { MSG_ABORT, MSG_SET_CHUNK_SIZE, type RtmpReadMessage } from './message-types.js';
import { RtmpProtocolError } from './protocol-error.js';
import { TimestampExtender } from './timestamp-extender.js';

/** Chunk size in force until the peer sends Set Chunk Size (§5.4.1). */
export const DEFAULT_CHUNK_SIZE = 128;
/** A 24-bit timestamp field of all ones means a 32-bit extended timestamp follows (§5.3.1.3). */
const EXTENDED_TIMESTAMP_MARK = 0xffffff;
/** Message header sizes by chunk type fmt 0..3 (§5.3.1.2). */
const MESSAGE_HEADER_SIZE = [11, 7, 3, 0] as const;
/** Basic header csid values 0 and 1 select the 2- and 3-byte forms; those ids start at 64 (§5.3.1.1). */
const CSID_TWO_BYTE = 0;
const CSID_THREE_BYTE = 1;
const CSID_FORM_BASE = 64;
/** Set Chunk Size: bit 31 must be zero (§5.4.1). */
const CHUNK_SIZE_TOP_BIT = 0x80000000;

/** First allocation for a message's payload; it doubles from there up to the message length. */
const MIN_MESSAGE_BUFFER = 4096;
const EMPTY = Buffer.alloc(0);

/** Bounds that keep a hostile peer from making the reader allocate or buffer without limit. */
export interface ChunkReaderLimits {
  /** Largest chunk size a peer may set (the spec allows 2^31-1; real encoders use 4096..65536). */
  readonly maxChunkSize: number;
  /** Largest message length accepted (the field is 24 bits). */
  readonly maxMessageLength: number;
  /** Chunk stream ids a connection may use. */
  readonly maxChunkStreams: number;
  /** Chunk streams that may hold a partly received message at once. */
  readonly maxPartialMessages: number;
  /** Bytes of partly received messages held at once, over all chunk streams. */
  readonly maxBufferedBytes: number;
}

/** Defaults: far above what ffmpeg and OBS send, far below what would hurt the server. */
export const DEFAULT_CHUNK_READER_LIMITS: ChunkReaderLimits = {
  maxChunkSize: 16 * 1024 * 1024,
  maxMessageLength: 8 * 1024 * 1024,
  maxChunkStreams: 64,
  maxPartialMessages: 16,
  maxBufferedBytes: 32 * 1024 * 1024,
};

/** What the reader remembers of one chunk stream between chunks (§5.3.1.2: later headers inherit fields). */
interface ChunkStreamState {
  readonly csid: number;
  timestamp32: number;
  delta: number;
  length: number;
  type: number;
  streamId: number;
  /** The last fmt 0/1/2 header carried an extended timestamp, so fmt 3 chunks carry one too. */
  extended: boolean;
  /** Grows with what has arrived (never to the declared length up front), so a lie about length costs nothing. */
  buffer: Buffer;
  received: number;
  inProgress: boolean;
  readonly extender: TimestampExtender;
}

/** Reads RTMP chunks fed in any split and returns the messages they complete. Throws RtmpProtocolError. */
export class ChunkReader {
  private readonly limits: ChunkReaderLimits;
  private readonly streams = new Map<number, ChunkStreamState>();
  private chunkSizeValue = DEFAULT_CHUNK_SIZE;
  private carry: Buffer = Buffer.alloc(0);
  /** The chunk stream whose payload bytes are being read, and how many remain in this chunk. */
  private current: ChunkStreamState | undefined;
  private chunkRemaining = 0;
  private partialCount = 0;
  private bufferedBytes = 0;

  constructor(limits: Partial<ChunkReaderLimits> = {}) {
    this.limits = { ...DEFAULT_CHUNK_READER_LIMITS, ...limits };
  }

  /** The peer's current chunk size. */
  get chunkSize(): number {
    return this.chunkSizeValue;
  }

  /** Feeds received bytes; returns the messages completed by them, in order. */
  push(bytes: Uint8Array): RtmpReadMessage[] {
    const out: RtmpReadMessage[] = [];
    const data =
      this.carry.length === 0
        ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        : Buffer.concat([this.carry, bytes]);
    this.carry = Buffer.alloc(0);
    let pos = 0;
    while (pos < data.length) {
      if (this.current === undefined) {
        const used = this.readHeader(data, pos, out);
        if (used === 0) {
          this.carry = Buffer.from(data.subarray(pos));
          break;
        }
        pos += used;
      } else {
        const take = Math.min(this.chunkRemaining, data.length - pos);
        this.appendPayload(this.current, data.subarray(pos, pos + take));
        pos += take;
        this.chunkRemaining -= take;
        if (this.chunkRemaining === 0) {
          const state = this.current;
          this.current = undefined;
          if (state.received === state.length) this.complete(state, out);
        }
      }
    }
    return out;
  }

  /** Parses one chunk header at `pos`; returns the bytes used, or 0 when the header is not all there yet. */
  private readHeader(data: Buffer, pos: number, out: RtmpReadMessage[]): number {
    const available = data.length - pos;
    const first = data[pos]!;
    const fmt = first >> 6;
    let csid = first & 0x3f;
    let basicSize = 1;
    if (csid === CSID_TWO_BYTE) basicSize = 2;
    else if (csid === CSID_THREE_BYTE) basicSize = 3;
    if (available < basicSize) return 0;
    if (basicSize === 2) csid = CSID_FORM_BASE + data[pos + 1]!;
    else if (basicSize === 3) csid = CSID_FORM_BASE + data[pos + 1]! + data[pos + 2]! * 256;

    const headerSize = MESSAGE_HEADER_SIZE[fmt as 0 | 1 | 2 | 3];
    if (available < basicSize + headerSize) return 0;
    let state = this.streams.get(csid);
    if (state === undefined) {
      if (fmt !== 0)
        throw new RtmpProtocolError('CHUNK_HEADER', `chunk stream ${csid} starts with fmt ${fmt}`);
      if (this.streams.size >= this.limits.maxChunkStreams) {
        throw new RtmpProtocolError(
          'TOO_MANY_CHUNK_STREAMS',
          `more than ${this.limits.maxChunkStreams} chunk streams`,
        );
      }
    }
    if (state?.inProgress && fmt !== 3) {
      throw new RtmpProtocolError(
        'CHUNK_HEADER',
        `fmt ${fmt} chunk inside a message on chunk stream ${csid}`,
      );
    }

    // Message header fields (§5.3.1.2): 3-byte timestamp or delta, 3-byte length, 1-byte type, 4-byte LE stream id.
    const h = pos + basicSize;
    const tsField = fmt === 3 ? -1 : data.readUIntBE(h, 3);
    const hasExtended = fmt === 3 ? (state?.extended ?? false) : tsField === EXTENDED_TIMESTAMP_MARK;
    const total = basicSize + headerSize + (hasExtended ? 4 : 0);
    if (available < total) return 0;
    const tsValue = hasExtended ? data.readUInt32BE(h + headerSize) : tsField;

    if (state === undefined) {
      state = newState(csid);
      this.streams.set(csid, state);
    }
    if (fmt === 3) {
      if (!state.inProgress) this.startMessage(state, (state.timestamp32 + state.delta) >>> 0);
    } else {
      if (fmt <= 1) {
        const length = data.readUIntBE(h + 3, 3);
        if (length > this.limits.maxMessageLength) {
          throw new RtmpProtocolError(
            'MESSAGE_TOO_LONG',
            `message of ${length} bytes (limit ${this.limits.maxMessageLength})`,
          );
        }
        state.length = length;
        state.type = data[h + 6]!;
      }
      if (fmt === 0) state.streamId = data.readUInt32LE(h + 7);
      state.extended = hasExtended;
      // After fmt 0 the delta a following fmt 3 reuses is fmt 0's own timestamp (§5.3.1.2.4).
      state.delta = tsValue;
      this.startMessage(state, fmt === 0 ? tsValue : (state.timestamp32 + tsValue) >>> 0);
    }

    const remaining = state.length - state.received;
    if (remaining === 0) {
      this.complete(state, out);
    } else {
      this.current = state;
      this.chunkRemaining = Math.min(this.chunkSizeValue, remaining);
    }
    return total;
  }

  private startMessage(state: ChunkStreamState, timestamp32: number): void {
    state.timestamp32 = timestamp32;
    state.inProgress = true;
    state.received = 0;
    state.buffer = EMPTY;
    if (state.length > 0) {
      if (this.partialCount >= this.limits.maxPartialMessages) {
        throw new RtmpProtocolError(
          'TOO_MANY_PARTIAL_MESSAGES',
          `more than ${this.limits.maxPartialMessages} partial messages`,
        );
      }
      this.partialCount++;
    }
  }

  private appendPayload(state: ChunkStreamState, bytes: Buffer): void {
    this.bufferedBytes += bytes.length;
    if (this.bufferedBytes > this.limits.maxBufferedBytes) {
      throw new RtmpProtocolError(
        'BUFFER_LIMIT',
        `more than ${this.limits.maxBufferedBytes} bytes of partial messages`,
      );
    }
    const needed = state.received + bytes.length;
    if (needed > state.buffer.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(state.length, Math.max(needed, state.buffer.length * 2, MIN_MESSAGE_BUFFER)),
      );
      state.buffer.copy(grown, 0, 0, state.received);
      state.buffer = grown;
    }
    bytes.copy(state.buffer, state.received);
    state.received += bytes.length;
  }

  private complete(state: ChunkStreamState, out: RtmpReadMessage[]): void {
    const payload = state.buffer.subarray(0, state.length);
    this.dropPartial(state);
    const message: RtmpReadMessage = {
      type: state.type,
      streamId: state.streamId,
      chunkStreamId: state.csid,
      timestamp: state.extender.extend(state.timestamp32),
      timestamp32: state.timestamp32,
      payload,
    };
    if (message.type === MSG_SET_CHUNK_SIZE) this.applyChunkSize(payload);
    else if (message.type === MSG_ABORT) this.applyAbort(payload);
    else out.push(message);
  }

  private dropPartial(state: ChunkStreamState): void {
    if (!state.inProgress) return;
    if (state.length > 0) this.partialCount--;
    this.bufferedBytes -= state.received;
    state.buffer = EMPTY;
    state.received = 0;
    state.inProgress = false;
  }

  private applyChunkSize(payload: Buffer): void {
    if (payload.length < 4) throw new RtmpProtocolError('CONTROL_MESSAGE', 'short Set Chunk Size');
    const size = payload.readUInt32BE(0);
    if (size === 0 || size & CHUNK_SIZE_TOP_BIT || size > this.limits.maxChunkSize) {
      throw new RtmpProtocolError('CHUNK_SIZE', `chunk size ${size} (limit ${this.limits.maxChunkSize})`);
    }
    this.chunkSizeValue = size;
  }

  private applyAbort(payload: Buffer): void {
    if (payload.length < 4) throw new RtmpProtocolError('CONTROL_MESSAGE', 'short Abort');
    const state = this.streams.get(payload.readUInt32BE(0));
    if (state !== undefined) this.dropPartial(state);
  }
}

function newState(csid: number): ChunkStreamState {
  return {
    csid,
    timestamp32: 0,
    delta: 0,
    length: 0,
    type: 0,
    streamId: 0,
    extended: false,
    buffer: EMPTY,
    received: 0,
    inProgress: false,
    extender: new TimestampExtender(),
  };
}
