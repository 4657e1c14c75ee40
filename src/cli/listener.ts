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

/** Creates a server that peeks at each connection's first byte and routes it to HTTP or RTMP. */
export function createSharedListener(http: HttpServer, rtmp: RtmpAcceptor | undefined): net.Server {
  return net.createServer((socket) => {
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
      socket.unshift(head);
      http.emit('connection', socket);
      socket.resume();
    });
  });
}

/** Creates a server that treats every connection as RTMP (the optional separate `rtmpPort`). */
export function createRtmpListener(rtmp: RtmpAcceptor): net.Server {
  return net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    rtmp(socket, Buffer.alloc(0));
  });
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
