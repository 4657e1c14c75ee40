// `hls-origin genkey`: writes a fresh random key file at the stream's first key-file path.

import { loadConfig } from '../config/index.js';
import { HlsError } from '../core/errors.js';
import { DEFAULT_INSTANCE, streamKindOf } from '../http/stream-path.js';
import { formatKeyFile } from '../keys/key-file.js';
import { keyFileCandidates } from '../keys/key-lookup.js';
import { writeNewKeyFile } from '../keys/key-store.js';

/** Options of genkey, as parsed from argv. */
export interface GenkeyOptions {
  readonly config: string;
  readonly app: string;
  readonly stream: string;
  readonly instance?: string;
  readonly url?: string;
  readonly force: boolean;
}

/** Runs genkey; returns the exit code. */
export async function genkeyCommand(opts: GenkeyOptions, out: NodeJS.WritableStream): Promise<number> {
  const { config } = await loadConfig(opts.config);
  const app = Object.hasOwn(config.applications, opts.app) ? config.applications[opts.app] : undefined;
  if (!app) {
    const known = Object.keys(config.applications).join(', ');
    throw new HlsError('BAD_REQUEST', `unknown application "${opts.app}" (configured: ${known})`);
  }
  const [target] = keyFileCandidates(app.encryption.keyFiles, {
    keyDir: app.keyDir,
    app: opts.app,
    instance: opts.instance ?? DEFAULT_INSTANCE,
    stream: streamKindOf(opts.stream).name,
  });
  if (target === undefined) throw new HlsError('CONFIG_INVALID', 'encryption.keyFiles is empty');
  const file = await writeNewKeyFile(target, { url: opts.url, force: opts.force });
  out.write(`# ${target}\n${formatKeyFile(file)}`);
  return 0;
}
