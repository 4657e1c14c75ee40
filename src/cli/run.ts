// The command line: parses argv, runs a command, maps failures to exit codes
// (0 ok, 1 a problem the user can fix, 2 bad usage) without stack traces.

import { parseArgs } from 'node:util';
import { ConfigError, formatProblems } from '../config/index.js';
import { errorMessage, isHlsError } from '../core/errors.js';
import { checkConfigCommand } from './check-config.js';
import { genkeyCommand } from './genkey.js';
import { serveCommand } from './serve.js';
import { COMMAND_USAGE, DEFAULT_CONFIG_FILE, MAIN_USAGE, UsageError } from './usage.js';

const OPTIONS = {
  serve: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  'check-config': { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  genkey: {
    config: { type: 'string' },
    app: { type: 'string' },
    stream: { type: 'string' },
    instance: { type: 'string' },
    url: { type: 'string' },
    force: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
} as const;

type Command = keyof typeof OPTIONS;

function isCommand(name: string): name is Command {
  return Object.hasOwn(OPTIONS, name);
}

/** Runs the command line `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(MAIN_USAGE);
    return name === undefined ? 2 : 0;
  }
  try {
    if (!isCommand(name)) throw new UsageError(`unknown command: ${name}`);
    let values: Record<string, string | boolean | undefined>;
    try {
      const parsed = parseArgs({
        args: [...rest],
        options: OPTIONS[name],
        strict: true,
        allowPositionals: false,
      });
      values = parsed.values as Record<string, string | boolean | undefined>;
    } catch (err) {
      throw new UsageError(errorMessage(err));
    }
    if (values.help) {
      process.stdout.write(COMMAND_USAGE[name] ?? MAIN_USAGE);
      return 0;
    }
    const config = typeof values.config === 'string' ? values.config : DEFAULT_CONFIG_FILE;
    switch (name) {
      case 'serve':
        return await serveCommand(config);
      case 'check-config':
        return await checkConfigCommand(config, process.stdout, process.stderr);
      case 'genkey': {
        const app = values.app;
        const stream = values.stream;
        if (typeof app !== 'string' || typeof stream !== 'string') {
          throw new UsageError('genkey needs --app and --stream');
        }
        return await genkeyCommand(
          {
            config,
            app,
            stream,
            instance: typeof values.instance === 'string' ? values.instance : undefined,
            url: typeof values.url === 'string' ? values.url : undefined,
            force: values.force === true,
          },
          process.stdout,
        );
      }
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(
        `hls-origin: ${err.message}\n\n${isCommand(name) ? COMMAND_USAGE[name] : MAIN_USAGE}`,
      );
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${formatProblems(err.problems)}\n`);
      return 1;
    }
    if (isHlsError(err) || (err as NodeJS.ErrnoException)?.code !== undefined) {
      process.stderr.write(`hls-origin: ${errorMessage(err)}\n`);
      return 1;
    }
    process.stderr.write(`hls-origin: internal error: ${errorMessage(err)}\n`);
    return 1;
  }
}
