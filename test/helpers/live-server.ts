// The real application serving HTTP and RTMP on one ephemeral port of 127.0.0.1, for live tests:
// a throw-away server home, captured logs, and URLs of the live application's streams.

import type net from 'node:net';
import { createSharedListener, listen } from '../../src/cli/listener.js';
import { createApp, type WiredApp } from '../../src/cli/wiring.js';
import type { Config } from '../../src/config/schema.js';
import { captureLogs, type LogCapture } from './log-capture.js';
import { createServerHome, readHomeConfig, type ServerHome } from './server-fixture.js';

/** Where tests bind: loopback only. */
export const LOOPBACK = '127.0.0.1';
/** The application name live tests publish to. */
export const LIVE_APP = 'live';
/** The instance a URL without one names (SPEC §4). */
export const DEFINST = '_definst_';

/** Live settings that keep tests short: 1 s segments, a 2 s grace period, keys generated on demand. */
export const FAST_LIVE: Record<string, unknown> = {
  type: 'live',
  hls: { chunkDurationTarget: 1000 },
  gracePeriod: 2000,
  encryption: { missingKey: 'generate' },
};

/** Merges `overrides` into FAST_LIVE, one level deep for `hls` and `encryption`. */
export function liveAppConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...FAST_LIVE, ...overrides };
  for (const key of ['hls', 'encryption']) {
    const base = FAST_LIVE[key] as Record<string, unknown>;
    const extra = overrides[key] as Record<string, unknown> | undefined;
    merged[key] = { ...base, ...extra };
  }
  return merged;
}

/** A running live server. */
export interface LiveServer extends ServerHome {
  readonly config: Config;
  readonly app: WiredApp;
  readonly log: LogCapture;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** `rtmp://127.0.0.1:<port>/live/<name>` (the name may carry a `?query`). */
  rtmpUrl(name: string): string;
  /** `http://127.0.0.1:<port>/live/<name>/<file>` */
  httpUrl(name: string, file: string): string;
  /** Stops listening, drops every open connection, closes the app and removes the home. */
  close(): Promise<void>;
}

/** Starts the wired app with `live` as its one application (FAST_LIVE merged with `live`). */
export async function startLiveServer(live: Record<string, unknown> = {}): Promise<LiveServer> {
  const home = createServerHome({ applications: { [LIVE_APP]: liveAppConfig(live) }, sample: false });
  const config = readHomeConfig(home);
  const log = captureLogs();
  const app = await createApp({ config, logger: log.logger });
  const listener = createSharedListener(app.http.server, app.rtmp);
  const sockets = trackSockets(listener);
  const port = await listen(listener, 0, LOOPBACK);
  const origin = `http://${LOOPBACK}:${port}`;
  return {
    ...home,
    config,
    app,
    log,
    port,
    origin,
    rtmpUrl: (name) => `rtmp://${LOOPBACK}:${port}/${LIVE_APP}/${name}`,
    httpUrl: (name, file) => `${origin}/${LIVE_APP}/${name}/${file}`,
    async close() {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await app.close();
      await closed;
      home.remove();
    },
  };
}

/** Keeps the set of a server's open sockets, so close() can drop them. */
export function trackSockets(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}
