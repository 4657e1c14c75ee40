// The zod schema of conf/Application.json (SPEC §3): the one source of the config's shape, its defaults,
// its TypeScript types and its JSON Schema. Variables in strings are substituted by the loader, not here.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Wowza-style ${...} config variables, not templates
import { z } from 'zod';

/** Default port for HTTP and RTMP on one socket (SPEC §4, §7; Wowza's default). */
export const DEFAULT_PORT = 1935;
/** Highest TCP port number. */
const MAX_PORT = 65535;
/** Shortest accepted `server.secret`: it signs session ids (SPEC §5), so it must not be guessable. */
export const MIN_SECRET_LENGTH = 16;
/** Default folder of VOD files, `.smil` and `.stream` files (SPEC §3). */
export const DEFAULT_STORAGE_DIR = '${com.wowza.wms.context.VHostConfigHome}/content';
/** Default folder of key files (SPEC §3). */
export const DEFAULT_KEY_DIR = '${com.wowza.wms.context.VHostConfigHome}/keys';
/** Default key-file lookup order (SPEC §5): per stream and instance, per stream, per application. */
export const DEFAULT_KEY_FILES: readonly string[] = [
  '${KeyDir}/${Application}/${ApplicationInstance}/${Stream}.key',
  '${KeyDir}/${Stream}.key',
  '${KeyDir}/${Application}/_application.key',
];
/** Default query parameter carrying the session id on key URIs (Wowza's name). */
export const DEFAULT_SESSION_ID_PARAM = 'wowzasessionid';
/** Default session lifetime in seconds: 24 hours (SPEC §5). */
export const DEFAULT_SESSION_LIFETIME_S = 24 * 60 * 60;
/** Default bytes of packaged segments kept in memory per application: 256 MiB. */
export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;
/** Default target segment duration in ms (SPEC §3). */
export const DEFAULT_CHUNK_DURATION_MS = 6000;
/** Shortest target segment duration in ms: shorter segments make playlists churn faster than players poll. */
export const MIN_CHUNK_DURATION_MS = 1000;
/** Default live grace period in ms after a publisher drops (SPEC §7). */
export const DEFAULT_GRACE_PERIOD_MS = 30_000;

/** Application names: one URL path segment of safe characters, never `.` or `..`. */
const APP_NAME_RE = /^[A-Za-z0-9_.-]+$/;
/** Application instance names: one URL path segment of safe characters. */
const INSTANCE_NAME_RE = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,64}$/;
/** Name-group names have no `_`, so the last `_` of `ngrp:<stream>_<group>` splits stream from group (SPEC §6). */
const GROUP_NAME_RE = /^[A-Za-z0-9.-]+$/;
/** Stream-name suffixes of a name group (`_240p`). */
const STREAM_SUFFIX_RE = /^[A-Za-z0-9_.-]+$/;
/** Query-parameter names that need no percent-encoding (RFC 3986 unreserved characters). */
const URL_TOKEN_RE = /^[A-Za-z0-9._~-]+$/;
/** HTTP header field names (RFC 9110 §5.6.2 token). */
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** HTTP header values may not carry line breaks or NUL (response splitting). */
const HEADER_VALUE_RE = /^[^\r\n\0]*$/;

const port = z.int().min(0).max(MAX_PORT);
const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) => (issue.code === 'invalid_format' ? 'must be an absolute http(s) URL' : undefined),
});

const appName = z
  .string()
  .regex(APP_NAME_RE, 'application names use only letters, digits, "_", "." and "-"')
  .refine((name) => name !== '.' && name !== '..', 'an application may not be named "." or ".."');

const tlsSchema = z.strictObject({
  port: port.describe('HTTPS port, served beside plain HTTP'),
  cert: z.string().min(1).describe('PEM certificate file; relative paths resolve against AppHome'),
  key: z.string().min(1).describe('PEM private key file; relative paths resolve against AppHome'),
});

const serverSchema = z.strictObject({
  host: z.string().min(1).default('0.0.0.0').describe('Address to listen on'),
  port: port.default(DEFAULT_PORT).describe('HTTP and RTMP on one port, told apart by the first byte'),
  rtmpPort: port.nullable().default(null).describe('A separate RTMP port, or null to share `port`'),
  tls: tlsSchema.nullable().default(null).describe('HTTPS beside HTTP, or null'),
  secret: z
    .string()
    .min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`)
    .optional()
    .describe('Signs session ids; the same on every origin and edge. Unset: random at each start'),
  logLevel: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level'),
});

const hlsSchema = z
  .strictObject({
    chunkDurationTarget: z
      .int()
      .min(MIN_CHUNK_DURATION_MS)
      .default(DEFAULT_CHUNK_DURATION_MS)
      .describe('Target segment duration in ms'),
    playlistChunkCount: z.int().min(1).default(6).describe('Segments listed in a live playlist'),
    maxChunkCount: z.int().min(1).default(12).describe('Segments kept for late clients'),
    relativeUrls: z.boolean().default(true).describe('Write URIs relative to the playlist'),
    baseUrl: httpUrl.optional().describe('Absolute base for URIs in playlists'),
  })
  .refine((hls) => hls.maxChunkCount >= hls.playlistChunkCount, {
    message: 'must be at least playlistChunkCount',
    path: ['maxChunkCount'],
  });

const encryptionSchema = z.strictObject({
  missingKey: z
    .enum(['refuse', 'generate', 'plain'])
    .default('refuse')
    .describe('No key file: refuse (403), generate a random key file, or serve plain (warns)'),
  keyFiles: z
    .array(z.string().min(1))
    .min(1)
    .default([...DEFAULT_KEY_FILES])
    .describe('Key-file path templates, first existing wins'),
  appendSessionId: z.boolean().default(true).describe('Append the session id to external key URLs'),
  sessionIdParam: z
    .string()
    .regex(URL_TOKEN_RE, 'use only letters, digits and "._~-"')
    .default(DEFAULT_SESSION_ID_PARAM)
    .describe('Query parameter carrying the session id'),
  keyBaseUrl: httpUrl.optional().describe('Absolute base for built-in key URIs'),
  keyRotation: z.int().min(0).default(0).describe('Segments per key; 0 = one key'),
  sessionLifetime: z
    .int()
    .min(1)
    .default(DEFAULT_SESSION_LIFETIME_S)
    .describe('Session id lifetime in seconds'),
});

const corsSchema = z.strictObject({
  origins: z
    .union([z.literal('*'), z.array(z.string().min(1)).min(1)])
    .describe('Allowed origins, or "*" for any'),
  credentials: z.boolean().default(false).describe('Allow credentials'),
});

const httpSchema = z.strictObject({
  headers: z
    .record(
      z.string().regex(HEADER_NAME_RE, 'not a valid HTTP header name'),
      z.string().regex(HEADER_VALUE_RE, 'header values may not contain line breaks'),
    )
    .default({})
    .describe('Headers added to every response of the application'),
  cors: corsSchema.nullable().default(null).describe('CORS answers, or null for none'),
});

const secureTokenSchema = z.strictObject({
  secret: z.string().min(1).describe('Shared secret of Wowza SecureToken version 2'),
  prefix: z
    .string()
    .regex(URL_TOKEN_RE, 'use only letters, digits and "._~-"')
    .default('wowzatoken')
    .describe('Prefix of the token query parameters'),
  hash: z.enum(['sha256', 'sha384', 'sha512']).default('sha256'),
  includeClientIp: z.boolean().default(false).describe('Include the client IP in the hash'),
});

/** Fields every application type shares. */
const commonShape = {
  instances: z
    .array(z.string().regex(INSTANCE_NAME_RE, 'instance names use only letters, digits, "_", "." and "-"'))
    .min(1)
    .optional()
    .describe(
      'Application instances served; others answer 404. Absent: only "_definst_" for vod, edge and .stream pulls; any for live',
    ),
  storageDir: z.string().min(1).default(DEFAULT_STORAGE_DIR).describe('VOD, .smil and .stream files'),
  keyDir: z.string().min(1).default(DEFAULT_KEY_DIR).describe('Key files'),
  hls: hlsSchema.prefault({}),
  encryption: encryptionSchema.prefault({}),
  http: httpSchema.prefault({}),
  secureToken: secureTokenSchema.optional().describe('Protected playlists; absent = off'),
  cache: z.int().min(0).default(DEFAULT_CACHE_BYTES).describe('Bytes of packaged segments kept in memory'),
};

const vodAppSchema = z.strictObject({ type: z.literal('vod'), ...commonShape });

const liveAppSchema = z.strictObject({
  type: z.literal('live'),
  ...commonShape,
  nameGroups: z
    .record(
      z.string().regex(GROUP_NAME_RE, 'group names use only letters, digits, "." and "-"'),
      z.array(z.string().regex(STREAM_SUFFIX_RE, 'use only letters, digits, "_", "." and "-"')).min(1),
    )
    .default({})
    .describe('ngrp:<stream>_<group> adaptive sets: group name to stream-name suffixes'),
  publishSecret: z.string().min(1).optional().describe('Publishers must add ?secret=<publishSecret>'),
  gracePeriod: z
    .int()
    .min(0)
    .default(DEFAULT_GRACE_PERIOD_MS)
    .describe('ms a dropped stream waits for its publisher'),
});

const edgeAppSchema = z.strictObject({
  type: z.literal('edge'),
  ...commonShape,
  originUrl: httpUrl.describe('Upstream HLS origin: <originUrl>/<stream>/playlist.m3u8'),
});

/** One application: a discriminated union on `type`. */
export const AppConfigSchema = z.discriminatedUnion('type', [vodAppSchema, liveAppSchema, edgeAppSchema], {
  error: 'must be "vod", "live" or "edge"',
});

/** The whole of conf/Application.json. */
export const ConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    server: serverSchema.prefault({}),
    applications: z.record(appName, AppConfigSchema).describe('Applications by name (the first URL segment)'),
  })
  .meta({ title: 'hls-origin conf/Application.json' });

/** HLS packaging settings of an application, defaults filled. */
export type HlsSettings = z.output<typeof hlsSchema>;
/** Encryption settings of an application; paths absolute, request-time variables left in `keyFiles`. */
export type EncryptionSettings = z.output<typeof encryptionSchema>;
/** HTTP response settings of an application. */
export type HttpSettings = z.output<typeof httpSchema>;
/** Wowza SecureToken v2 settings of an application. */
export type SecureTokenSettings = z.output<typeof secureTokenSchema>;
/** A VOD application. */
export type VodAppConfig = z.output<typeof vodAppSchema>;
/** A live (RTMP ingest) application. */
export type LiveAppConfig = z.output<typeof liveAppSchema>;
/** An edge (repeater) application. */
export type EdgeAppConfig = z.output<typeof edgeAppSchema>;
/** Any application. */
export type AppConfig = VodAppConfig | LiveAppConfig | EdgeAppConfig;
/** Server settings; the loader always fills `secret` (a random one when the file has none). */
export type ServerConfig = Omit<z.output<typeof serverSchema>, 'secret'> & { secret: string };
/** The loaded configuration: defaults filled, variables substituted, paths absolute. */
export type Config = Omit<z.output<typeof ConfigSchema>, 'server'> & { server: ServerConfig };
/** The configuration as the schema outputs it, before the loader fills `server.secret`. */
export type SchemaOutput = z.output<typeof ConfigSchema>;
