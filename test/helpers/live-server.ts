// The real application serving HTTP and RTMP on one ephemeral port of 127.0.0.1, for live tests:
// a throw-away server home, captured logs, and URLs of the live application's streams.

import net from 'node:net';
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
  /** Stops listening, ends its connections, closes the app and removes the home. */
  close(): Promise<void>;
}

/** Tuning of the test server beyond its config. */
export interface LiveServerOptions {
  /** node:http's headersTimeout (default 60 s), checked every quarter of it, for slow-header tests. */
  readonly httpHeadersTimeoutMs?: number;
}

/** Starts the wired app with `live` as its one application (FAST_LIVE merged with `live`). */
export async function startLiveServer(
  live: Record<string, unknown> = {},
  opts: LiveServerOptions = {},
): Promise<LiveServer> {
  const home = createServerHome({ applications: { [LIVE_APP]: liveAppConfig(live) }, sample: false });
  const config = readHomeConfig(home);
  const log = captureLogs();
  const app = await createApp({ config, logger: log.logger });
  if (opts.httpHeadersTimeoutMs !== undefined) {
    // Read by node:http when connection tracking starts, i.e. in createSharedListener.
    // connectionsCheckingInterval is a constructor option that @types/node does not list on the instance.
    const http = app.http.server as typeof app.http.server & { connectionsCheckingInterval: number };
    http.headersTimeout = opts.httpHeadersTimeoutMs;
    http.connectionsCheckingInterval = Math.ceil(opts.httpHeadersTimeoutMs / 4);
  }
  const listener = createSharedListener(app.http.server, app.rtmp);
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
      // The listener ends what it handed to RTMP and closes idle HTTP connections itself.
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await app.close();
      home.remove();
    },
  };
}

/** A TCP port of 127.0.0.1 that was free a moment ago (for configs that must name a port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const addr = probe.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
