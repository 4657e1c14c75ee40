// A big-endian bit reader with Exp-Golomb codes (ISO 14496-10 §9.1) for parsing codec headers.
// Every read is bounds-checked: running off the end throws MEDIA_INVALID instead of returning garbage.

import { HlsError } from '../core/errors.js';

/** Reads bits MSB-first from a byte array, as codec bitstreams are written. */
export class BitReader {
  private readonly data: Uint8Array;
  private bitPos = 0;

  constructor(data: Uint8Array) {
    this.data = data;
  }

  /** Bits not yet read. */
  get bitsLeft(): number {
    return this.data.length * 8 - this.bitPos;
  }

  /** Reads one bit. */
  readBit(): number {
    if (this.bitPos >= this.data.length * 8) throw new HlsError('MEDIA_INVALID', 'codec header is truncated');
    const byte = this.data[this.bitPos >> 3]!;
    const bit = (byte >> (7 - (this.bitPos & 7))) & 1;
    this.bitPos++;
    return bit;
  }

  /** Reads an unsigned value of `count` bits (up to 32), MSB first. */
  readBits(count: number): number {
    if (count > this.bitsLeft) throw new HlsError('MEDIA_INVALID', 'codec header is truncated');
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.readBit();
    return value;
  }

  /** Skips `count` bits. */
  skipBits(count: number): void {
    if (count > this.bitsLeft) throw new HlsError('MEDIA_INVALID', 'codec header is truncated');
    this.bitPos += count;
  }

  /** Reads an unsigned Exp-Golomb code, ue(v). */
  readUe(): number {
    let leadingZeros = 0;
    while (this.readBit() === 0) {
      leadingZeros++;
      // ue(v) values in H.264 headers fit in 32 bits; more zeros means corrupt data.
      if (leadingZeros > 31) throw new HlsError('MEDIA_INVALID', 'invalid Exp-Golomb code');
    }
    return 2 ** leadingZeros - 1 + this.readBits(leadingZeros);
  }

  /** Reads a signed Exp-Golomb code, se(v). */
  readSe(): number {
    const k = this.readUe();
    if (k === 0) return 0;
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}
