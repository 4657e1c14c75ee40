// One place that turns errors into responses: coded errors become a 4xx (or 503) with a one-line
// reason; anything else is logged and answered with a bare 500, never a stack trace.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isHlsError } from '../core/errors.js';

const PLAIN_TEXT = 'text/plain; charset=utf-8';

/**
 * What clients are told for server-side failures: the full message (file paths, line numbers)
 * goes to the log only.
 */
const PUBLIC_REASON: Partial<Record<string, string>> = {
  KEY_FILE_INVALID: 'stream unavailable: its key file is invalid (see the server log)',
  UPSTREAM_FAILED: 'upstream unavailable',
};

/** Sends a one-line plain-text answer. */
export function sendReason(reply: FastifyReply, status: number, reason: string): FastifyReply {
  const line = reason.replace(/[\r\n]+/g, ' ').slice(0, 300);
  return reply
    .code(status)
    .header('content-type', PLAIN_TEXT)
    .header('cache-control', 'no-store')
    .send(`${line}\n`);
}

/** The Fastify error handler. */
export function handleError(
  err: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (isHlsError(err)) {
    if (err.statusCode >= 500) request.log.error({ code: err.code, err: err.message }, 'request failed');
    else request.log.debug({ code: err.code, reason: err.message }, 'request refused');
    const reason = err.statusCode >= 500 ? (PUBLIC_REASON[err.code] ?? 'internal server error') : err.message;
    return sendReason(reply, err.statusCode, reason);
  }
  const status = (err as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Fastify's own client errors (bad URL encoding, body too large, ...): their messages are safe.
    return sendReason(reply, status, err.message);
  }
  request.log.error({ err }, 'internal error');
  return sendReason(reply, 500, 'internal server error');
}
