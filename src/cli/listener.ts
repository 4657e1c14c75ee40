// One TCP port for HTTP and RTMP (SPEC §4, §7): the first byte of a connection tells them apart.
// An RTMP handshake starts with the version byte 0x03, which no HTTP request line does.

import type { Server as HttpServer } from 'node:http';
import net from 'node:net';

/** The RTMP C0 version byte. */
export const RTMP_VERSION_BYTE = 0x03;
/** A connection that sends nothing at all for this long is closed. */
const FIRST_BYTE_TIMEOUT_MS = 10_000;

/** Hands an accepted RTMP socket, with the bytes already read, to the ingest side. */
export type RtmpAcceptor = (socket: net.Socket, head: Buffer) => void;

/** While a listener closes, idle HTTP connections are closed this often (responses in flight finish first). */
const CLOSE_IDLE_INTERVAL_MS = 100;

/**
 * A listener that hands its sockets to HTTP or RTMP. net.Server.close() waits for every socket it
 * accepted, so close() here also ends them, or a stop would wait for keep-alive timeouts and publishers:
 * sockets not yet routed and RTMP sockets at once, idle HTTP connections at once and as responses finish.
 */
class HandOffServer extends net.Server {
  /** Sockets close() destroys: not yet routed, or handed to RTMP. */
  private readonly droppable = new Set<net.Socket>();

  constructor(private readonly http: HttpServer | undefined) {
    super();
  }

  /** Marks a socket to be destroyed when the listener closes. */
  hold(socket: net.Socket): void {
    this.droppable.add(socket);
    socket.once('close', () => this.droppable.delete(socket));
  }

  /** The socket went to HTTP, which closes its own connections gracefully. */
  release(socket: net.Socket): void {
    this.droppable.delete(socket);
  }

  override close(callback?: (err?: Error) => void): this {
    super.close(callback);
    for (const socket of this.droppable) socket.destroy();
    const http = this.http;
    if (http) {
      http.closeIdleConnections();
      const timer = setInterval(() => http.closeIdleConnections(), CLOSE_IDLE_INTERVAL_MS);
      timer.unref();
      this.once('close', () => clearInterval(timer));
    }
    return this;
  }
}

/** Creates a server that peeks at each connection's first byte and routes it to HTTP or RTMP. */
export function createSharedListener(http: HttpServer, rtmp: RtmpAcceptor | undefined): net.Server {
  // node:http tracks connections (headersTimeout, requestTimeout, closeIdleConnections) only once it
  // has emitted 'listening'; handed sockets would otherwise escape those limits and a graceful close.
  if (!http.listening) http.emit('listening');
  const server = new HandOffServer(http);
  server.on('connection', (socket: net.Socket) => {
    server.hold(socket);
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.once('data', (head: Buffer) => {
      socket.pause();
      socket.setTimeout(0);
      if (head[0] === RTMP_VERSION_BYTE) {
        if (!rtmp) {
          socket.destroy();
          return;
        }
        rtmp(socket, head);
        socket.resume();
        return;
      }
      server.release(socket);
      socket.unshift(head);
      http.emit('connection', socket);
      socket.resume();
    });
  });
  return server;
}

/** Creates a server that treats every connection as RTMP (the optional separate `rtmpPort`). */
export function createRtmpListener(rtmp: RtmpAcceptor): net.Server {
  const server = new HandOffServer(undefined);
  server.on('connection', (socket: net.Socket) => {
    server.hold(socket);
    socket.on('error', () => socket.destroy());
    rtmp(socket, Buffer.alloc(0));
  });
  return server;
}

/** Listens and resolves with the bound port. */
export function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}
