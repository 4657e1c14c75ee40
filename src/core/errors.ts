// Errors as values: a stable code, the HTTP status it maps to, and an optional cause.
// One Fastify error handler turns these into responses; anything else is a 500.

/** Stable error codes. Tests and log searches rely on these strings. */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'BAD_PATH'
  | 'NOT_FOUND'
  | 'APP_NOT_FOUND'
  | 'STREAM_NOT_FOUND'
  | 'SEGMENT_NOT_FOUND'
  | 'FORBIDDEN'
  | 'SESSION_INVALID'
  | 'TOKEN_INVALID'
  | 'KEY_MISSING'
  | 'KEY_FILE_INVALID'
  | 'UNSUPPORTED_MEDIA'
  | 'MEDIA_INVALID'
  | 'RANGE_NOT_SATISFIABLE'
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'UPSTREAM_FAILED'
  | 'INTERNAL';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  BAD_PATH: 400,
  NOT_FOUND: 404,
  APP_NOT_FOUND: 404,
  STREAM_NOT_FOUND: 404,
  SEGMENT_NOT_FOUND: 404,
  FORBIDDEN: 403,
  SESSION_INVALID: 403,
  TOKEN_INVALID: 403,
  KEY_MISSING: 403,
  KEY_FILE_INVALID: 503,
  UNSUPPORTED_MEDIA: 415,
  MEDIA_INVALID: 415,
  RANGE_NOT_SATISFIABLE: 416,
  CONFIG_INVALID: 500,
  USAGE: 400,
  UPSTREAM_FAILED: 502,
  INTERNAL: 500,
};

/** An error with a stable code and the HTTP status it maps to. The message is safe to show a client. */
export class HlsError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; statusCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HlsError';
    this.code = code;
    this.statusCode = options?.statusCode ?? STATUS_BY_CODE[code];
  }
}

/** True when `err` is an HlsError (or carries the same shape across module copies). */
export function isHlsError(err: unknown): err is HlsError {
  return err instanceof HlsError;
}

/** The message of any thrown value, for logs. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
