// Drives an RtmpSession on an accepted TCP socket: the only ingest code that touches sockets and timers.
// Errors and timeouts destroy that one socket and nothing else.

import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { errorMessage } from '../core/errors.js';
import type { ChunkReaderLimits } from './rtmp/chunk-reader.js';
import { type RtmpIngestHandler, RtmpSession } from './rtmp/session.js';

/** The logging the connection needs (pino's Logger satisfies it). */
export interface RtmpLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Options of one RTMP connection. */
export interface RtmpConnectionOptions {
  readonly handler: RtmpIngestHandler;
  readonly logger: RtmpLogger;
  /** Handshake and connect must be done within this (default 10000 ms). */
  readonly handshakeTimeoutMs?: number;
  /** A connection that sends nothing for this long is dropped (default 30000 ms). */
  readonly idleTimeoutMs?: number;
  /** Bytes already read from the socket (e.g. to tell RTMP from HTTP by the first byte); fed first. */
  readonly head?: Uint8Array;
  readonly limits?: Partial<ChunkReaderLimits>;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Bytes read from the socket but not yet processed. Reading runs ahead of processing so the kernel
 * buffers drain: an encoder that pushes faster than real time and then closes (ffmpeg without -re)
 * resets the connection, and anything still in its send buffer would be lost.
 */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/** Reading resumes when the queue falls below this. */
const RESUME_QUEUED_BYTES = 4 * 1024 * 1024;
/** Processing yields to the event loop after this long, so one publisher cannot starve the others. */
const PROCESS_SLICE_MS = 8;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Bytes Node reads from a socket at most at once (libuv's suggested read size). */
const FULL_READ_BYTES = 64 * 1024;
/** A sender still ahead of us after this long without bytes is waiting: acknowledge then. */
const ACK_QUIET_MS = 100;
/** After we end a connection, how long the peer gets to read our last words and close. */
const END_GRACE_MS = 2_000;

/** Runs the RTMP server protocol on an accepted socket until either side closes it. */
export function attachRtmpConnection(socket: Socket, opts: RtmpConnectionOptions): void {
  const peer = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
  const { logger } = opts;
  let closeReason = 'peer closed';

  const drop = (reason: string): void => {
    closeReason = reason;
    socket.destroy();
  };

  const session = new RtmpSession(opts.handler, {
    randomBytes: (size) => randomBytes(size),
    limits: opts.limits,
    send: (bytes) => {
      if (socket.writable) socket.write(bytes);
    },
    end: (reason) => {
      closeReason = reason;
      logger.warn({ ...peer, reason }, 'rtmp connection ended');
      socket.end();
      setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
    },
  });

  const handshakeTimer = setTimeout(() => {
    if (session.state === 'handshake' || session.state === 'connecting') drop('handshake timeout');
  }, opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
  handshakeTimer.unref();

  socket.setNoDelay(true);
  socket.setTimeout(opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
  socket.on('timeout', () => drop('idle timeout'));
  // Received bytes queue up and are processed in slices; the session still sees them in order.
  const queue: Uint8Array[] = [];
  let queued = 0;
  let scheduled = false;
  let closed = false;
  /** Whether the last read emptied the socket (did not fill the read buffer): the sender is not ahead. */
  let caughtUp = true;
  /** Acknowledges once the socket stays quiet after a full read. */
  let ackTimer: NodeJS.Timeout | undefined;
  const finish = () => {
    clearTimeout(handshakeTimer);
    clearTimeout(ackTimer);
    session.close(closeReason);
    logger.info({ ...peer, reason: closeReason }, 'rtmp connection closed');
  };
  const processQueue = () => {
    scheduled = false;
    const until = performance.now() + PROCESS_SLICE_MS;
    while (queue.length > 0 && session.state !== 'closed') {
      const chunk = queue.shift()!;
      queued -= chunk.byteLength;
      session.push(chunk, true);
      if (performance.now() > until) break;
    }
    if (session.state === 'closed') {
      queue.length = 0;
      queued = 0;
    }
    // Bytes counted before the session was connected are acknowledged now that it is.
    if (caughtUp) session.received(0, true);
    if (queue.length > 0) schedule();
    else if (closed) finish();
    if (!closed && socket.isPaused() && queued < RESUME_QUEUED_BYTES) {
      socket.resume();
      if (!caughtUp) armAckTimer();
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(processQueue);
  };
  const armAckTimer = () => {
    if (ackTimer === undefined) ackTimer = setTimeout(ackIfQuiet, ACK_QUIET_MS).unref();
    else ackTimer.refresh();
  };
  // The socket went quiet right after a full read: caught up after all. Quiet because reading is
  // paused (the queue is full) says nothing of the sender; reading resumes and tells.
  const ackIfQuiet = () => {
    ackTimer = undefined;
    if (socket.isPaused()) return;
    caughtUp = true;
    session.received(0, true);
  };
  const enqueue = (chunk: Uint8Array) => {
    // A read that filled the read buffer left more bytes waiting: the sender is ahead of us.
    caughtUp = chunk.byteLength < FULL_READ_BYTES;
    session.received(chunk.byteLength, caughtUp);
    if (caughtUp) {
      clearTimeout(ackTimer);
      ackTimer = undefined;
    } else {
      armAckTimer();
    }
    queue.push(chunk);
    queued += chunk.byteLength;
    if (queued > MAX_QUEUED_BYTES) socket.pause();
    schedule();
  };

  socket.on('data', enqueue);
  socket.on('error', (err) => {
    closeReason = `socket error: ${errorMessage(err)}`;
  });
  socket.on('close', () => {
    closed = true;
    // What arrived before the peer went away is still processed, then the session ends.
    if (queue.length === 0 && !scheduled) finish();
  });

  logger.info(peer, 'rtmp connection');
  if (opts.head !== undefined && opts.head.length > 0) enqueue(opts.head);
}
