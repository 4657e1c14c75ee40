// Wowza-style `${...}` variables in config strings (SPEC §3). Load-time variables are substituted
// when the config is parsed; request-time ones stay in templates until expandTemplate fills them.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Wowza-style ${...} config variables, not templates
import path from 'node:path';
import { HlsError } from '../core/errors.js';

/** Variables known only per request; they stay in templates after loading. */
export type RequestVariable = 'ApplicationInstance' | 'Stream' | 'KeyDir';

/** Names of the folder holding `conf/` (Wowza has three; we have one home). */
const HOME_NAMES: readonly string[] = [
  'com.wowza.wms.AppHome',
  'com.wowza.wms.ConfigHome',
  'com.wowza.wms.context.VHostConfigHome',
  'AppHome',
];
/** Short form of each long-form variable name. */
const SHORT_FORMS: Readonly<Record<string, string>> = {
  'com.wowza.wms.AppHome': 'AppHome',
  'com.wowza.wms.ConfigHome': 'AppHome',
  'com.wowza.wms.context.VHostConfigHome': 'AppHome',
  'com.wowza.wms.context.Application': 'Application',
  'com.wowza.wms.context.ApplicationInstance': 'ApplicationInstance',
};
const REQUEST_VARIABLES: readonly RequestVariable[] = ['ApplicationInstance', 'Stream', 'KeyDir'];
/** Where each request-time variable may appear, for error messages. */
const REQUEST_VARIABLE_PLACES: Readonly<Record<RequestVariable, string>> = {
  ApplicationInstance: 'storageDir, keyDir and encryption.keyFiles',
  Stream: 'encryption.keyFiles',
  KeyDir: 'encryption.keyFiles',
};
const ENV_PREFIX = 'env:';
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARIABLE_RE = /\$\{([^}]*)\}/g;
const OPEN = '${';
const KEY_DIR_PREFIX = '${KeyDir}';

/** What a string may refer to, given where it sits in the config. */
export interface VariableScope {
  /** The folder holding `conf/`. */
  appHome: string;
  env: NodeJS.ProcessEnv;
  /** The application the string belongs to; undefined outside `applications`. */
  application?: string | undefined;
  /** Request-time variables allowed here; they are left in place. */
  requestVariables: readonly RequestVariable[];
}

/** The substituted string, or why substitution failed. */
export type Substitution = { ok: true; value: string } | { ok: false; message: string };

/** The short name of a variable (`com.wowza.wms.context.Application` gives `Application`). */
function shortName(name: string): string {
  return SHORT_FORMS[name] ?? name;
}

function isRequestVariable(name: string): name is RequestVariable {
  return (REQUEST_VARIABLES as readonly string[]).includes(name);
}

/** The value of one variable, `null` to leave it in place, or an error message. */
function variableValue(name: string, scope: VariableScope): { value: string | null } | { message: string } {
  if (name.startsWith(ENV_PREFIX)) {
    const envName = name.slice(ENV_PREFIX.length);
    if (!ENV_NAME_RE.test(envName)) return { message: `invalid environment variable name in \${${name}}` };
    const value = scope.env[envName];
    return value === undefined ? { message: `environment variable ${envName} is not set` } : { value };
  }
  if (HOME_NAMES.includes(name)) return { value: scope.appHome };
  const short = shortName(name);
  if (short === 'Application') {
    if (scope.application === undefined)
      return { message: `\${${name}} is defined only inside an application` };
    return { value: scope.application };
  }
  if (isRequestVariable(short)) {
    if (scope.requestVariables.includes(short)) return { value: null };
    return { message: `\${${name}} is known only per request: use it in ${REQUEST_VARIABLE_PLACES[short]}` };
  }
  return { message: `unknown variable \${${name}}` };
}

/** Substitutes the load-time variables of `text`; allowed request-time ones are kept as written. */
export function substituteVariables(text: string, scope: VariableScope): Substitution {
  let out = '';
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf(OPEN, at);
    if (open < 0) break;
    const close = text.indexOf('}', open + OPEN.length);
    if (close < 0) return { ok: false, message: `unterminated "\${" at character ${open + 1}` };
    const name = text.slice(open + OPEN.length, close);
    const found = variableValue(name, scope);
    if ('message' in found) return { ok: false, message: found.message };
    out += text.slice(at, open) + (found.value ?? text.slice(open, close + 1));
    at = close + 1;
  }
  return { ok: true, value: out + text.slice(at) };
}

/**
 * Resolves a substituted filesystem path or path template against AppHome. A template starting with
 * `${KeyDir}` is left as is: KeyDir is absolute once expanded.
 */
export function resolvePath(appHome: string, pathOrTemplate: string): string {
  if (pathOrTemplate.startsWith(KEY_DIR_PREFIX)) return pathOrTemplate;
  return path.resolve(appHome, pathOrTemplate);
}

/**
 * Expands the variables left in a template at request time. `vars` is keyed by short name
 * (`ApplicationInstance`, `Stream`, `KeyDir`); long forms in the template find their short name.
 * Values are inserted as given: callers check stream names for `..` before using the result as a path.
 */
export function expandTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(VARIABLE_RE, (_whole, name: string) => {
    const value = vars[shortName(name)] ?? vars[name];
    if (value === undefined) throw new HlsError('INTERNAL', `template variable \${${name}} has no value`);
    return value;
  });
}
