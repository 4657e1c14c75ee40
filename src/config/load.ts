// Reads conf/Application.json from disk and parses it; the only file I/O of the config module.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../core/errors.js';
import { ConfigError, ROOT_PATH } from './errors.js';
import { parseConfig } from './parse.js';
import type { Config } from './schema.js';

export type { ConfigProblem } from './errors.js';
export { ConfigError, formatProblems } from './errors.js';
export type { ParseConfigOptions, ParseConfigResult } from './parse.js';
export { parseConfig } from './parse.js';

/** A loaded config with where it came from and the warnings to log at start. */
export interface LoadedConfig {
  config: Config;
  /** The folder holding `conf/` (the parent of the config file's folder). */
  appHome: string;
  /** The config file's absolute path. */
  configFile: string;
  warnings: string[];
}

/** The folder holding `conf/` for a config file: the parent of the file's folder. */
export function appHomeOf(configFile: string): string {
  return path.dirname(path.dirname(path.resolve(configFile)));
}

/** Reads, parses and validates a config file; throws ConfigError (CONFIG_INVALID) listing every problem. */
export async function loadConfig(
  file: string,
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<LoadedConfig> {
  const configFile = path.resolve(file);
  const appHome = appHomeOf(configFile);
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch (err) {
    const problem = { path: ROOT_PATH, message: `cannot read ${configFile}: ${errorMessage(err)}` };
    throw new ConfigError(configFile, [problem], { cause: err });
  }
  const parsed = parseConfig(text, { appHome, env: opts.env ?? process.env });
  if (parsed.config === undefined) throw new ConfigError(configFile, parsed.problems);
  return { config: parsed.config, appHome, configFile, warnings: parsed.warnings };
}
