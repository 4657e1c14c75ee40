// The 4-bit continuity_counter of one PID (ISO 13818-1 §2.4.3.3): it advances on every packet
// that carries payload and wraps from 15 to 0; live segments keep one counter running per PID.

/** continuity_counter is a 4-bit field. */
const CONTINUITY_MODULUS = 16;

/** Counts packets with payload on one PID. */
export class ContinuityCounter {
  private last: number;

  /** `first` is the value the first packet with payload will carry. */
  constructor(first = 0) {
    this.last = (first + CONTINUITY_MODULUS - 1) % CONTINUITY_MODULUS;
  }

  /** The value for the next packet that carries payload; advances the counter. */
  next(): number {
    this.last = (this.last + 1) % CONTINUITY_MODULUS;
    return this.last;
  }

  /** The value for a packet without payload (adaptation field only), which must not advance it. */
  current(): number {
    return this.last;
  }
}
