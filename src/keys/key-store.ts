// The key store: finds a stream's key file, caches it by path, re-reads it when it changes on disk
// (polling with stat, so NFS works), keeps superseded versions for a while, and handles missing keys.
import { randomBytes } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import { HlsError } from '../core/errors.js';
import { formatKeyFile, type KeyFile, keyVersion, maskKey, parseKeyFile } from './key-file.js';
import { createKeyFileExclusive } from './key-file-writer.js';
import { keyFileCandidates } from './key-lookup.js';

export { writeNewKeyFile } from './key-file-writer.js';

/** How long a stat result is trusted before a key file is checked again. */
const DEFAULT_REVALIDATE_MS = 1000;

/** How long a superseded key stays available to segments still in a live window. */
const DEFAULT_RETAIN_MS = 10 * 60 * 1000;

/** Superseded versions kept per key file. */
const DEFAULT_RETAIN_PER_PATH = 16;

/** Bound on cached paths and on "warned once" streams, so unknown names cannot grow memory without end. */
const MAX_CACHED_PATHS = 4096;

/** Bytes of an AES-128 key. */
const KEY_BYTES = 16;

/** The pino-like logger the store writes to. */
export interface KeyStoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Construction options of KeyStore. */
export interface KeyStoreOptions {
  logger: KeyStoreLogger;
  /** Clock in milliseconds (default Date.now). */
  now?: () => number;
  /** Minimum time between two stat calls of one path (default 1000 ms). */
  revalidateMs?: number;
  /** How long superseded key versions are kept (default 10 minutes). */
  retainMs?: number;
  /** Superseded versions kept per path (default 16). */
  retainPerPath?: number;
}

/** What to do when no key file exists: refuse (403), generate one, or serve in the clear with a warning. */
export type MissingKeyPolicy = 'refuse' | 'generate' | 'plain';

/** One stream's key request; `stream` is the name without its prefix. */
export interface KeyRequest {
  app: string;
  instance: string;
  stream: string;
  keyDir: string;
  keyFiles: readonly string[];
  missingKey: MissingKeyPolicy;
}

/** A stream's key and where it came from, or `plain` when policy allows serving unencrypted. */
export type ResolvedKey = { kind: 'key'; file: KeyFile; path: string; version: string } | { kind: 'plain' };

/** The on-disk identity of a file; a change in any field means it is read again. */
interface FileSignature {
  mtimeMs: number;
  ctimeMs: number;
  size: number;
  ino: number;
}

type PathState =
  | { kind: 'missing' }
  | { kind: 'key'; file: KeyFile; version: string; sig: FileSignature }
  | { kind: 'invalid'; error: HlsError; sig: FileSignature };

interface CacheEntry {
  state: PathState;
  checkedAt: number;
  /** Order in which the check that produced `state` started; an older check never overwrites a newer one. */
  seq: number;
}

interface RetiredKey {
  file: KeyFile;
  version: string;
  retiredAt: number;
}

function signatureOf(st: Stats): FileSignature {
  return { mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, size: st.size, ino: st.ino };
}

function sameSignature(a: FileSignature, b: FileSignature): boolean {
  return a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.size === b.size && a.ino === b.ino;
}

/** Signature of a file that could not be stat'ed. */
const NO_SIGNATURE: FileSignature = { mtimeMs: 0, ctimeMs: 0, size: 0, ino: 0 };

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Finds, caches and generates key files; see SPEC §5. */
export class KeyStore {
  readonly #logger: KeyStoreLogger;
  readonly #now: () => number;
  readonly #revalidateMs: number;
  readonly #retainMs: number;
  readonly #retainPerPath: number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #loading = new Map<string, Promise<PathState>>();
  readonly #generating = new Map<string, Promise<PathState>>();
  readonly #retired = new Map<string, RetiredKey[]>();
  readonly #plainWarned = new Set<string>();
  #refreshSeq = 0;

  constructor(opts: KeyStoreOptions) {
    this.#logger = opts.logger;
    this.#now = opts.now ?? Date.now;
    this.#revalidateMs = opts.revalidateMs ?? DEFAULT_REVALIDATE_MS;
    this.#retainMs = opts.retainMs ?? DEFAULT_RETAIN_MS;
    this.#retainPerPath = opts.retainPerPath ?? DEFAULT_RETAIN_PER_PATH;
  }

  /** The stream's key: the first existing candidate file, else what `missingKey` says. Throws KEY_FILE_INVALID, KEY_MISSING, BAD_PATH. */
  async resolve(req: KeyRequest): Promise<ResolvedKey> {
    const candidates = this.#candidates(req);
    const found = await this.#findExisting(candidates);
    if (found !== undefined) return found;
    const streamId = `${req.app}/${req.instance}/${req.stream}`;
    switch (req.missingKey) {
      case 'generate':
        return this.#generate(candidates[0]!);
      case 'plain':
        if (!this.#plainWarned.has(streamId)) {
          if (this.#plainWarned.size >= MAX_CACHED_PATHS) this.#plainWarned.clear();
          this.#plainWarned.add(streamId);
          this.#logger.warn({ stream: streamId, candidates }, 'no key file: serving this stream UNENCRYPTED');
        }
        return { kind: 'plain' };
      default:
        this.#logger.error({ stream: streamId, candidates }, 'no key file: refusing the stream');
        throw new HlsError('KEY_MISSING', `no key for ${streamId}`);
    }
  }

  /** The stream's key of version `version`: the current one, or a superseded one still retained; else undefined. */
  async keyForVersion(req: KeyRequest, version: string): Promise<KeyFile | undefined> {
    const candidates = this.#candidates(req);
    let failure: unknown;
    try {
      const current = await this.#findExisting(candidates);
      if (current?.kind === 'key' && current.version === version) return current.file;
    } catch (err) {
      failure = err; // a malformed current file does not hide keys that segments still use
    }
    const now = this.#now();
    for (const candidate of candidates) {
      const old = this.#retiredOf(candidate, now).find((r) => r.version === version);
      if (old !== undefined) return old.file;
    }
    if (failure !== undefined) throw failure;
    return undefined;
  }

  #candidates(req: KeyRequest): string[] {
    return keyFileCandidates(req.keyFiles, {
      keyDir: req.keyDir,
      app: req.app,
      instance: req.instance,
      stream: req.stream,
    });
  }

  async #findExisting(candidates: readonly string[]): Promise<ResolvedKey | undefined> {
    for (const candidate of candidates) {
      const state = await this.#load(candidate);
      if (state.kind === 'invalid') throw state.error;
      if (state.kind === 'key')
        return { kind: 'key', file: state.file, path: candidate, version: state.version };
    }
    return undefined;
  }

  /** The state of one path, from the cache while fresh, else from a stat (and a read when it changed). */
  #load(filePath: string, force = false): Promise<PathState> {
    const cached = this.#cache.get(filePath);
    if (!force && cached !== undefined && this.#now() - cached.checkedAt < this.#revalidateMs) {
      return Promise.resolve(cached.state);
    }
    const pending = this.#loading.get(filePath);
    // A forced load must see the disk after the caller's own write, so it never joins an earlier stat.
    if (pending !== undefined && !force) return pending;
    const p = this.#refresh(filePath).finally(() => {
      if (this.#loading.get(filePath) === p) this.#loading.delete(filePath);
    });
    this.#loading.set(filePath, p);
    return p;
  }

  async #refresh(filePath: string): Promise<PathState> {
    const seq = ++this.#refreshSeq;
    const checkedAt = this.#now();
    const previous = this.#cache.get(filePath)?.state;
    let state: PathState;
    try {
      const st = await fs.stat(filePath);
      const sig = signatureOf(st);
      if (previous !== undefined && previous.kind !== 'missing' && sameSignature(previous.sig, sig)) {
        state = previous;
      } else {
        state = await this.#read(filePath, sig, st);
      }
    } catch (err) {
      state = isNotFound(err) ? { kind: 'missing' } : this.#unreadable(filePath, err, previous);
    }
    this.#store(filePath, state, checkedAt, seq);
    return state;
  }

  async #read(filePath: string, sig: FileSignature, st: Stats): Promise<PathState> {
    if (!st.isFile()) return this.#invalid(filePath, `${filePath}:0: not a regular file`, sig);
    let text: string;
    try {
      text = await fs.readFile(filePath, 'utf8');
    } catch (err) {
      if (isNotFound(err)) return { kind: 'missing' }; // removed between stat and read
      return this.#invalid(filePath, `${filePath}:0: cannot read: ${errnoCode(err)}`, sig, err);
    }
    try {
      const file = parseKeyFile(text, filePath);
      return { kind: 'key', file, version: keyVersion(file), sig };
    } catch (err) {
      if (!(err instanceof HlsError)) throw err;
      return this.#invalid(filePath, err.message, sig);
    }
  }

  /** A stat that failed for another reason than absence (e.g. EACCES): unusable, logged once until it changes. */
  #unreadable(filePath: string, err: unknown, previous: PathState | undefined): PathState {
    const message = `${filePath}:0: cannot read: ${errnoCode(err)}`;
    if (previous?.kind === 'invalid' && previous.error.message === message) return previous;
    return this.#invalid(filePath, message, NO_SIGNATURE, err);
  }

  /** An invalid state; logged here, when the file's signature changes, so a broken file is reported once per edit. */
  #invalid(filePath: string, message: string, sig: FileSignature, cause?: unknown): PathState {
    const error = new HlsError('KEY_FILE_INVALID', message, cause === undefined ? undefined : { cause });
    this.#logger.error({ file: filePath, code: error.code }, message);
    return { kind: 'invalid', error, sig };
  }

  #store(filePath: string, state: PathState, checkedAt: number, seq: number): void {
    const current = this.#cache.get(filePath);
    if (current !== undefined && current.seq > seq) return; // a later check already answered
    const previous = current?.state;
    if (previous?.kind === 'key' && (state.kind !== 'key' || state.version !== previous.version)) {
      this.#retire(filePath, previous, checkedAt);
    }
    if (state.kind === 'key' && previous?.kind === 'key' && state.version !== previous.version) {
      this.#logger.info(
        { file: filePath, key: maskKey(state.file.key), version: state.version },
        'key file changed',
      );
    }
    if (current === undefined && this.#cache.size >= MAX_CACHED_PATHS) this.#evictOne();
    this.#cache.set(filePath, { state, checkedAt, seq });
  }

  #evictOne(): void {
    for (const [p, entry] of this.#cache) {
      if (entry.state.kind === 'missing') {
        this.#cache.delete(p);
        return;
      }
    }
    const oldest = this.#cache.keys().next();
    if (oldest.done !== true) this.#cache.delete(oldest.value);
  }

  #retire(filePath: string, old: Extract<PathState, { kind: 'key' }>, now: number): void {
    const list = this.#retiredOf(filePath, now).filter((r) => r.version !== old.version);
    list.unshift({ file: old.file, version: old.version, retiredAt: now });
    list.length = Math.min(list.length, this.#retainPerPath);
    this.#retired.set(filePath, list);
  }

  /** Retained versions of a path, dropping those older than the retention time. */
  #retiredOf(filePath: string, now: number): RetiredKey[] {
    const list = this.#retired.get(filePath);
    if (list === undefined) return [];
    const kept = list.filter((r) => now - r.retiredAt < this.#retainMs);
    if (kept.length === 0) this.#retired.delete(filePath);
    else if (kept.length !== list.length) this.#retired.set(filePath, kept);
    return kept;
  }

  /** Creates a random key file at `filePath` unless one appears first; all concurrent callers share the outcome. */
  async #generate(filePath: string): Promise<ResolvedKey> {
    let pending = this.#generating.get(filePath);
    if (pending === undefined) {
      pending = this.#createAndLoad(filePath).finally(() => this.#generating.delete(filePath));
      this.#generating.set(filePath, pending);
    }
    const state = await pending;
    if (state.kind === 'invalid') throw state.error;
    if (state.kind === 'missing') {
      throw new HlsError('KEY_FILE_INVALID', `key file ${filePath} vanished after it was created`);
    }
    return { kind: 'key', file: state.file, path: filePath, version: state.version };
  }

  async #createAndLoad(filePath: string): Promise<PathState> {
    const key = randomBytes(KEY_BYTES);
    const outcome = await createKeyFileExclusive(filePath, formatKeyFile({ key }));
    if (outcome === 'created') {
      this.#logger.info({ file: filePath, key: maskKey(key) }, 'generated a new key file');
    }
    // Read back what is on disk: ours, or the file another process linked there first.
    return this.#load(filePath, true);
  }
}
