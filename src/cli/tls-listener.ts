// HTTPS beside HTTP (`server.tls`): the same Fastify routes behind a TLS listener of its own.

import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config/schema.js';
import { errorMessage, HlsError } from '../core/errors.js';

/** While the listener closes, idle keep-alive connections are closed this often. */
const CLOSE_IDLE_INTERVAL_MS = 100;

async function readPem(field: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new HlsError('CONFIG_INVALID', `server.tls.${field}: cannot read ${file}: ${errorMessage(err)}`);
  }
}

/** Creates the HTTPS server for `tls`; certificate problems are config errors that name the field. */
export async function createTlsListener(
  tls: NonNullable<ServerConfig['tls']>,
  app: FastifyInstance,
): Promise<https.Server> {
  const [cert, key] = await Promise.all([readPem('cert', tls.cert), readPem('key', tls.key)]);
  let server: https.Server;
  try {
    server = https.createServer({ cert, key }, (req, res) => app.routing(req, res));
  } catch (err) {
    throw new HlsError('CONFIG_INVALID', `server.tls: ${errorMessage(err)}`);
  }
  // A stop should not wait for players' keep-alive connections to time out.
  const close = server.close.bind(server);
  server.close = (callback) => {
    close(callback);
    server.closeIdleConnections();
    const timer = setInterval(() => server.closeIdleConnections(), CLOSE_IDLE_INTERVAL_MS);
    timer.unref();
    server.once('close', () => clearInterval(timer));
    return server;
  };
  return server;
}
