// Worker-thread entry: packages segment jobs posted by the SegmentWorkerPool, each into the
// recycled buffer that comes with it when it fits.

import { parentPort } from 'node:worker_threads';
import { errorMessage, isHlsError } from '../core/errors.js';
import { recycleOutput, runSegmentJob, type SegmentJob } from './segment-job.js';

/** A job to run, with a recycled buffer it will likely fit in. */
export interface WorkerRequest {
  readonly id: number;
  readonly job: SegmentJob;
  readonly spare?: ArrayBuffer;
}

/** A worker's answer: the segment bytes, or the error's code and message. */
export type WorkerResponse =
  | { readonly id: number; readonly data: Uint8Array; readonly reused: boolean }
  | { readonly id: number; readonly error: { readonly code?: string; readonly message: string } };

parentPort?.on('message', (msg: WorkerRequest) => {
  if (msg.spare) recycleOutput(msg.spare);
  let response: WorkerResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const { data, reused } = runSegmentJob(msg.job);
    // The segment's buffer is its own: hand it over without a copy.
    if (data.buffer instanceof ArrayBuffer) transfer = [data.buffer];
    response = { id: msg.id, data, reused };
  } catch (err) {
    response = {
      id: msg.id,
      error: { code: isHlsError(err) ? err.code : undefined, message: errorMessage(err) },
    };
  }
  parentPort?.postMessage(response, transfer);
});
