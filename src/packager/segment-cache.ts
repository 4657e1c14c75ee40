// A least-recently-used cache of packaged segments bounded by bytes, so a hot segment is muxed
// and encrypted once. Concurrent misses for one key share one packaging run.

/** An LRU of byte buffers with a byte budget. */
export class SegmentCache {
  private readonly entries = new Map<string, Uint8Array>();
  private readonly pending = new Map<string, Promise<Uint8Array>>();
  private held = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes currently held. */
  get bytes(): number {
    return this.held;
  }

  /** The cached bytes of `key`, or the result of `make()` (stored when it fits the budget). */
  async getOrMake(key: string, make: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const running = this.pending.get(key);
    if (running) return running;
    const job = make().then((data) => {
      this.store(key, data);
      return data;
    });
    this.pending.set(key, job);
    try {
      return await job;
    } finally {
      this.pending.delete(key);
    }
  }

  private store(key: string, data: Uint8Array): void {
    if (data.byteLength > this.maxBytes) return;
    this.held += data.byteLength;
    this.entries.set(key, data);
    for (const [k, v] of this.entries) {
      if (this.held <= this.maxBytes) break;
      this.entries.delete(k);
      this.held -= v.byteLength;
    }
  }
}
