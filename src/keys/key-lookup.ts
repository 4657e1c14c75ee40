// Key-file lookup (SPEC §5): expands the ordered `encryption.keyFiles` templates into candidate paths for
// one stream, refusing names taken from URLs that could lead a path out of the keys folder.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Wowza-style ${...} key-file variables, not templates
import path from 'node:path';
import { DEFAULT_KEY_FILES } from '../config/schema.js';
import { HlsError } from '../core/errors.js';

/** The default `encryption.keyFiles` (defined with the config schema): per stream under app/instance, per stream, per application. */
export const DEFAULT_KEY_FILE_TEMPLATES: readonly string[] = DEFAULT_KEY_FILES;

/** Names of the variables a key-file template may use. */
export const KEY_FILE_VARIABLES: readonly string[] = Object.freeze([
  'KeyDir',
  'Application',
  'com.wowza.wms.context.Application',
  'ApplicationInstance',
  'com.wowza.wms.context.ApplicationInstance',
  'Stream',
]);

/** The stream a lookup is for; `stream` is the name without its prefix (`mp4:movies/a.mp4` → `movies/a.mp4`). */
export interface KeyLookupVars {
  keyDir: string;
  app: string;
  instance: string;
  stream: string;
}

const KEY_DIR_VARIABLE = '${KeyDir}';
const VARIABLE_PATTERN = /\$\{([^}]*)\}/g;

/** Checks a name taken from a URL: no NUL, backslash, absolute path, empty, `.` or `..` segment; one segment unless `multiSegment`. */
export function checkPathName(what: string, value: string, multiSegment: boolean): void {
  const bad = (reason: string) => new HlsError('BAD_PATH', `${what} name ${reason}`);
  if (value.length === 0) throw bad('is empty');
  if (value.includes('\0')) throw bad('contains NUL');
  if (value.includes('\\')) throw bad('contains a backslash');
  if (value.startsWith('/') || path.isAbsolute(value)) throw bad('is an absolute path');
  const segments = value.split('/');
  if (!multiSegment && segments.length > 1) throw bad('contains "/"');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') throw bad('has an empty, "." or ".." segment');
  }
}

/** True when `child` lies strictly below `parent` (both resolved). */
function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** Expands one template (`${KeyDir}` only when `withKeyDir`); throws CONFIG_INVALID on an unknown variable. */
function expandTemplate(template: string, vars: KeyLookupVars, withKeyDir: boolean): string {
  return template.replace(VARIABLE_PATTERN, (_whole, name: string) => {
    switch (name) {
      case 'KeyDir':
        if (!withKeyDir) throw new HlsError('CONFIG_INVALID', `keyDir "${template}" cannot use \${KeyDir}`);
        return vars.keyDir;
      case 'Application':
      case 'com.wowza.wms.context.Application':
        return vars.app;
      case 'ApplicationInstance':
      case 'com.wowza.wms.context.ApplicationInstance':
        return vars.instance;
      case 'Stream':
        return vars.stream;
      default:
        throw new HlsError('CONFIG_INVALID', `key file template "${template}": unknown variable \${${name}}`);
    }
  });
}

/** The folder a template's result must stay in: KeyDir, or the fixed folder before its first variable. */
function containingDir(template: string, keyDir: string): string | undefined {
  if (template.startsWith(KEY_DIR_VARIABLE)) return keyDir;
  const firstVariable = template.indexOf('${');
  if (firstVariable < 0) return undefined; // a fixed path: nothing from a URL goes into it
  const lastSlash = template.lastIndexOf('/', firstVariable);
  return lastSlash <= 0 ? undefined : path.resolve(template.slice(0, lastSlash));
}

/** Candidate key-file paths for a stream, in template order; throws BAD_PATH for a hostile name. */
export function keyFileCandidates(templates: readonly string[], vars: KeyLookupVars): string[] {
  checkPathName('application', vars.app, false);
  checkPathName('instance', vars.instance, false);
  checkPathName('stream', vars.stream, true);
  // keyDir may itself name the instance (`keys/${ApplicationInstance}`).
  const keyDir = path.resolve(expandTemplate(vars.keyDir, { ...vars, keyDir: '' }, false));
  const out: string[] = [];
  for (const template of templates) {
    const candidate = path.resolve(expandTemplate(template, { ...vars, keyDir }, true));
    const base = containingDir(template, keyDir);
    if (base !== undefined && !isInside(base, candidate)) {
      throw new HlsError('BAD_PATH', 'key file path leaves the keys folder');
    }
    if (!out.includes(candidate)) out.push(candidate);
  }
  return out;
}
