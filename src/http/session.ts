// Session ids on HTTP requests: issued with the master playlist, checked on chunklists and keys.

import { HlsError } from '../core/errors.js';
import { issueSessionId, verifySessionId } from '../crypto/session-id.js';

/** What session handling needs: the signing secret, the clock and the app's settings. */
export interface SessionContext {
  readonly secret: string;
  readonly nowSeconds: number;
  readonly lifetimeSeconds: number;
}

/** Issues a session id for `streamKey` (`<app>/<instance>/<stream>`). */
export function newSession(ctx: SessionContext, streamKey: string): string {
  return issueSessionId(ctx.secret, streamKey, ctx.lifetimeSeconds, ctx.nowSeconds);
}

/** Throws SESSION_INVALID unless `sid` is a valid, unexpired session id of `streamKey`. */
export function requireSession(ctx: SessionContext, sid: string | undefined, streamKey: string): string {
  if (sid === undefined || sid === '') throw new HlsError('SESSION_INVALID', 'session id required');
  const check = verifySessionId(ctx.secret, sid, streamKey, ctx.nowSeconds);
  if (!check.ok) throw new HlsError('SESSION_INVALID', `session id refused: ${check.reason}`);
  return sid;
}

/** Appends `name=value` to a URI that may already have a query. */
export function withQuery(uri: string, name: string, value: string): string {
  return `${uri}${uri.includes('?') ? '&' : '?'}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
}
