// HLS playlists (RFC 8216) fetched from an upstream origin we do not trust: another hls-origin,
// nginx-rtmp, Wowza, ffmpeg. Pure text in, typed playlist out. Malformed input is UPSTREAM_FAILED;
// what we cannot re-serve (SAMPLE-AES, byte ranges, fMP4) is UNSUPPORTED_MEDIA. A line scanner with
// only anchored, non-nesting regular expressions: a hostile playlist costs linear time.

import { HlsError } from '../core/errors.js';
import type { VariantInfo } from '../core/stream.js';

/** One EXT-X-STREAM-INF of a master playlist (RFC 8216 §4.3.4.2): its figures and URI. */
export interface UpstreamVariant extends Omit<VariantInfo, 'rendition'> {
  /** As written (relative or absolute); the caller resolves it. */
  readonly uri: string;
}

/** The encryption an EXT-X-KEY tag puts in force (RFC 8216 §4.3.2.4). */
export interface UpstreamKey {
  readonly method: 'NONE' | 'AES-128';
  /** As written. */
  readonly uri?: string;
  /** 16 bytes when IV= is given; without it the IV is the segment's media sequence number (§5.2). */
  readonly iv?: Buffer;
}

/** One media segment of a media playlist. */
export interface UpstreamSegment {
  /** As written. */
  readonly uri: string;
  /** EXT-X-MEDIA-SEQUENCE plus the segment's index. */
  readonly sequence: number;
  /** EXTINF seconds. */
  readonly duration: number;
  /** An EXT-X-DISCONTINUITY came before it. */
  readonly discontinuity: boolean;
  /** The EXT-X-PROGRAM-DATE-TIME that came before it, if any. */
  readonly programDateTime?: Date;
  /** The EXT-X-KEY in force for it; METHOD=NONE when there is none. */
  readonly key: UpstreamKey;
}

/** What an upstream media playlist says that we can re-serve. */
export interface UpstreamMediaPlaylist {
  readonly targetDuration: number;
  readonly mediaSequence: number;
  readonly discontinuitySequence: number;
  readonly endList: boolean;
  /** EXT-X-PLAYLIST-TYPE: a VOD playlist never changes, an EVENT one only grows. */
  readonly playlistType?: 'VOD' | 'EVENT';
  readonly segments: readonly UpstreamSegment[];
}

/** A parsed upstream playlist: a master lists variants, a media playlist lists segments. */
export type UpstreamPlaylist =
  | { readonly kind: 'master'; readonly variants: readonly UpstreamVariant[] }
  | { readonly kind: 'media'; readonly playlist: UpstreamMediaPlaylist };

/** Segments one media playlist may list: a long VOD at 2 s segments is about 5 hours. */
export const MAX_UPSTREAM_SEGMENTS = 10_000;
/** Variants one master playlist may list. */
export const MAX_UPSTREAM_VARIANTS = 64;

/** Bytes of an AES-128 IV (RFC 8216 §4.3.2.4: a 128-bit hexadecimal integer). */
const IV_BYTES = 16;
const BYTE_ORDER_MARK = '\uFEFF';
/** Upstream text quoted in an error message is cut to this many characters. */
const QUOTE_LIMIT = 40;
const NO_KEY: UpstreamKey = Object.freeze({ method: 'NONE' });

const WHOLE_NUMBER = /^\d+$/;
/** decimal-floating-point (§4.2), unsigned. */
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const HEX_IV = new RegExp(`^0[xX][0-9a-fA-F]{${IV_BYTES * 2}}$`);
const RESOLUTION = /^(\d{1,6})x(\d{1,6})$/;
/** ISO 8601 with a zone, as §4.3.2.6 asks; ffmpeg writes the offset without a colon. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;
const ATTRIBUTE_NAME = /^[A-Z0-9-]+$/;
/** C0, DEL and C1: nothing a URI may carry, and a way to split or forge lines when re-served. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function invalid(reason: string): HlsError {
  return new HlsError('UPSTREAM_FAILED', `upstream playlist invalid: ${reason}`);
}

function unsupported(reason: string): HlsError {
  return new HlsError('UNSUPPORTED_MEDIA', `upstream playlist cannot be re-served: ${reason}`);
}

/** Upstream text for an error message: cut short and JSON-quoted, so control characters are escaped. */
function quote(text: string): string {
  return JSON.stringify(text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text);
}

/** A decimal-integer (§4.2) that is a safe integer, or undefined. */
function wholeNumber(text: string): number | undefined {
  if (!WHOLE_NUMBER.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A finite unsigned decimal, or undefined. */
function decimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Parses an attribute list (§4.2): `NAME=value` pairs separated by commas, where a quoted string
 * may hold commas. Values come back without their quotes. `where` names the tag in errors.
 */
function parseAttributes(text: string, where: string): ReadonlyMap<string, string> {
  const attributes = new Map<string, string>();
  let i = 0;
  for (;;) {
    while (text[i] === ' ') i++;
    if (i >= text.length) return attributes;
    const eq = text.indexOf('=', i);
    if (eq < 0) throw invalid(`${where}: attribute ${quote(text.slice(i))} has no value`);
    const name = text.slice(i, eq).trim();
    if (!ATTRIBUTE_NAME.test(name)) throw invalid(`${where}: bad attribute name ${quote(name)}`);
    if (attributes.has(name)) throw invalid(`${where}: ${name} appears twice`);
    if (text[eq + 1] === '"') {
      const close = text.indexOf('"', eq + 2);
      if (close < 0) throw invalid(`${where}: ${name} has no closing quote`);
      attributes.set(name, text.slice(eq + 2, close));
      i = close + 1;
      while (text[i] === ' ') i++;
      if (i < text.length && text[i] !== ',') throw invalid(`${where}: text after the quoted ${name}`);
      i++;
    } else {
      const comma = text.indexOf(',', eq + 1);
      const end = comma < 0 ? text.length : comma;
      attributes.set(name, text.slice(eq + 1, end).trim());
      i = end + 1;
    }
  }
}

/** The variant an EXT-X-STREAM-INF describes, without its URI. */
function variantOf(attributes: ReadonlyMap<string, string>, where: string): Omit<UpstreamVariant, 'uri'> {
  const bandwidthText = attributes.get('BANDWIDTH');
  if (bandwidthText === undefined) throw invalid(`${where}: no BANDWIDTH`);
  const bandwidth = wholeNumber(bandwidthText);
  if (bandwidth === undefined) {
    throw invalid(`${where}: BANDWIDTH ${quote(bandwidthText)} is not a whole number`);
  }
  const averageText = attributes.get('AVERAGE-BANDWIDTH');
  const averageBandwidth = averageText === undefined ? undefined : wholeNumber(averageText);
  if (averageText !== undefined && averageBandwidth === undefined) {
    throw invalid(`${where}: AVERAGE-BANDWIDTH ${quote(averageText)} is not a whole number`);
  }
  const resolutionText = attributes.get('RESOLUTION');
  const size = resolutionText === undefined ? undefined : RESOLUTION.exec(resolutionText);
  if (resolutionText !== undefined && !size) {
    throw invalid(`${where}: RESOLUTION ${quote(resolutionText)} is not WIDTHxHEIGHT`);
  }
  const frameRateText = attributes.get('FRAME-RATE');
  const frameRate = frameRateText === undefined ? undefined : decimal(frameRateText);
  if (frameRateText !== undefined && !frameRate) {
    throw invalid(`${where}: FRAME-RATE ${quote(frameRateText)} is not a positive number`);
  }
  const codecs = (attributes.get('CODECS') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  return {
    bandwidth,
    ...(averageBandwidth === undefined ? {} : { averageBandwidth }),
    codecs,
    ...(size ? { resolution: { width: Number(size[1]), height: Number(size[2]) } } : {}),
    ...(frameRate === undefined ? {} : { frameRate }),
  };
}

/** The key an EXT-X-KEY puts in force; methods and key formats we cannot re-serve are refused. */
function keyOf(attributes: ReadonlyMap<string, string>, where: string): UpstreamKey {
  const method = attributes.get('METHOD');
  if (method === undefined) throw invalid(`${where}: no METHOD`);
  if (method !== 'NONE' && method !== 'AES-128') {
    throw unsupported(`${where}: METHOD ${quote(method)} (only NONE and AES-128)`);
  }
  const format = attributes.get('KEYFORMAT');
  if (format !== undefined && format !== 'identity') {
    throw unsupported(`${where}: KEYFORMAT ${quote(format)} (only identity)`);
  }
  if (method === 'NONE') return NO_KEY;
  const uri = attributes.get('URI');
  if (uri === undefined || uri.trim() === '') throw invalid(`${where}: METHOD=AES-128 without a URI`);
  if (CONTROL.test(uri)) throw invalid(`${where}: key URI contains control characters`);
  const iv = attributes.get('IV');
  if (iv === undefined) return { method, uri };
  if (!HEX_IV.test(iv)) throw invalid(`${where}: IV ${quote(iv)} is not 0x and ${IV_BYTES * 2} hex digits`);
  return { method, uri, iv: Buffer.from(iv.slice(2), 'hex') };
}

/** A media or discontinuity sequence number: a safe non-negative integer. */
function sequenceOf(value: string, where: string): number {
  const n = wholeNumber(value);
  if (n === undefined) throw invalid(`${where}: ${quote(value)} is not a safe non-negative integer`);
  return n;
}

/** The instant an EXT-X-PROGRAM-DATE-TIME names. */
function dateTimeOf(value: string, where: string): Date {
  const date = DATE_TIME.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw invalid(`${where}: ${quote(value)} is not an ISO 8601 date`);
  }
  return date;
}

/** Reads a playlist line by line, keeping the tags that apply to the next URI line. */
class PlaylistScanner {
  private lineNo = 0;
  private readonly variants: UpstreamVariant[] = [];
  private readonly segments: UpstreamSegment[] = [];
  /** An EXT-X-STREAM-INF waiting for its URI line, and where it was. */
  private pendingVariant:
    | { readonly variant: Omit<UpstreamVariant, 'uri'>; readonly line: number }
    | undefined;
  /** An EXTINF waiting for its URI line, and where it was. */
  private pendingSegment: { readonly duration: number; readonly line: number } | undefined;
  private discontinuity = false;
  private programDateTime: Date | undefined;
  private key = NO_KEY;
  private targetDuration: number | undefined;
  private mediaSequence: number | undefined;
  private discontinuitySequence: number | undefined;
  private endList = false;
  private playlistType: 'VOD' | 'EVENT' | undefined;

  /** Takes the next line, already trimmed. */
  read(line: string): void {
    this.lineNo++;
    if (line === '') return;
    if (line.startsWith('#')) {
      if (line.startsWith('#EXT')) this.tag(line);
      return;
    }
    this.uriLine(line);
  }

  /** The playlist, once every line has been read. */
  finish(): UpstreamPlaylist {
    this.refuseUnfinished();
    if (this.variants.length > 0) return { kind: 'master', variants: this.variants };
    if (this.targetDuration === undefined) throw invalid('no EXT-X-TARGETDURATION in a media playlist');
    return {
      kind: 'media',
      playlist: {
        targetDuration: this.targetDuration,
        mediaSequence: this.mediaSequence ?? 0,
        discontinuitySequence: this.discontinuitySequence ?? 0,
        endList: this.endList,
        ...(this.playlistType === undefined ? {} : { playlistType: this.playlistType }),
        segments: this.segments,
      },
    };
  }

  private tag(line: string): void {
    const colon = line.indexOf(':');
    const name = colon < 0 ? line.slice(1) : line.slice(1, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).trim();
    const where = `line ${this.lineNo}: ${name}`;
    switch (name) {
      case 'EXT-X-STREAM-INF':
        this.streamInf(value, where);
        break;
      case 'EXTINF':
        this.extinf(value, where);
        break;
      case 'EXT-X-TARGETDURATION': {
        this.once(this.targetDuration, where);
        const seconds = wholeNumber(value);
        if (!seconds) throw invalid(`${where}: ${quote(value)} is not a positive whole number`);
        this.targetDuration = seconds;
        break;
      }
      case 'EXT-X-MEDIA-SEQUENCE':
        this.once(this.mediaSequence, where);
        // Segment numbers are given as the segments are read, so it must come first, as §4.3.3.2 says.
        if (this.segments.length > 0 || this.pendingSegment) {
          throw invalid(`${where}: after the first segment`);
        }
        this.mediaSequence = sequenceOf(value, where);
        break;
      case 'EXT-X-DISCONTINUITY-SEQUENCE':
        this.once(this.discontinuitySequence, where);
        this.discontinuitySequence = sequenceOf(value, where);
        break;
      case 'EXT-X-KEY':
        this.key = keyOf(parseAttributes(value, where), where);
        break;
      case 'EXT-X-DISCONTINUITY':
        this.discontinuity = true;
        break;
      case 'EXT-X-PROGRAM-DATE-TIME':
        this.programDateTime = dateTimeOf(value, where);
        break;
      case 'EXT-X-ENDLIST':
        this.endList = true;
        break;
      case 'EXT-X-PLAYLIST-TYPE':
        if (value !== 'VOD' && value !== 'EVENT')
          throw invalid(`${where}: ${quote(value)} is not VOD or EVENT`);
        this.playlistType = value;
        break;
      case 'EXT-X-BYTERANGE':
        throw unsupported(`${where} (byte-range segments)`);
      case 'EXT-X-MAP':
        throw unsupported(`${where} (fMP4 segments)`);
      case 'EXT-X-I-FRAMES-ONLY':
        throw unsupported(`${where} (an I-frame playlist)`);
    }
  }

  /** Refuses an EXT-X-STREAM-INF or EXTINF still waiting for its URI line when another, or the end, comes. */
  private refuseUnfinished(): void {
    if (this.pendingVariant) {
      throw invalid(`line ${this.pendingVariant.line}: EXT-X-STREAM-INF without a URI line`);
    }
    if (this.pendingSegment) throw invalid(`line ${this.pendingSegment.line}: EXTINF without a URI line`);
  }

  /** Refuses a tag that §4.3.3 allows once, seen a second time. */
  private once(previous: number | undefined, where: string): void {
    if (previous !== undefined) throw invalid(`${where}: appears twice`);
  }

  private streamInf(value: string, where: string): void {
    if (this.segments.length > 0 || this.pendingSegment) {
      throw invalid(`${where}: both EXT-X-STREAM-INF and EXTINF`);
    }
    this.refuseUnfinished();
    if (this.variants.length >= MAX_UPSTREAM_VARIANTS) {
      throw invalid(`${where}: more than ${MAX_UPSTREAM_VARIANTS} variants`);
    }
    this.pendingVariant = { variant: variantOf(parseAttributes(value, where), where), line: this.lineNo };
  }

  private extinf(value: string, where: string): void {
    if (this.variants.length > 0 || this.pendingVariant) {
      throw invalid(`${where}: both EXT-X-STREAM-INF and EXTINF`);
    }
    this.refuseUnfinished();
    if (this.segments.length >= MAX_UPSTREAM_SEGMENTS) {
      throw invalid(`${where}: more than ${MAX_UPSTREAM_SEGMENTS} segments`);
    }
    // `#EXTINF:<duration>,[<title>]`; the title may hold anything, commas included.
    const comma = value.indexOf(',');
    const text = (comma < 0 ? value : value.slice(0, comma)).trim();
    if (text.startsWith('-')) throw invalid(`${where}: duration ${quote(text)} is negative`);
    const duration = decimal(text);
    if (duration === undefined) throw invalid(`${where}: duration ${quote(text)} is not a finite number`);
    this.pendingSegment = { duration, line: this.lineNo };
  }

  private uriLine(uri: string): void {
    if (CONTROL.test(uri)) throw invalid(`line ${this.lineNo}: URI line contains control characters`);
    if (this.pendingVariant) {
      this.variants.push({ uri, ...this.pendingVariant.variant });
      this.pendingVariant = undefined;
      return;
    }
    if (!this.pendingSegment) {
      throw invalid(`line ${this.lineNo}: URI line without EXTINF or EXT-X-STREAM-INF`);
    }
    const sequence = (this.mediaSequence ?? 0) + this.segments.length;
    if (!Number.isSafeInteger(sequence)) throw invalid(`line ${this.lineNo}: media sequence passes 2^53`);
    this.segments.push({
      uri,
      sequence,
      duration: this.pendingSegment.duration,
      discontinuity: this.discontinuity,
      ...(this.programDateTime ? { programDateTime: this.programDateTime } : {}),
      key: this.key,
    });
    this.pendingSegment = undefined;
    this.discontinuity = false;
    this.programDateTime = undefined;
  }
}

/**
 * Parses an upstream HLS playlist (RFC 8216): a master (any EXT-X-STREAM-INF) or a media playlist.
 * Throws HlsError only: UPSTREAM_FAILED for malformed input, UNSUPPORTED_MEDIA for what we cannot
 * re-serve (SAMPLE-AES or other methods, key formats other than identity, byte ranges, fMP4).
 */
export function parseUpstreamPlaylist(text: string): UpstreamPlaylist {
  const body = text.startsWith(BYTE_ORDER_MARK) ? text.slice(BYTE_ORDER_MARK.length) : text;
  // LF or CRLF line ends (§4.1); the trim takes the CR.
  const lines = body.split('\n');
  if (lines[0]?.trim() !== '#EXTM3U') throw invalid('line 1: not #EXTM3U');
  const scanner = new PlaylistScanner();
  for (const line of lines) scanner.read(line.trim());
  return scanner.finish();
}
