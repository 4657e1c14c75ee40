// What the server is doing, for operators: `GET /metrics` (Prometheus text) and `GET /api/streams`
// (the live streams as JSON). Neither carries keys or session ids; put them behind a firewall or a
// proxy rule if stream names and publisher addresses are private.

import type { FastifyInstance } from 'fastify';
import type { Metrics, StatusSnapshot } from './metrics.js';

/** Prometheus' text exposition format. */
const METRICS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Registers `/metrics` and `/api/streams`; `status` is read at each request. */
export function registerStatusRoutes(
  app: FastifyInstance,
  metrics: Metrics,
  status: () => StatusSnapshot,
): void {
  app.get('/metrics', async (_request, reply) =>
    reply
      .header('content-type', METRICS_TYPE)
      .header('cache-control', 'no-store')
      .send(metrics.render(status())),
  );
  app.get('/api/streams', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ streams: status().live }),
  );
}
