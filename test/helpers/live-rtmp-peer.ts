// A raw TCP peer for hostile-input tests: writes chosen bytes, counts what comes back, and reports
// whether and why the server closed it. RTMP bytes are spelled out field by field.

import net from 'node:net';
import { ChunkWriter } from '../../src/ingest/rtmp/chunk-writer.js';
import { COMMAND_CHUNK_STREAM, commandMessage } from '../../src/ingest/rtmp/control-messages.js';

/** C0: the RTMP version byte (RTMP 1.0 §5.2.2). */
export const RTMP_C0 = 0x03;
/** C1, S1, C2 and S2 are 1536 bytes each (§5.2.3). */
export const HANDSHAKE_BYTES = 1536;
/** What the server sends for C0+C1: S0, S1 and S2. */
export const S0S1S2_BYTES = 1 + 2 * HANDSHAKE_BYTES;
/** Chunk stream of protocol control messages (§5.4). */
const CONTROL_CSID = 2;
/** Set Chunk Size message type id (§5.4.1). */
const SET_CHUNK_SIZE_TYPE = 1;
/** Command message (AMF0) type id (§7.1.1). */
const COMMAND_AMF0_TYPE = 20;

/** A connected raw peer. */
export interface RawPeer {
  readonly socket: net.Socket;
  /** The local port: the server logs it as the peer's remotePort. */
  readonly localPort: number;
  /** Bytes received so far. */
  received(): number;
  /** Resolves once `n` bytes have arrived, or false if the socket closes or `timeoutMs` passes first. */
  waitForBytes(n: number, timeoutMs: number): Promise<boolean>;
  /** Resolves true when the server has closed the connection, or false after `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<boolean>;
  destroy(): void;
}

/** Connects to `port` on 127.0.0.1. */
export function connectRaw(port: number): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let bytes = 0;
    let closed = false;
    const closeWaiters: (() => void)[] = [];
    const dataWaiters: (() => void)[] = [];
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      for (const w of dataWaiters.splice(0)) w();
    });
    // A reset from the server is one way of closing: nothing to report beyond the close.
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      for (const w of [...closeWaiters.splice(0), ...dataWaiters.splice(0)]) w();
    });
    socket.once('connect', () => {
      const peer: RawPeer = {
        socket,
        localPort: socket.localPort ?? 0,
        received: () => bytes,
        waitForBytes: (n, timeoutMs) =>
          new Promise((done) => {
            const timer = setTimeout(() => done(false), timeoutMs);
            const check = () => {
              if (bytes >= n || closed) {
                clearTimeout(timer);
                done(bytes >= n);
              } else dataWaiters.push(check);
            };
            check();
          }),
        closedWithin: (timeoutMs) =>
          new Promise((done) => {
            if (closed) return done(true);
            const timer = setTimeout(() => done(false), timeoutMs);
            closeWaiters.push(() => {
              clearTimeout(timer);
              done(true);
            });
          }),
        destroy: () => socket.destroy(),
      };
      resolve(peer);
    });
    socket.once('error', reject);
  });
}

/** C0 and C1 of a client handshake (C1 zero-filled, as ffmpeg's simple handshake allows). */
export function c0c1(): Buffer {
  return Buffer.concat([Buffer.of(RTMP_C0), Buffer.alloc(HANDSHAKE_BYTES)]);
}

/** C2: any 1536 bytes pass this server's simple handshake. */
export function c2(): Buffer {
  return Buffer.alloc(HANDSHAKE_BYTES);
}

/** A chunk type 0 header (§5.3.1): 1-byte basic header, then timestamp, length, type id, stream id. */
export function fmt0Header(csid: number, length: number, typeId: number, streamId = 0): Buffer {
  const h = Buffer.alloc(12);
  h[0] = csid; // fmt 0 in the top two bits, chunk stream id 2..63 in the low six
  h.writeUIntBE(0, 1, 3); // timestamp, 24 bits
  h.writeUIntBE(length, 4, 3); // message length, 24 bits
  h[7] = typeId; // message type id
  h.writeUInt32LE(streamId, 8); // message stream id, little-endian (§5.3.1.2.1)
  return h;
}

/** Set Chunk Size with the given 32-bit value (§5.4.1). */
export function setChunkSize(size: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(size >>> 0, 0);
  return Buffer.concat([fmt0Header(CONTROL_CSID, payload.length, SET_CHUNK_SIZE_TYPE), payload]);
}

/** A well-formed `connect` command to application `app`, as chunks. */
export function connectCommand(app: string): Uint8Array {
  const writer = new ChunkWriter();
  return writer.write(
    commandMessage(0, COMMAND_CHUNK_STREAM, [
      'connect',
      1,
      { app, type: 'nonprivate', flashVer: 'FMLE/3.0', tcUrl: `rtmp://127.0.0.1/${app}` },
    ]),
  );
}

/** A command-message header declaring `length` bytes, followed by only `sent` of them. */
export function truncatedMessage(length: number, sent: number): Buffer {
  return Buffer.concat([
    fmt0Header(COMMAND_CHUNK_STREAM, length, COMMAND_AMF0_TYPE),
    Buffer.alloc(sent, 0x02),
  ]);
}
