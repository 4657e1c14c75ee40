// Extends 32-bit RTMP timestamps (ms, wrapping after ~49.7 days) into a monotonic number of milliseconds.

const TWO_POW_32 = 2 ** 32;
const TWO_POW_31 = 2 ** 31;

/** Turns successive 32-bit timestamps into a continuous timeline: each step is read as a signed 32-bit delta. */
export class TimestampExtender {
  private last: number | undefined;

  /** The extended value of `timestamp32` (0..2^32-1), relative to the previous one. */
  extend(timestamp32: number): number {
    if (this.last === undefined) {
      this.last = timestamp32;
      return timestamp32;
    }
    let delta = (timestamp32 - this.last) % TWO_POW_32;
    if (delta < 0) delta += TWO_POW_32;
    if (delta >= TWO_POW_31) delta -= TWO_POW_32;
    this.last += delta;
    return this.last;
  }
}
