// Packaged segments kept in memory, bounded by bytes, so a hot segment is muxed and encrypted once.
// Admission follows 2Q (Johnson & Shasha, VLDB 1994): a segment requested once waits in a small
// first-in-first-out probation area; a second request moves it to the main LRU. A one-pass scan
// (a CDN filling its cache, a crawler, a player seeking through a film) then only cycles the
// probation area and never evicts the segments players want.
// Callers hold a lease on the bytes they get until they are done with them (a response fully
// sent); a segment that left the cache and is leased by no one is handed to `onReleased`, which
// may reuse its buffer. Concurrent misses for one key share one packaging run.

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

/** Segment bytes on loan from the cache. */
export interface SegmentLease {
  readonly data: Uint8Array;
  /** Ends the loan; `data` must not be used afterwards. Calling it again does nothing. */
  release(): void;
}

/** Options of a SegmentCache. */
export interface SegmentCacheOptions {
  /** Gets each segment that left the cache once no lease holds it. */
  readonly onReleased?: (data: Uint8Array) => void;
  /** The memory a segment holds (default: its length), counted against the budget. */
  readonly sizeOf?: (data: Uint8Array) => number;
}

interface Entry {
  readonly data: Uint8Array;
  /** Bytes counted against the budget. */
  readonly size: number;
  /** Client requests seen so far (a prefetch counts none). */
  requests: number;
  /** Loans not yet ended. */
  leases: number;
  /** Held in probation or the main LRU. */
  cached: boolean;
}

interface Pending {
  readonly job: Promise<Entry>;
  requests: number;
  /** Callers waiting for the job, each owed a lease. */
  waiters: number;
}

/** A byte-bounded 2Q cache of byte buffers. */
export class SegmentCache {
  /** Admitted segments, least recently used first. */
  private readonly main = new Map<string, Entry>();
  /** Segments requested at most once so far, oldest first. */
  private readonly probation = new Map<string, Entry>();
  /** Keys of segments requested once and evicted from probation, with their sizes, oldest first. */
  private readonly ghosts = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private mainBytes = 0;
  private probationBytes = 0;
  private ghostBytes = 0;
  private readonly probationMax: number;
  private readonly mainMax: number;
  private readonly ghostMax: number;

  private readonly onReleased: (data: Uint8Array) => void;
  private readonly sizeOf: (data: Uint8Array) => number;

  constructor(maxBytes: number, options: SegmentCacheOptions = {}) {
    this.onReleased = options.onReleased ?? (() => {});
    this.sizeOf = options.sizeOf ?? ((data) => data.byteLength);
    this.probationMax = Math.floor(maxBytes * PROBATION_SHARE);
    this.mainMax = maxBytes - this.probationMax;
    this.ghostMax = Math.floor(maxBytes * GHOST_SHARE);
  }

  /** Bytes currently held. */
  get bytes(): number {
    return this.mainBytes + this.probationBytes;
  }

  /** A lease on the cached bytes of `key`, or on the result of `make()` (kept when the budget allows). */
  async getOrMake(
    key: string,
    make: () => Promise<Uint8Array>,
    request: CacheRequest = {},
  ): Promise<SegmentLease> {
    const counted = request.prefetch ? 0 : 1;
    const hit = this.main.get(key);
    if (hit) {
      if (counted > 0) {
        this.main.delete(key);
        this.main.set(key, hit);
      }
      return this.lease(hit);
    }
    const waiting = this.probation.get(key);
    if (waiting) {
      waiting.requests += counted;
      const lease = this.lease(waiting);
      if (waiting.requests >= ADMIT_REQUESTS) {
        this.dropProbation(key, waiting);
        this.admit(key, waiting);
      }
      return lease;
    }
    let pending = this.pending.get(key);
    if (pending) {
      pending.requests += counted;
      pending.waiters++;
    } else {
      pending = this.start(key, make, counted);
    }
    return this.loan(await pending.job);
  }

  /** Runs `make` for `key`; the result is stored, and leased to every waiter, as soon as it is ready. */
  private start(key: string, make: () => Promise<Uint8Array>, requests: number): Pending {
    const pending: Pending = {
      job: make().then(
        (data) => {
          this.pending.delete(key);
          const entry: Entry = {
            data,
            size: this.sizeOf(data),
            // A segment evicted after one request and packaged again: that was its first request.
            requests: pending.requests + (this.forgetGhost(key) ? 1 : 0),
            // Leased before anything can evict it: each waiter takes its loan over when it resumes.
            leases: pending.waiters,
            cached: false,
          };
          this.store(key, entry);
          return entry;
        },
        (err: unknown) => {
          this.pending.delete(key);
          throw err;
        },
      ),
      requests,
      waiters: 1,
    };
    this.pending.set(key, pending);
    return pending;
  }

  /** A new loan of `entry`. */
  private lease(entry: Entry): SegmentLease {
    entry.leases++;
    return this.loan(entry);
  }

  /** The handle of a loan already counted in `entry.leases`. */
  private loan(entry: Entry): SegmentLease {
    let open = true;
    return {
      data: entry.data,
      release: () => {
        if (!open) return;
        open = false;
        entry.leases--;
        this.releaseIfUnused(entry);
      },
    };
  }

  private releaseIfUnused(entry: Entry): void {
    if (entry.leases === 0 && !entry.cached) this.onReleased(entry.data);
  }

  private store(key: string, entry: Entry): void {
    if (entry.requests >= ADMIT_REQUESTS) {
      this.admit(key, entry);
      return;
    }
    const size = entry.size;
    if (size > this.probationMax) {
      // Too large to wait in probation: remember the request, so the next one admits it.
      if (entry.requests > 0) this.addGhost(key, size);
      return;
    }
    entry.cached = true;
    this.probation.set(key, entry);
    this.probationBytes += size;
    for (const [k, old] of this.probation) {
      if (this.probationBytes <= this.probationMax) break;
      this.dropProbation(k, old);
      if (old.requests > 0) this.addGhost(k, old.size);
      this.releaseIfUnused(old);
    }
  }

  private admit(key: string, entry: Entry): void {
    if (entry.size > this.mainMax) {
      this.releaseIfUnused(entry);
      return;
    }
    entry.cached = true;
    this.main.set(key, entry);
    this.mainBytes += entry.size;
    for (const [k, old] of this.main) {
      if (this.mainBytes <= this.mainMax) break;
      this.main.delete(k);
      this.mainBytes -= old.size;
      old.cached = false;
      this.releaseIfUnused(old);
    }
  }

  /** Takes `entry` out of probation (to admit or evict it). */
  private dropProbation(key: string, entry: Entry): void {
    this.probation.delete(key);
    this.probationBytes -= entry.size;
    entry.cached = false;
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
