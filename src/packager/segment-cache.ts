// Packaged segments kept in memory, bounded by bytes, so a hot segment is muxed and encrypted once.
// Admission follows 2Q (Johnson & Shasha, VLDB 1994): a segment requested once waits in a small
// first-in-first-out probation area; a second request moves it to the main LRU. A one-pass scan
// (a CDN filling its cache, a crawler, a player seeking through a film) then only cycles the
// probation area, whose memory the packager reuses, and never evicts the segments players want.
// Concurrent misses for one key share one packaging run.

/** Share of the budget given to the probation area; 2Q's recommended Kin. */
const PROBATION_SHARE = 0.25;
/** Bytes of evicted one-request segments remembered (keys only), as a share of the budget; 2Q's Kout. */
const GHOST_SHARE = 0.5;
/** Requests that admit a segment to the main LRU. */
const ADMIT_REQUESTS = 2;

/** Who asks for a segment. */
export interface CacheRequest {
  /**
   * Packaged ahead of a player's request, not asked for by a client: it is kept for the request
   * expected to follow, but does not count as one.
   */
  readonly prefetch?: boolean;
}

interface ProbationEntry {
  readonly data: Uint8Array;
  /** Client requests seen so far (a prefetch counts none). */
  requests: number;
}

interface Pending {
  readonly job: Promise<Uint8Array>;
  requests: number;
}

/** A byte-bounded 2Q cache of byte buffers. */
export class SegmentCache {
  /** Admitted segments, least recently used first. */
  private readonly main = new Map<string, Uint8Array>();
  /** Segments requested at most once so far, oldest first. */
  private readonly probation = new Map<string, ProbationEntry>();
  /** Keys of segments requested once and evicted from probation, with their sizes, oldest first. */
  private readonly ghosts = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private mainBytes = 0;
  private probationBytes = 0;
  private ghostBytes = 0;
  private readonly probationMax: number;
  private readonly ghostMax: number;

  constructor(private readonly maxBytes: number) {
    this.probationMax = Math.floor(maxBytes * PROBATION_SHARE);
    this.ghostMax = Math.floor(maxBytes * GHOST_SHARE);
  }

  /** Bytes currently held. */
  get bytes(): number {
    return this.mainBytes + this.probationBytes;
  }

  /** The cached bytes of `key`, or the result of `make()` (kept when the budget allows). */
  async getOrMake(
    key: string,
    make: () => Promise<Uint8Array>,
    request: CacheRequest = {},
  ): Promise<Uint8Array> {
    const counted = request.prefetch ? 0 : 1;
    const hit = this.main.get(key);
    if (hit) {
      this.main.delete(key);
      this.main.set(key, hit);
      return hit;
    }
    const waiting = this.probation.get(key);
    if (waiting) {
      waiting.requests += counted;
      if (waiting.requests >= ADMIT_REQUESTS) {
        this.dropProbation(key, waiting);
        this.admit(key, waiting.data);
      }
      return waiting.data;
    }
    const running = this.pending.get(key);
    if (running) {
      running.requests += counted;
      return running.job;
    }
    const pending: Pending = { job: make(), requests: counted };
    this.pending.set(key, pending);
    try {
      const data = await pending.job;
      // A segment evicted after one request and packaged again: that was its first request.
      this.store(key, data, pending.requests + (this.forgetGhost(key) ? 1 : 0));
      return data;
    } finally {
      this.pending.delete(key);
    }
  }

  private store(key: string, data: Uint8Array, requests: number): void {
    if (requests >= ADMIT_REQUESTS) {
      this.admit(key, data);
      return;
    }
    if (data.byteLength > this.probationMax) {
      // Too large to wait in probation: remember the request, so the next one admits it.
      if (requests > 0) this.addGhost(key, data.byteLength);
      return;
    }
    this.probation.set(key, { data, requests });
    this.probationBytes += data.byteLength;
    for (const [k, entry] of this.probation) {
      if (this.probationBytes <= this.probationMax) break;
      this.dropProbation(k, entry);
      if (entry.requests > 0) this.addGhost(k, entry.data.byteLength);
    }
  }

  private admit(key: string, data: Uint8Array): void {
    if (data.byteLength > this.maxBytes - this.probationMax) return;
    this.main.set(key, data);
    this.mainBytes += data.byteLength;
    for (const [k, v] of this.main) {
      if (this.mainBytes <= this.maxBytes - this.probationMax) break;
      this.main.delete(k);
      this.mainBytes -= v.byteLength;
    }
  }

  private dropProbation(key: string, entry: ProbationEntry): void {
    this.probation.delete(key);
    this.probationBytes -= entry.data.byteLength;
  }

  private addGhost(key: string, bytes: number): void {
    this.ghosts.set(key, bytes);
    this.ghostBytes += bytes;
    for (const [k, b] of this.ghosts) {
      // The newest ghost stays even when one segment outweighs the share (a small cache).
      if (this.ghostBytes <= this.ghostMax || k === key) break;
      this.ghosts.delete(k);
      this.ghostBytes -= b;
    }
  }

  /** Forgets the ghost of `key`; whether there was one. */
  private forgetGhost(key: string): boolean {
    const bytes = this.ghosts.get(key);
    if (bytes === undefined) return false;
    this.ghosts.delete(key);
    this.ghostBytes -= bytes;
    return true;
  }
}
