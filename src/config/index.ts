// The config module's public face: schema types, loading, variables and the JSON Schema.

export type { ConfigProblem } from './errors.js';
export { ConfigError, formatProblems } from './errors.js';
export { buildJsonSchema, jsonSchemaText } from './json-schema.js';
export type { LoadedConfig } from './load.js';
export { appHomeOf, loadConfig } from './load.js';
export type { ParseConfigOptions, ParseConfigResult } from './parse.js';
export { MISSING_SECRET_WARNING, parseConfig } from './parse.js';
export type {
  AppConfig,
  Config,
  EdgeAppConfig,
  EncryptionSettings,
  HlsSettings,
  HttpSettings,
  LiveAppConfig,
  SecureTokenSettings,
  ServerConfig,
  VodAppConfig,
} from './schema.js';
export { DEFAULT_KEY_FILES } from './schema.js';
export type { RequestVariable } from './variables.js';
export { expandTemplate } from './variables.js';
