// Wowza's SMIL adaptive sets (SPEC §6): the `<video>` and `<audio>` entries of a `<switch>`, each
// naming an MP4 under storageDir. Pure text in, renditions out; anything else is MEDIA_INVALID.
// A small forward-only scanner rather than regular expressions: a hostile file costs linear time.

import { HlsError } from '../core/errors.js';

/** One entry of a SMIL switch. */
export interface SmilRendition {
  /** The MP4's name under storageDir, without an `mp4:` prefix. */
  readonly file: string;
  /** What the file declares (system-bitrate, or videoBitrate + audioBitrate params), bits/s. */
  readonly bitrate?: number;
  readonly width?: number;
  readonly height?: number;
}

/** Renditions a SMIL file may list: file names carry the index in at most three digits. */
export const MAX_SMIL_RENDITIONS = 32;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NAME_START = /[A-Za-z_:]/;
const NAME_CHAR = /[\w:.-]/;
const SPACE = /\s/;

function invalid(reason: string): HlsError {
  return new HlsError('MEDIA_INVALID', `invalid SMIL file: ${reason}`);
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_m, name: string) => ENTITIES[name] ?? '');
}

/** `text` without its `<!-- … -->` comments (an unclosed comment runs to the end). */
function withoutComments(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const open = text.indexOf('<!--', at);
    if (open < 0) return out + text.slice(at);
    out += text.slice(at, open);
    const close = text.indexOf('-->', open + 4);
    if (close < 0) return out;
    at = close + 3;
  }
}

/** One element found by `nextElement`. */
interface Element {
  readonly attributes: Map<string, string>;
  /** What lies between the start and end tags ('' for `<x/>`). */
  readonly body: string;
  /** Where scanning goes on. */
  readonly end: number;
}

/** Parses `name="value"` pairs (either quote); anything else is MEDIA_INVALID. */
function parseAttributes(text: string, what: string): Map<string, string> {
  const attributes = new Map<string, string>();
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && SPACE.test(text[i]!)) i++;
  };
  for (;;) {
    skipSpace();
    if (i >= text.length || (text[i] === '/' && i === text.length - 1)) return attributes;
    const nameStart = i;
    if (!NAME_START.test(text[i]!)) throw invalid(`malformed attributes in ${what}`);
    while (i < text.length && NAME_CHAR.test(text[i]!)) i++;
    const name = text.slice(nameStart, i).toLowerCase();
    skipSpace();
    if (text[i] !== '=') throw invalid(`attribute ${name} of ${what} has no value`);
    i++;
    skipSpace();
    const quote = text[i];
    if (quote !== '"' && quote !== "'") throw invalid(`attribute ${name} of ${what} is not quoted`);
    const close = text.indexOf(quote, i + 1);
    if (close < 0) throw invalid(`attribute ${name} of ${what} is not closed`);
    attributes.set(name, decodeEntities(text.slice(i + 1, close)));
    i = close + 1;
  }
}

/**
 * The next `<tag …/>` or `<tag …>…</tag>` in `lower` (the text lower-cased) from `from`, one of
 * `tags`; undefined when there is none.
 */
function nextElement(
  text: string,
  lower: string,
  from: number,
  tags: readonly string[],
  what: () => string,
): (Element & { readonly tag: string }) | undefined {
  let at = from;
  for (;;) {
    const open = lower.indexOf('<', at);
    if (open < 0) return undefined;
    const tag = tags.find(
      (t) => lower.startsWith(t, open + 1) && !NAME_CHAR.test(lower[open + 1 + t.length] ?? ''),
    );
    if (tag === undefined) {
      at = open + 1;
      continue;
    }
    // The start tag ends at the first `>` outside quotes.
    let i = open + 1 + tag.length;
    let quote = '';
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (quote !== '') {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') break;
    }
    if (i >= text.length) throw invalid(`the <${tag}> of ${what()} is not closed`);
    const inside = text.slice(open + 1 + tag.length, i);
    const attributes = parseAttributes(inside, what());
    if (inside.trimEnd().endsWith('/')) return { tag, attributes, body: '', end: i + 1 };
    const close = lower.indexOf(`</${tag}`, i + 1);
    if (close < 0) throw invalid(`the <${tag}> of ${what()} has no </${tag}>`);
    const end = lower.indexOf('>', close);
    return { tag, attributes, body: text.slice(i + 1, close), end: end < 0 ? text.length : end + 1 };
  }
}

/** A non-negative integer attribute or param, or undefined when absent; garbage is MEDIA_INVALID. */
function count(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\s*\d{1,12}\s*$/.test(value))
    throw invalid(`${what} is not a whole number: ${JSON.stringify(value)}`);
  return Number(value);
}

/** The MP4 name an entry's src gives: `mp4:` stripped; other prefixes and absolute names refused. */
function fileOf(src: string | undefined, entry: number): string {
  if (src === undefined || src.trim() === '') throw invalid(`entry ${entry} has no src`);
  let file = src.trim();
  const prefix = /^([a-z0-9]+):/i.exec(file);
  if (prefix) {
    if (prefix[1]!.toLowerCase() !== 'mp4') {
      throw new HlsError(
        'UNSUPPORTED_MEDIA',
        `SMIL entry ${entry}: only mp4: sources can be served, not ${prefix[0]}`,
      );
    }
    file = file.slice(prefix[0].length);
  }
  if (file.startsWith('/') || file.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw invalid(`entry ${entry} names no file under storageDir: ${JSON.stringify(src)}`);
  }
  return file;
}

/** The params of an entry's body, by lower-cased name. */
function paramsOf(body: string, what: () => string): Map<string, string> {
  const params = new Map<string, string>();
  const lower = body.toLowerCase();
  let at = 0;
  for (;;) {
    const p = nextElement(body, lower, at, ['param'], what);
    if (p === undefined) return params;
    const name = p.attributes.get('name');
    if (name !== undefined) params.set(name.toLowerCase(), p.attributes.get('value') ?? '');
    at = p.end;
  }
}

/** Parses the renditions of a SMIL file, in the order it lists them. */
export function parseSmil(text: string): SmilRendition[] {
  const body = withoutComments(text);
  let lower = body.toLowerCase();
  if (!/<smil\b/.test(lower)) throw invalid('no <smil> element');
  // The entries of the first <switch>; without one, every entry of the file.
  let scope = body;
  const switchAt = lower.indexOf('<switch');
  if (switchAt >= 0) {
    const start = lower.indexOf('>', switchAt);
    const end = start < 0 ? -1 : lower.indexOf('</switch', start);
    scope = start < 0 ? '' : body.slice(start + 1, end < 0 ? body.length : end);
    lower = scope.toLowerCase();
  }
  const renditions: SmilRendition[] = [];
  let at = 0;
  for (;;) {
    const entry = renditions.length + 1;
    const what = () => `entry ${entry}`;
    const e = nextElement(scope, lower, at, ['video', 'audio'], what);
    if (e === undefined) break;
    if (entry > MAX_SMIL_RENDITIONS) throw invalid(`more than ${MAX_SMIL_RENDITIONS} entries`);
    at = e.end;
    const params = paramsOf(e.body, what);
    const systemBitrate = count(e.attributes.get('system-bitrate'), `entry ${entry} system-bitrate`);
    const video = count(params.get('videobitrate'), `entry ${entry} videoBitrate`);
    const audio = count(params.get('audiobitrate'), `entry ${entry} audioBitrate`);
    const summed = video === undefined && audio === undefined ? undefined : (video ?? 0) + (audio ?? 0);
    renditions.push({
      file: fileOf(e.attributes.get('src'), entry),
      bitrate: systemBitrate ?? summed,
      width: count(e.attributes.get('width') ?? params.get('width'), `entry ${entry} width`),
      height: count(e.attributes.get('height') ?? params.get('height'), `entry ${entry} height`),
    });
  }
  if (renditions.length === 0) throw invalid('no <video> or <audio> entry');
  return renditions;
}
