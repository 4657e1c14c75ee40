// Server side of the RTMP "simple" handshake (RTMP Specification 1.0 §5.2): C0+C1 in, S0+S1+S2 out
// (S2 echoes C1), then C2 in. ffmpeg and OBS accept it; bytes after C2 belong to the chunk stream.

import { RtmpProtocolError } from './protocol-error.js';

/** The only RTMP version defined for plain (unencrypted) RTMP (§5.2.2). */
export const RTMP_VERSION = 3;
/** C1, S1, C2 and S2 are each 1536 bytes (§5.2.3). */
export const HANDSHAKE_PACKET_SIZE = 1536;
/** S1: 4-byte time, 4 zero bytes, then random bytes (§5.2.3). Zero bytes 4..7 tell ffmpeg not to look for a digest. */
const S1_RANDOM_OFFSET = 8;

/** What one `push` produced: bytes to send, whether the handshake is over, and bytes left for the chunk reader. */
export interface HandshakeStep {
  readonly output: Uint8Array | undefined;
  readonly done: boolean;
  readonly rest: Uint8Array;
}

type Phase = 'c0c1' | 'c2' | 'done';

/** Incremental server handshake; feed it bytes in any split. */
export class RtmpServerHandshake {
  private phase: Phase = 'c0c1';
  private pending: Buffer = Buffer.alloc(0);
  private readonly randomBytes: (size: number) => Uint8Array;
  private readonly epochMs: number;

  /** `randomBytes` fills S1; `epochMs` is the S1 time field (ms since some epoch of ours, may be 0). */
  constructor(randomBytes: (size: number) => Uint8Array, epochMs = 0) {
    this.randomBytes = randomBytes;
    this.epochMs = epochMs;
  }

  /** True once C2 has been read. */
  get done(): boolean {
    return this.phase === 'done';
  }

  /** Feeds received bytes; throws RtmpProtocolError on a version other than 3. */
  push(bytes: Uint8Array): HandshakeStep {
    if (this.phase === 'done') return { output: undefined, done: true, rest: bytes };
    this.pending = this.pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.pending, bytes]);
    let output: Uint8Array | undefined;
    if (this.phase === 'c0c1') {
      const version = this.pending[0];
      if (version !== undefined && version !== RTMP_VERSION) {
        throw new RtmpProtocolError('HANDSHAKE_VERSION', `unsupported handshake version ${version}`);
      }
      if (this.pending.length < 1 + HANDSHAKE_PACKET_SIZE) return { output, done: false, rest: EMPTY };
      const c1 = this.pending.subarray(1, 1 + HANDSHAKE_PACKET_SIZE);
      output = Buffer.concat([Buffer.of(RTMP_VERSION), this.makeS1(), c1]);
      this.pending = this.pending.subarray(1 + HANDSHAKE_PACKET_SIZE);
      this.phase = 'c2';
    }
    if (this.pending.length < HANDSHAKE_PACKET_SIZE) return { output, done: false, rest: EMPTY };
    const rest = this.pending.subarray(HANDSHAKE_PACKET_SIZE);
    this.pending = Buffer.alloc(0);
    this.phase = 'done';
    return { output, done: true, rest };
  }

  private makeS1(): Buffer {
    const s1 = Buffer.alloc(HANDSHAKE_PACKET_SIZE);
    s1.writeUInt32BE(this.epochMs >>> 0, 0);
    const random = this.randomBytes(HANDSHAKE_PACKET_SIZE - S1_RANDOM_OFFSET);
    s1.set(random.subarray(0, HANDSHAKE_PACKET_SIZE - S1_RANDOM_OFFSET), S1_RANDOM_OFFSET);
    return s1;
  }
}

const EMPTY = new Uint8Array(0);
