// `hls-origin serve`: loads the config, wires services into the HTTP app and the listeners,
// and stops gracefully on SIGINT/SIGTERM.

import type net from 'node:net';
import { loadConfig } from '../config/index.js';
import { createRtmpListener, createSharedListener, listen } from './listener.js';
import { createLogger } from './logger.js';
import { createTlsListener } from './tls-listener.js';
import { createApp } from './wiring.js';

/** How long a graceful stop may take before the process exits anyway. */
const STOP_TIMEOUT_MS = 10_000;

/** A running server. */
export interface RunningServer {
  /** The bound HTTP (and shared RTMP) port. */
  readonly port: number;
  readonly rtmpPort?: number;
  /** The bound HTTPS port, when `server.tls` is set. */
  readonly tlsPort?: number;
  close(): Promise<void>;
}

/** Starts the server described by `configFile`. */
export async function startServer(configFile: string): Promise<RunningServer> {
  const loaded = await loadConfig(configFile);
  const { config } = loaded;
  const logger = createLogger(config.server.logLevel);
  for (const w of loaded.warnings) logger.warn(w);

  const wired = await createApp({ config, logger });
  const listeners: net.Server[] = [];
  const shared = createSharedListener(
    wired.http.server,
    config.server.rtmpPort === null ? wired.rtmp : undefined,
  );
  listeners.push(shared);
  let port: number;
  let rtmpPort: number | undefined;
  let tlsPort: number | undefined;
  try {
    port = await listen(shared, config.server.port, config.server.host);
    if (config.server.rtmpPort !== null) {
      const rtmp = createRtmpListener(wired.rtmp);
      listeners.push(rtmp);
      rtmpPort = await listen(rtmp, config.server.rtmpPort, config.server.host);
    }
    if (config.server.tls !== null) {
      const secure = await createTlsListener(config.server.tls, wired.http);
      listeners.push(secure);
      tlsPort = await listen(secure, config.server.tls.port, config.server.host);
    }
  } catch (err) {
    // Nothing may keep the process alive after a failed start (worker threads, timers, sockets).
    await Promise.all(
      listeners.map((l) => new Promise<void>((r) => (l.listening ? l.close(() => r()) : r()))),
    );
    await wired.close();
    throw err;
  }
  logger.info(
    {
      host: config.server.host,
      port,
      rtmpPort,
      tlsPort,
      config: loaded.configFile,
      apps: Object.keys(config.applications),
    },
    'hls-origin listening',
  );

  return {
    port,
    rtmpPort,
    tlsPort,
    async close() {
      await Promise.all(listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
      await wired.close();
      logger.info('hls-origin stopped');
      logger.flush?.();
    },
  };
}

/** Runs `serve` until a signal asks it to stop. */
export async function serveCommand(configFile: string): Promise<number> {
  const server = await startServer(configFile);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const timer = setTimeout(() => process.exit(1), STOP_TIMEOUT_MS);
      timer.unref();
      server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
