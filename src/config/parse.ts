// Config text to a typed Config, with no I/O: JSON syntax, variable substitution, zod validation with
// defaults, path resolution against AppHome and the server secret. Every problem names its JSON path.
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { type ConfigProblem, joinPath, ROOT_PATH } from './errors.js';
import { parseJsonText } from './json-text.js';
import { type AppConfig, type Config, ConfigSchema, type SchemaOutput } from './schema.js';
import { type RequestVariable, resolvePath, substituteVariables, type VariableScope } from './variables.js';

/** Random bytes in a generated server secret (256 bits, as HMAC-SHA256's key size). */
const GENERATED_SECRET_BYTES = 32;
/** The warning given when `server.secret` is absent. */
export const MISSING_SECRET_WARNING =
  'server.secret is not set: a random secret was generated; session ids will not survive a restart or be accepted by other origins';

/** What parseConfig needs besides the text. */
export interface ParseConfigOptions {
  /** The folder holding `conf/`: `${AppHome}` and the base of relative paths. */
  appHome: string;
  /** Environment for `${env:NAME}`. */
  env: NodeJS.ProcessEnv;
}

/** The config when valid, else the problems; warnings either way. */
export interface ParseConfigResult {
  config?: Config;
  problems: ConfigProblem[];
  warnings: string[];
}

type Segments = readonly string[];

/** Request-time variables allowed in a filesystem path field, or null when `segments` is no such field. */
function pathFieldVariables(segments: Segments): readonly RequestVariable[] | null {
  const [top, , field, sub] = segments;
  if (top === 'server') return segments[1] === 'tls' && (field === 'cert' || field === 'key') ? [] : null;
  if (top !== 'applications' || segments.length < 3) return null;
  if (segments.length === 3 && (field === 'storageDir' || field === 'keyDir')) return ['ApplicationInstance'];
  if (segments.length === 5 && field === 'encryption' && sub === 'keyFiles') {
    return ['ApplicationInstance', 'Stream', 'KeyDir'];
  }
  return null;
}

/** The variable scope of a string at `segments`. */
function scopeAt(
  segments: Segments,
  opts: ParseConfigOptions,
  allowed: readonly RequestVariable[],
): VariableScope {
  const application = segments[0] === 'applications' ? segments[1] : undefined;
  return { appHome: opts.appHome, env: opts.env, application, requestVariables: allowed };
}

/**
 * Substitutes variables in every string of the raw JSON. Filesystem path fields are only checked here:
 * they are substituted after validation, so that their defaults are substituted too.
 */
function substituteTree(
  node: unknown,
  segments: Segments,
  opts: ParseConfigOptions,
  problems: ConfigProblem[],
): unknown {
  if (typeof node === 'string') {
    const pathVariables = pathFieldVariables(segments);
    const result = substituteVariables(node, scopeAt(segments, opts, pathVariables ?? []));
    if (!result.ok) problems.push({ path: joinPath(segments), message: result.message });
    return result.ok && pathVariables === null ? result.value : node;
  }
  if (Array.isArray(node))
    return node.map((item, i) => substituteTree(item, [...segments, String(i)], opts, problems));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node))
      out[key] = substituteTree(value, [...segments, key], opts, problems);
    return out;
  }
  return node;
}

/** Typed description of a JSON value for messages. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Shorter messages than zod's defaults where it helps: a missing field is "required". */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'is required';
  if (issue.expected === 'int' && typeof issue.input === 'number') return 'must be an integer';
  return `expected ${issue.expected}, got ${jsonType(issue.input)}`;
};

/** Problems from one zod issue: one per unknown key, the inner reason for a bad record key. */
function issueProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: joinPath([...issue.path, key]), message: 'unknown key' }));
  }
  if (issue.code === 'invalid_key') {
    const reasons = issue.issues.map((inner) => inner.message).join('; ');
    return [{ path: joinPath(issue.path), message: `invalid name: ${reasons}` }];
  }
  return [{ path: joinPath(issue.path), message: issue.message }];
}

/** True when `path` is `under` or inside it. */
function isAtOrUnder(path: string, under: string): boolean {
  return path === under || path.startsWith(`${under}.`);
}

/** Substitutes and resolves one filesystem path field of the validated config. */
function resolveField(
  text: string,
  segments: Segments,
  opts: ParseConfigOptions,
  problems: ConfigProblem[],
): string {
  const result = substituteVariables(text, scopeAt(segments, opts, pathFieldVariables(segments) ?? []));
  if (result.ok) return resolvePath(opts.appHome, result.value);
  problems.push({ path: joinPath(segments), message: result.message });
  return text;
}

/** An application with its storageDir, keyDir and keyFiles substituted and absolute. */
function resolveApp(
  name: string,
  app: AppConfig,
  opts: ParseConfigOptions,
  problems: ConfigProblem[],
): AppConfig {
  const at = ['applications', name];
  const keyFiles = app.encryption.keyFiles.map((file, i) =>
    resolveField(file, [...at, 'encryption', 'keyFiles', String(i)], opts, problems),
  );
  return {
    ...app,
    storageDir: resolveField(app.storageDir, [...at, 'storageDir'], opts, problems),
    keyDir: resolveField(app.keyDir, [...at, 'keyDir'], opts, problems),
    encryption: { ...app.encryption, keyFiles },
  };
}

/** Resolves the path fields of a validated config and fills in the server secret. */
function finish(
  parsed: SchemaOutput,
  opts: ParseConfigOptions,
  problems: ConfigProblem[],
  warnings: string[],
): Config {
  const applications: Record<string, AppConfig> = {};
  for (const [name, app] of Object.entries(parsed.applications)) {
    applications[name] = resolveApp(name, app, opts, problems);
  }
  const { tls } = parsed.server;
  const tlsResolved = tls && {
    ...tls,
    cert: resolveField(tls.cert, ['server', 'tls', 'cert'], opts, problems),
    key: resolveField(tls.key, ['server', 'tls', 'key'], opts, problems),
  };
  let secret = parsed.server.secret;
  if (secret === undefined) {
    secret = randomBytes(GENERATED_SECRET_BYTES).toString('base64url');
    warnings.push(MISSING_SECRET_WARNING);
  }
  return { ...parsed, server: { ...parsed.server, tls: tlsResolved, secret }, applications };
}

/** Parses and validates config text. Pure but for the random secret made when none is set. */
export function parseConfig(text: string, opts: ParseConfigOptions): ParseConfigResult {
  const warnings: string[] = [];
  const json = parseJsonText(text);
  if (!json.ok) {
    const message = `invalid JSON at line ${json.line}, column ${json.column}: ${json.message}`;
    return { problems: [{ path: ROOT_PATH, message }], warnings };
  }
  const problems: ConfigProblem[] = [];
  const substituted = substituteTree(json.value, [], opts, problems);
  const result = ConfigSchema.safeParse(substituted, { error: errorMap });
  if (!result.success) {
    // A field whose variables failed is reported once, not again for the unsubstituted text.
    const variableProblems = [...problems];
    for (const problem of result.error.issues.flatMap(issueProblems)) {
      if (!variableProblems.some((v) => isAtOrUnder(problem.path, v.path))) problems.push(problem);
    }
  }
  if (!result.success || problems.length > 0) return { problems, warnings };
  const config = finish(result.data, opts, problems, warnings);
  return problems.length > 0 ? { problems, warnings } : { config, problems, warnings };
}
