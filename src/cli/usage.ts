// Usage texts and the error type for bad command lines (exit code 2).

/** A command line that cannot be understood: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The top-level help. */
export const MAIN_USAGE = `Usage: hls-origin <command> [options]

Commands:
  serve          run the server (HTTP and RTMP on one port)
  genkey         write a fresh random key file for a stream
  check-config   validate a configuration file

Run 'hls-origin <command> --help' for a command's options.
`;

/** Help of each command. */
export const COMMAND_USAGE: Record<string, string> = {
  serve: `Usage: hls-origin serve [--config FILE]

Runs the server with FILE (default conf/Application.json). Stops gracefully on SIGINT or SIGTERM.
`,
  genkey: `Usage: hls-origin genkey --app APP --stream NAME [--instance INST] [--url URL] [--config FILE] [--force]

Writes a random AES-128 key file in Wowza's format at the first key-file path of the stream
(mode 0600, written atomically) and prints its lines. NAME may carry its prefix (mp4:a.mp4).
  --instance INST  application instance (default _definst_)
  --url URL        external key URL written as cupertinostreaming-aes128-url
  --config FILE    configuration (default conf/Application.json)
  --force          replace an existing key file
`,
  'check-config': `Usage: hls-origin check-config [--config FILE]

Validates FILE (default conf/Application.json): exit 0 when valid, else exit 1 with one
'path.to.field: message' line per problem.
`,
};

/** The config file used when --config is not given. */
export const DEFAULT_CONFIG_FILE = 'conf/Application.json';
