// Where a publisher wants to go: application and instance from connect's `app` (or its tcUrl), stream name
// and query from publish. `rtmp://host/live/test?secret=x` → app live, instance _definst_, stream test.

/** The instance name used when the connect URL names only an application (Wowza's convention). */
export const DEFAULT_INSTANCE = '_definst_';

/** Application and instance a connection was opened for. */
export interface ConnectTarget {
  readonly app: string;
  readonly instance: string;
  readonly tcUrl: string;
}

/** Stream name and query string of a publish command. */
export interface StreamTarget {
  readonly stream: string;
  /** What followed `?` in the published name, without the `?`; '' when there was none. */
  readonly query: string;
}

/**
 * Reads app and instance from connect's `app` field (`live` or `live/inst`, query dropped), falling back to
 * the path of `tcUrl`. Returns undefined when neither names an application.
 */
export function parseConnectTarget(
  appField: string | undefined,
  tcUrl: string | undefined,
): ConnectTarget | undefined {
  const source = appField !== undefined && appField !== '' ? appField : pathOfUrl(tcUrl ?? '');
  const path = splitQuery(source)[0];
  const segments = path.split('/').filter((s) => s !== '');
  const app = segments[0];
  if (app === undefined) return undefined;
  const instance = segments.length > 1 ? segments.slice(1).join('/') : DEFAULT_INSTANCE;
  return { app, instance, tcUrl: tcUrl ?? '' };
}

/** Splits a published name into stream and query (`test?secret=x` → `test`, `secret=x`). */
export function parseStreamTarget(name: string): StreamTarget {
  const [stream, query] = splitQuery(name);
  return { stream, query };
}

function splitQuery(value: string): [string, string] {
  const at = value.indexOf('?');
  return at < 0 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)];
}

/** The path of `rtmp://host[:port]/path` (no URL class: rtmp URLs with odd hosts must not throw). */
function pathOfUrl(url: string): string {
  const scheme = url.indexOf('://');
  const rest = scheme < 0 ? url : url.slice(scheme + 3);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1);
}
