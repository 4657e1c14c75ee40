// `hls-origin check-config`: validates a config file and prints one line per problem.

import { ConfigError, formatProblems, loadConfig } from '../config/index.js';

/** Runs check-config; returns the exit code. */
export async function checkConfigCommand(
  file: string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
) {
  try {
    const loaded = await loadConfig(file);
    for (const w of loaded.warnings) err.write(`warning: ${w}\n`);
    out.write(`${loaded.configFile}: ok\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      err.write(`${formatProblems(e.problems)}\n`);
      return 1;
    }
    throw e;
  }
}
