// The JSON Schema of conf/Application.json, derived from the zod schema so the two never disagree.
// Strings holding `${...}` variables are accepted wherever a value is checked, as the loader checks them later.
import { z } from 'zod';
import { ConfigSchema } from './schema.js';

type JsonObject = Record<string, unknown>;

/** Constraints on a string value that a variable such as `${env:ORIGIN_URL}` would not meet before substitution. */
const STRING_CONSTRAINTS = ['format', 'pattern', 'minLength'] as const;
/** A string holding at least one variable. */
const VARIABLE_PATTERN = '\\$\\{[^}]+\\}';

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A checked string schema becomes "meets the check, or holds a variable"; keys (`propertyNames`) stay as they are. */
function allowVariables(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) allowVariables(item);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) if (key !== 'propertyNames') allowVariables(value);
  const checked = STRING_CONSTRAINTS.filter(
    (c) => node[c] !== undefined && !(c === 'minLength' && node[c] === 1),
  );
  if (node['type'] !== 'string' || checked.length === 0) return;
  const strict: JsonObject = { type: 'string' };
  for (const c of STRING_CONSTRAINTS) {
    if (node[c] !== undefined) strict[c] = node[c];
    delete node[c];
  }
  delete node['type'];
  node['anyOf'] = [strict, { type: 'string', pattern: VARIABLE_PATTERN }];
}

/** The JSON Schema (draft-07, which editors support best) of the config as written: defaulted fields optional. */
export function buildJsonSchema(): JsonObject {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-07' }) as JsonObject;
  allowVariables(schema);
  return schema;
}

/** The schema file's text: 2-space JSON and a final newline. */
export function jsonSchemaText(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}
