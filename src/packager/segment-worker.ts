// Worker-thread entry: packages segment jobs posted by the SegmentWorkerPool.

import { parentPort } from 'node:worker_threads';
import { errorMessage, isHlsError } from '../core/errors.js';
import { runSegmentJob, type SegmentJob } from './segment-job.js';

/** A job as posted to the worker. */
export interface WorkerRequest {
  readonly id: number;
  readonly job: SegmentJob;
}

/** A worker's answer: the segment bytes, or the error's code and message. */
export type WorkerResponse =
  | { readonly id: number; readonly data: Uint8Array }
  | { readonly id: number; readonly error: { readonly code?: string; readonly message: string } };

parentPort?.on('message', (msg: WorkerRequest) => {
  let response: WorkerResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const data = runSegmentJob(msg.job);
    // Hand the bytes over without a copy when the buffer holds nothing else.
    if (
      data.byteOffset === 0 &&
      data.byteLength === data.buffer.byteLength &&
      data.buffer instanceof ArrayBuffer
    ) {
      transfer = [data.buffer];
    }
    response = { id: msg.id, data };
  } catch (err) {
    response = {
      id: msg.id,
      error: { code: isHlsError(err) ? err.code : undefined, message: errorMessage(err) },
    };
  }
  try {
    parentPort?.postMessage(response, transfer);
  } catch {
    // A pooled buffer cannot be transferred; send a copy.
    parentPort?.postMessage(response);
  }
});
