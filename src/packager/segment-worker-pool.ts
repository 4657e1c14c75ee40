// Runs segment jobs on worker threads so muxing and AES work use every core and leave the main
// thread free for HTTP. Falls back to the main thread when no worker is wanted.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, HlsError } from '../core/errors.js';
import { estimateOutputBytes, recycleOutput, runSegmentJob, type SegmentJob } from './segment-job.js';
import type { WorkerRequest, WorkerResponse } from './segment-worker.js';
import { SpareBuffers } from './spare-buffers.js';

/** Runs segment jobs. */
export interface SegmentPackager {
  run(job: SegmentJob): Promise<Uint8Array>;
  /**
   * Takes back a segment this packager made that nothing uses any more (no cache entry, no
   * response being sent), so its buffer holds the next segment instead of fresh memory. Anything
   * else is ignored. The caller must not touch `data` afterwards.
   */
  recycle(data: Uint8Array): void;
  /** Segments packaged, and how many of them into a recycled buffer. */
  readonly stats: { readonly packaged: number; readonly reused: number };
  close(): Promise<void>;
}

/** Counts of a packager's segments. */
class PackagerStats {
  packaged = 0;
  reused = 0;

  count(reused: boolean): void {
    this.packaged++;
    if (reused) this.reused++;
  }
}

/** Packages on the calling thread. */
export class InlinePackager implements SegmentPackager {
  readonly stats = new PackagerStats();
  /** Buffers of segments this packager made and gave out. */
  private readonly made = new WeakSet<ArrayBufferLike>();

  async run(job: SegmentJob): Promise<Uint8Array> {
    const { data, reused } = runSegmentJob(job);
    this.stats.count(reused);
    this.made.add(data.buffer);
    return data;
  }

  recycle(data: Uint8Array): void {
    if (!this.made.delete(data.buffer) || !(data.buffer instanceof ArrayBuffer)) return;
    recycleOutput(data.buffer);
  }

  async close(): Promise<void> {}
}

interface Pending {
  readonly resolve: (data: Uint8Array) => void;
  readonly reject: (err: Error) => void;
}

/** Running from TypeScript sources (tests, tsx) rather than the build. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The worker's file: compiled `.js` next to this one, or `.ts` when run from source. */
function workerUrl(): URL {
  return new URL(`./segment-worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);
}

/**
 * Starts the worker. From source, loader flags do not reach a worker's entry module on Node 20, so
 * a small script registers tsx first and then imports the TypeScript entry.
 */
function startWorker(): Worker {
  if (!FROM_SOURCE) return new Worker(workerUrl());
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(workerUrl().href)}); });`;
  return new Worker(boot, { eval: true });
}

/** Recycled buffers kept for jobs to come: as many as a burst of prefetches may need. */
const MAX_POOL_SPARES = 8;

/** Worker threads for a machine: one core is left to the main thread, but at least two workers. */
export function defaultWorkerCount(): number {
  return Math.max(2, availableParallelism() - 1);
}

/** A fixed pool of segment workers; a worker that dies is replaced and its jobs fail. */
export class SegmentWorkerPool implements SegmentPackager {
  readonly stats = new PackagerStats();
  private readonly workers: { worker: Worker; jobs: Map<number, Pending> }[] = [];
  /** Buffers of segments the workers made and handed over. */
  private readonly made = new WeakSet<ArrayBufferLike>();
  /** Packages when there are no workers (none wanted, or closed). */
  private readonly inline = new InlinePackager();
  /** Buffers handed back, each sent with a job it will likely fit. */
  private readonly spares = new SpareBuffers(MAX_POOL_SPARES);
  private nextId = 1;
  private nextWorker = 0;
  private closed = false;

  constructor(private readonly size: number = defaultWorkerCount()) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  private spawn(): { worker: Worker; jobs: Map<number, Pending> } {
    const worker = startWorker();
    const slot = { worker, jobs: new Map<number, Pending>() };
    worker.unref();
    worker.on('message', (msg: WorkerResponse) => {
      const pending = slot.jobs.get(msg.id);
      if (!pending) return;
      slot.jobs.delete(msg.id);
      if ('data' in msg) {
        this.stats.count(msg.reused);
        this.made.add(msg.data.buffer);
        pending.resolve(msg.data);
      } else
        pending.reject(
          new HlsError((msg.error.code as ErrorCode | undefined) ?? 'INTERNAL', msg.error.message),
        );
    });
    const fail = (reason: string) => {
      for (const p of slot.jobs.values()) p.reject(new HlsError('INTERNAL', `segment worker ${reason}`));
      slot.jobs.clear();
      const i = this.workers.indexOf(slot);
      if (i >= 0 && !this.closed) this.workers[i] = this.spawn();
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('exit', (code) => {
      if (!this.closed) fail(`exited with code ${code}`);
    });
    return slot;
  }

  /** Packages `job` on the least busy worker. */
  run(job: SegmentJob): Promise<Uint8Array> {
    if (this.closed || this.size === 0) return this.inline.run(job);
    const slot = this.leastBusy();
    const id = this.nextId++;
    const spare = this.spares.take(estimateOutputBytes(job));
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      const request: WorkerRequest = { id, job, spare };
      try {
        slot.worker.postMessage(request, spare ? [spare] : []);
      } catch (err) {
        slot.jobs.delete(id);
        reject(err);
      }
    });
  }

  /** Keeps the buffer for a later job of about its size. */
  recycle(data: Uint8Array): void {
    if (this.closed || this.size === 0) {
      this.inline.recycle(data);
      return;
    }
    const buffer = data.buffer;
    if (!this.made.delete(buffer) || !(buffer instanceof ArrayBuffer)) return;
    this.spares.give(buffer);
  }

  private leastBusy(): { worker: Worker; jobs: Map<number, Pending> } {
    let slot = this.workers[this.nextWorker++ % this.workers.length]!;
    for (const w of this.workers) if (w.jobs.size < slot.jobs.size) slot = w;
    return slot;
  }

  /** Stops the workers; jobs still running fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    for (const w of this.workers) {
      for (const p of w.jobs.values()) p.reject(new HlsError('INTERNAL', 'segment workers stopped'));
    }
  }
}
