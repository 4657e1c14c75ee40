// Wowza key files (SPEC §5): `name: value` lines giving the AES-128 key, an optional external key URL,
// a fixed IV and whether the IV is written in the chunklist. Pure: text in, a KeyFile out.
import { createHash } from 'node:crypto';
import { HlsError } from '../core/errors.js';

/** Bytes of an AES-128 key or IV. */
const KEY_BYTES = 16;

/** Hex digits of an AES-128 key or IV. */
const KEY_HEX_DIGITS = KEY_BYTES * 2;

/** Hex characters of the key version (SPEC §5: a built-in key URI names the key's version). */
const VERSION_HEX_DIGITS = 8;

/** Hex digits shown by maskKey, as Wowza logs keys. */
const MASK_HEX_DIGITS = 4;

const KEY_NAME = 'cupertinostreaming-aes128-key';
const URL_NAME = 'cupertinostreaming-aes128-url';
const IV_NAME = 'cupertinostreaming-aes128-iv';
const IV_IN_CHUNKLIST_NAME = 'cupertinostreaming-aes128-iv-include-in-chunklist';
const METHOD_NAME = 'cupertinostreaming-aes128-method';

/** Prefixes of Wowza key-file settings this server reads past (other protocols, other DRM systems). */
const IGNORED_PREFIXES = [
  'cupertinostreaming-',
  'mpegdashstreaming-',
  'sanjosestreaming-',
  'smoothstreaming-',
];

/** Longest user text echoed in an error message. */
const MAX_ECHO = 40;

/** A parsed key file. */
export interface KeyFile {
  /** The 16-byte AES-128 key. */
  key: Buffer;
  /** External key URL (the "external method"), absolute http(s). */
  url?: string;
  /** Fixed 16-byte IV; without it each segment's media sequence number is its IV. */
  iv?: Buffer;
  /** Whether the playlist writes `IV=0x…` (default true). */
  ivInChunklist: boolean;
  /** The only method served. */
  method: 'AES-128';
}

/** A `name: value` line; names are dotted/dashed words. */
const LINE_PATTERN = /^([A-Za-z0-9._-]+)[ \t]*:[ \t]*(.*?)[ \t]*$/;

const HEX_PATTERN = /^[0-9A-Fa-f]+$/;

/** Quotes user text for an error message unless it is long or could be key material (a run of hex digits). */
function echo(text: string): string {
  return text.length <= MAX_ECHO && !/[0-9A-Fa-f]{8}/.test(text) ? ` "${text}"` : '';
}

function invalid(fileName: string, line: number, reason: string): HlsError {
  return new HlsError('KEY_FILE_INVALID', `${fileName}:${line}: ${reason}`);
}

/** Parses 32 hex digits; the reason names the field and never echoes the value. */
function parseHex16(value: string, what: string, fail: (reason: string) => HlsError): Buffer {
  if (value.length === 0) throw fail(`${what} is empty`);
  if (!HEX_PATTERN.test(value))
    throw fail(`${what} must be ${KEY_HEX_DIGITS} hex digits (found a non-hex character)`);
  if (value.length !== KEY_HEX_DIGITS) {
    throw fail(`${what} must be ${KEY_HEX_DIGITS} hex digits (found ${value.length})`);
  }
  return Buffer.from(value, 'hex');
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host.length > 0;
  } catch {
    return false;
  }
}

/** Removes a whole-line `#` comment or a trailing ` # …` comment. */
function stripComment(line: string): string {
  const trimmed = line.trim();
  if (trimmed.startsWith('#')) return '';
  const m = /[ \t]#/.exec(trimmed);
  return m === null ? trimmed : trimmed.slice(0, m.index).trimEnd();
}

/** Parses a key file; throws HlsError KEY_FILE_INVALID `<file>:<line>: <reason>` (never containing the key). */
export function parseKeyFile(text: string, fileName: string): KeyFile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let key: Buffer | undefined;
  let url: string | undefined;
  let iv: Buffer | undefined;
  let ivInChunklist: boolean | undefined;
  let method: 'AES-128' | undefined;
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const fail = (reason: string) => invalid(fileName, lineNo, reason);
    const line = stripComment(raw);
    if (line.length === 0) return;
    const m = LINE_PATTERN.exec(line);
    if (m === null) throw fail(`expected "name: value"`);
    const name = m[1]!.toLowerCase();
    const value = m[2]!;
    const once = <T>(current: T | undefined): void => {
      if (current !== undefined) throw fail(`second ${name} line`);
    };
    switch (name) {
      case KEY_NAME:
        once(key);
        key = parseHex16(value, 'key', fail);
        return;
      case URL_NAME:
        once(url);
        if (!isHttpUrl(value)) throw fail('url must be an absolute http:// or https:// URL');
        url = value;
        return;
      case IV_NAME:
        once(iv);
        iv = parseHex16(value, 'iv', fail);
        return;
      case IV_IN_CHUNKLIST_NAME: {
        once(ivInChunklist);
        const v = value.toLowerCase();
        if (v !== 'true' && v !== 'false') throw fail(`${name} must be true or false`);
        ivInChunklist = v === 'true';
        return;
      }
      case METHOD_NAME: {
        once(method);
        const v = value.toUpperCase();
        if (v === 'SAMPLE-AES') {
          throw fail('method SAMPLE-AES is not supported: this server encrypts whole segments, use AES-128');
        }
        if (v !== 'AES-128') throw fail(`method${echo(value)} is not supported, use AES-128`);
        method = 'AES-128';
        return;
      }
      default:
        if (IGNORED_PREFIXES.some((p) => name.startsWith(p))) return;
        throw fail(`unknown setting${echo(name)}`);
    }
  });
  if (key === undefined) throw invalid(fileName, lines.length, `no ${KEY_NAME} line`);
  const file: KeyFile = { key, ivInChunklist: ivInChunklist ?? true, method: method ?? 'AES-128' };
  if (url !== undefined) file.url = url;
  if (iv !== undefined) file.iv = iv;
  return file;
}

/** Key-file lines in Wowza's format (upper-case hex), ending with a newline; used by `genkey`. */
export function formatKeyFile(k: { key: Buffer; url?: string; iv?: Buffer }): string {
  if (k.key.length !== KEY_BYTES) throw new RangeError(`key must be ${KEY_BYTES} bytes`);
  const lines = [`${KEY_NAME}: ${k.key.toString('hex').toUpperCase()}`];
  if (k.url !== undefined) lines.push(`${URL_NAME}: ${k.url}`);
  if (k.iv !== undefined) {
    if (k.iv.length !== KEY_BYTES) throw new RangeError(`iv must be ${KEY_BYTES} bytes`);
    lines.push(`${IV_NAME}: ${k.iv.toString('hex').toUpperCase()}`);
  }
  return lines.join('\n') + '\n';
}

/** A key as it may appear in a log line: `*` and its last four hex digits, upper-case (e.g. `*A1D2`). */
export function maskKey(key: Buffer | string): string {
  const hex = typeof key === 'string' ? key.replace(/[^0-9A-Fa-f]/g, '') : key.toString('hex');
  return '*' + hex.slice(-MASK_HEX_DIGITS).toUpperCase();
}

/** The key's version: the first 8 hex digits of SHA-256 over key‖iv‖url; names it in built-in key URIs. */
export function keyVersion(file: Pick<KeyFile, 'key' | 'iv' | 'url'>): string {
  const h = createHash('sha256').update(file.key);
  if (file.iv !== undefined) h.update(file.iv);
  if (file.url !== undefined) h.update(file.url, 'utf8');
  return h.digest('hex').slice(0, VERSION_HEX_DIGITS);
}
