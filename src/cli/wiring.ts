// Wires the services into the HTTP application and the RTMP acceptor. The one place that
// knows every part; tests use it to run the real server in-process.

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { EdgeService } from '../edge/edge-service.js';
import { buildApp } from '../http/app.js';
import { Metrics } from '../http/metrics.js';
import type { MediaServices } from '../http/stream-route.js';
import { attachRtmpConnection } from '../ingest/rtmp-server.js';
import { KeyStore } from '../keys/key-store.js';
import { LiveService } from '../live/live-service.js';
import { NameGroupService } from '../live/name-group-service.js';
import { Mp4SourceCache } from '../packager/mp4-source.js';
import { type SegmentPackager, SegmentWorkerPool } from '../packager/segment-worker-pool.js';
import { SmilService } from '../packager/smil-service.js';
import { VodService } from '../packager/vod-service.js';
import type { RtmpAcceptor } from './listener.js';

/** Bytes of MP4 sample indexes kept in memory (about 40 two-hour movies). */
const INDEX_CACHE_BYTES = 512 * 1024 * 1024;

/** What createApp needs. */
export interface WiringOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** The wired application. */
export interface WiredApp {
  readonly http: FastifyInstance;
  readonly rtmp: RtmpAcceptor;
  readonly keyStore: KeyStore;
  readonly live: LiveService;
  /** Where VOD segments are packaged, with its counts. */
  readonly packager: SegmentPackager;
  close(): Promise<void>;
}

/** Builds every service and the HTTP app (ready, not listening). */
export async function createApp(opts: WiringOptions): Promise<WiredApp> {
  const { config, logger } = opts;
  const keyStore = new KeyStore({ logger: logger.child({ module: 'keys' }), now: opts.now });
  // Muxing and AES run on worker threads, leaving the main thread to HTTP and RTMP.
  const packager = new SegmentWorkerPool();
  const metrics = new Metrics();
  const vod = new VodService({
    sources: new Mp4SourceCache({ maxBytes: INDEX_CACHE_BYTES }),
    keys: keyStore,
    packager,
    onPackaged: (ms, bytes) => metrics.packaged('vod', ms, bytes),
  });
  const live = new LiveService({
    config,
    keys: keyStore,
    logger: logger.child({ module: 'live' }),
    now: opts.now,
    onPackaged: (ms, bytes) => metrics.packaged('live', ms, bytes),
  });
  const services: MediaServices = {
    mp4: vod,
    smil: new SmilService(vod),
    live,
    ngrp: new NameGroupService(live),
    edge: new EdgeService({ keys: keyStore, now: opts.now }),
  };
  const status = () => ({ live: live.summaries(), segmentBuffersReused: packager.stats.reused });
  const http = await buildApp({ config, logger, services, now: opts.now, metrics, status });
  await http.ready();
  const rtmpLogger = logger.child({ module: 'rtmp' });
  const rtmp: RtmpAcceptor = (socket, head) => {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    attachRtmpConnection(socket, { handler: live.ingestHandler(peer), logger: rtmpLogger, head });
  };
  return {
    http,
    rtmp,
    keyStore,
    live,
    packager,
    async close() {
      live.close();
      await packager.close();
      await http.close();
    },
  };
}
