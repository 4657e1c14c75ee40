// Writes new key files atomically with mode 0600: a temp file in the same folder, then a hard link
// (never replacing an existing file) or, when forced, a rename over it.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HlsError } from '../core/errors.js';
import { formatKeyFile, type KeyFile, parseKeyFile } from './key-file.js';

/** Key files are readable by their owner only. */
export const KEY_FILE_MODE = 0o600;

/** Folders made for key files are private to their owner. */
const KEY_DIR_MODE = 0o700;

/** Bytes of an AES-128 key. */
const KEY_BYTES = 16;

/** Random bytes naming a temp file. */
const TEMP_NAME_BYTES = 6;

function ioError(filePath: string, err: unknown): HlsError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new HlsError('KEY_FILE_INVALID', `cannot write key file ${filePath}: ${code}`, { cause: err });
}

/** Writes `text` to a fresh temp file beside `finalPath` (mode 0600, synced) and returns its path. */
async function writeTemp(finalPath: string, text: string): Promise<string> {
  const dir = path.dirname(finalPath);
  await fs.mkdir(dir, { recursive: true, mode: KEY_DIR_MODE });
  const tmp = path.join(
    dir,
    `.${path.basename(finalPath)}.${process.pid}.${randomBytes(TEMP_NAME_BYTES).toString('hex')}.tmp`,
  );
  const fh = await fs.open(tmp, 'wx', KEY_FILE_MODE);
  try {
    await fh.chmod(KEY_FILE_MODE); // the umask may have narrowed it; make it exactly 0600
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } catch (err) {
    await fh.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  return tmp;
}

/** Creates `finalPath` holding `text` unless it exists; never overwrites. Returns whether this call created it. */
export async function createKeyFileExclusive(finalPath: string, text: string): Promise<'created' | 'exists'> {
  let tmp: string | undefined;
  try {
    tmp = await writeTemp(finalPath, text);
    await fs.link(tmp, finalPath);
    return 'created';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
    throw ioError(finalPath, err);
  } finally {
    if (tmp !== undefined) await fs.rm(tmp, { force: true });
  }
}

/** Options of writeNewKeyFile: an external key URL, replace an existing file, a given key (default random). */
export interface WriteKeyFileOptions {
  url?: string;
  force?: boolean;
  key?: Buffer;
}

/** Writes a new key file (random key unless given) atomically with mode 0600; refuses an existing file unless `force`. */
export async function writeNewKeyFile(filePath: string, opts: WriteKeyFileOptions): Promise<KeyFile> {
  const key = opts.key ?? randomBytes(KEY_BYTES);
  if (key.length !== KEY_BYTES) throw new HlsError('BAD_REQUEST', `a key must be ${KEY_BYTES} bytes`);
  const text = formatKeyFile(opts.url === undefined ? { key } : { key, url: opts.url });
  // Parsing what we are about to write checks the URL with the same rules the server applies.
  let file: KeyFile;
  try {
    file = parseKeyFile(text, filePath);
  } catch (err) {
    const reason = err instanceof HlsError ? err.message.replace(/^.*?:\d+: /, '') : 'invalid';
    throw new HlsError('BAD_REQUEST', `cannot write key file ${filePath}: ${reason}`, { cause: err });
  }
  if (opts.force === true) {
    let tmp: string | undefined;
    try {
      tmp = await writeTemp(filePath, text);
      await fs.rename(tmp, filePath);
      tmp = undefined;
    } catch (err) {
      throw ioError(filePath, err);
    } finally {
      if (tmp !== undefined) await fs.rm(tmp, { force: true });
    }
    return file;
  }
  const outcome = await createKeyFileExclusive(filePath, text);
  if (outcome === 'exists') {
    throw new HlsError('BAD_REQUEST', `key file ${filePath} exists; use --force to replace it`);
  }
  return file;
}
