// Output buffers handed back once their segments left the cache, kept for the next segments. On
// a VM, first touches of fresh memory cost more than muxing and encrypting the bytes, and a
// dropped buffer is only freed when garbage collection gets to it, by then often too late or in
// the wrong place for the allocator to hand it out again.

/** Granularity of new buffers, so buffers of nearby sizes can stand in for each other. */
const ROUND_BYTES = 64 * 1024;
/** New buffers get this much more room than asked, so a slightly larger segment can reuse them. */
const HEADROOM = 1.125;
/** A spare serves a request only if it wastes at most this share of itself. */
const MAX_WASTE = 1 / 3;

/** A new buffer for `size` bytes, with some headroom; not zero-filled (every byte is written before it is read). */
export function freshBuffer(size: number): ArrayBuffer {
  const capacity = Math.max(size, Math.ceil((size * HEADROOM) / ROUND_BYTES) * ROUND_BYTES);
  return Buffer.allocUnsafeSlow(capacity).buffer;
}

/** A bounded set of spare ArrayBuffers, handed out best fit first. */
export class SpareBuffers {
  private readonly spares: ArrayBuffer[] = [];

  constructor(private readonly max: number) {}

  /** Spares held. */
  get count(): number {
    return this.spares.length;
  }

  /** Keeps `buffer` for a later `take`; when full, the oldest spare is dropped. */
  give(buffer: ArrayBuffer): void {
    if (this.max <= 0 || buffer.byteLength === 0) return;
    this.spares.push(buffer);
    if (this.spares.length > this.max) this.spares.shift();
  }

  /** The smallest spare of at least `size` bytes that wastes at most a third of itself, taken out. */
  take(size: number): ArrayBuffer | undefined {
    let best = -1;
    for (let i = 0; i < this.spares.length; i++) {
      const length = this.spares[i]!.byteLength;
      if (length < size || size < length * (1 - MAX_WASTE)) continue;
      if (best < 0 || length < this.spares[best]!.byteLength) best = i;
    }
    return best < 0 ? undefined : this.spares.splice(best, 1)[0];
  }
}
