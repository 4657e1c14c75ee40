// Builds the Fastify application without listening (fastify/demo's buildApp): routes, CORS,
// per-application headers, the access log and the error handler. The CLI listens and closes.

import cors from '@fastify/cors';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { AppConfig, Config } from '../config/schema.js';
import { HlsError } from '../core/errors.js';
import { handleError, sendReason } from './error-handler.js';
import { Metrics, type RequestKind, type StatusSnapshot } from './metrics.js';
import { registerPlayer } from './player-page.js';
import { registerStatusRoutes } from './status-routes.js';
import { type MediaServices, streamHandler } from './stream-route.js';

/** What the HTTP application is built from. */
export interface AppDeps {
  readonly config: Config;
  readonly logger: FastifyBaseLogger;
  readonly services: MediaServices;
  /** Milliseconds since the epoch; tests pass their own clock. */
  readonly now?: () => number;
  /** The server's counters (a fresh set when not given). */
  readonly metrics?: Metrics;
  /** What `/metrics` and `/api/streams` read at each request (no live streams when not given). */
  readonly status?: () => StatusSnapshot;
}

/** What the routes outside the stream handler serve, for the metrics. */
const KIND_BY_ROUTE: Record<string, RequestKind> = {
  '/healthz': 'health',
  '/player': 'player',
  '/metrics': 'metrics',
  '/api/streams': 'api',
};

/** Query parameters whose values never reach a log line. */
const SECRET_PARAMS = /(secret|token|hash|key)/i;

/** The first path segment of a raw URL, decoded when possible: the application name. */
function appNameOf(url: string | undefined): string | undefined {
  const m = /^\/([^/?#]+)/.exec(url ?? '');
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}

function appOf(config: Config, url: string | undefined): AppConfig | undefined {
  const name = appNameOf(url);
  return name !== undefined && Object.hasOwn(config.applications, name)
    ? config.applications[name]
    : undefined;
}

/** The request path for logs: the query is dropped but for parameter names, so secrets never show. */
export function loggablePath(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const names = [...new URLSearchParams(url.slice(q + 1)).keys()].map((k) =>
    SECRET_PARAMS.test(k) ? `${k}=…` : k,
  );
  return `${url.slice(0, q)}?${names.join('&')}`;
}

/** Writes the one access line of a request: method, path without secrets, status, bytes, ms, session id. */
function logAccess(request: FastifyRequest, reply: FastifyReply): void {
  const bytes = contentLength(reply);
  request.log.info(
    {
      method: request.method,
      path: loggablePath(request.url),
      status: reply.statusCode,
      bytes: request.method === 'HEAD' ? 0 : bytes,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      sid: request.sessionId,
    },
    'access',
  );
}

/** The body length an answer declared (0 without one). */
function contentLength(reply: FastifyReply): number {
  const n = Number(reply.getHeader('content-length') ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** Builds the Fastify app. It is ready to `inject()` or to receive connections once `ready()` resolves. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? new Metrics();
  const app = Fastify({
    loggerInstance: deps.logger,
    // One access line per request comes from the onResponse hook below instead.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    return503OnClosing: true,
    routerOptions: { ignoreDuplicateSlashes: false, maxParamLength: 2048 },
    // Bad percent-encoding is caught by the router before any route and its hooks: answer it like
    // our own 400s (without echoing the URL) and write its access line here.
    frameworkErrors: (err, request, reply) => {
      if (err.statusCode === 414) sendReason(reply, 414, 'malformed path: too long');
      else sendReason(reply, 400, 'malformed path: bad percent-encoding');
      logAccess(request, reply);
      metrics.request('other', reply.statusCode, contentLength(reply));
    },
  });

  await app.register(cors, {
    delegator: (req, cb) => {
      const c = appOf(config, req.url)?.http.cors;
      if (!c) return cb(null, { origin: false });
      cb(null, { origin: c.origins === '*' ? '*' : [...c.origins], credentials: c.credentials, maxAge: 600 });
    },
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const headers = appOf(config, request.url)?.http.headers;
    if (headers) for (const [k, v] of Object.entries(headers)) reply.header(k, v);
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    logAccess(request, reply);
    const kind = request.hlsKind ?? KIND_BY_ROUTE[request.routeOptions.url ?? ''] ?? 'other';
    metrics.request(kind, reply.statusCode, request.method === 'HEAD' ? 0 : contentLength(reply));
  });

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    sendReason(reply, 404, `not found: ${loggablePath(request.url).split('?')[0]}`);
  });

  app.get('/healthz', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );

  registerPlayer(app);
  registerStatusRoutes(app, metrics, deps.status ?? (() => ({ live: [] })));

  const handler = streamHandler({ config, services: deps.services, now });
  app.get('/*', handler);
  app.get('/', async () => {
    throw new HlsError('NOT_FOUND', 'try /<app>/<stream>/playlist.m3u8');
  });
  return app;
}
