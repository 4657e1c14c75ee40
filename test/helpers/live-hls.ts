// Reading live HLS over HTTP as a player does: the master playlist's chunklist URI, chunklists parsed
// with m3u8-parser (video.js's parser, an independent judge), segments checked for encryption.

import type { Manifest } from 'm3u8-parser';
import { type Fetched, get, parsePlaylist } from './vod-server.js';

/** MPEG-TS packets are 188 bytes and start with the sync byte 0x47 (ISO 13818-1 §2.4.3.2). */
export const TS_PACKET_SIZE = 188;
/** The TS sync byte. */
export const TS_SYNC_BYTE = 0x47;
/** AES-128 IVs are 16 bytes (RFC 8216 §5.2). */
const IV_BYTES = 16;

/** One segment of a live chunklist. */
export interface LiveSegmentRef {
  /** Media sequence number: EXT-X-MEDIA-SEQUENCE plus the segment's index. */
  readonly sequence: number;
  readonly duration: number;
  /** Absolute segment URL. */
  readonly url: string;
  readonly discontinuity: boolean;
  /** `AES-128`, or `NONE` when no key applies. */
  readonly method: string;
  readonly keyUrl?: string;
  readonly iv?: Buffer;
}

/** A fetched live chunklist; the parsed fields are empty unless the status is 200. */
export interface LiveChunklist {
  readonly url: string;
  readonly response: Fetched;
  readonly status: number;
  readonly manifest?: Manifest;
  readonly mediaSequence: number;
  readonly targetDuration: number;
  readonly endList: boolean;
  readonly segments: readonly LiveSegmentRef[];
}

/** Polls `probe` until it returns something other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** GETs a master playlist and returns the absolute URL of its first variant, or undefined when not 200. */
export async function chunklistUrlOf(masterUrl: string): Promise<string | undefined> {
  const master = await get(masterUrl);
  if (master.status !== 200) return undefined;
  const uri = parsePlaylist(master.text).playlists?.[0]?.uri;
  return uri === undefined ? undefined : new URL(uri, masterUrl).href;
}

/** The IV as 16 big-endian bytes: m3u8-parser gives four 32-bit words. */
function ivBytes(words: Uint32Array | undefined): Buffer | undefined {
  if (!words) return undefined;
  const out = Buffer.alloc(IV_BYTES);
  for (let i = 0; i < 4; i++) out.writeUInt32BE(words[i]!, i * 4);
  return out;
}

/** GETs and parses a live chunklist. */
export async function fetchChunklist(url: string): Promise<LiveChunklist> {
  const response = await get(url);
  if (response.status !== 200) {
    return {
      url,
      response,
      status: response.status,
      mediaSequence: 0,
      targetDuration: 0,
      endList: false,
      segments: [],
    };
  }
  const manifest = parsePlaylist(response.text);
  const mediaSequence = manifest.mediaSequence ?? 0;
  const segments = manifest.segments.map((s, i) => ({
    sequence: mediaSequence + i,
    duration: s.duration,
    url: new URL(s.uri, url).href,
    discontinuity: s.discontinuity === true,
    method: s.key?.method ?? 'NONE',
    keyUrl: s.key?.uri === undefined ? undefined : new URL(s.key.uri, url).href,
    iv: ivBytes(s.key?.iv),
  }));
  return {
    url,
    response,
    status: 200,
    manifest,
    mediaSequence,
    targetDuration: manifest.targetDuration ?? 0,
    endList: manifest.endList === true,
    segments,
  };
}

/** The sequence number of the newest segment, or undefined when the chunklist lists none. */
export function lastSequence(c: LiveChunklist): number | undefined {
  return c.segments.at(-1)?.sequence;
}

/** True when `data` reads as MPEG-TS: whole 188-byte packets, each starting with 0x47. */
export function isPlainTs(data: Uint8Array): boolean {
  if (data.length === 0 || data.length % TS_PACKET_SIZE !== 0) return false;
  for (let i = 0; i < data.length; i += TS_PACKET_SIZE) if (data[i] !== TS_SYNC_BYTE) return false;
  return true;
}

/** The default IV of a segment: its media sequence number as a 128-bit big-endian integer (RFC 8216 §5.2). */
export function sequenceIv(sequence: number): Buffer {
  const iv = Buffer.alloc(IV_BYTES);
  iv.writeBigUInt64BE(BigInt(sequence), 8);
  return iv;
}

/** `max-age` of a Cache-Control header, or undefined when it has none. */
export function maxAge(cacheControl: string | null): number | undefined {
  const m = /(?:^|,)\s*max-age=(\d+)/.exec(cacheControl ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Waits until the stream of `masterUrl` lists a segment; resolves with its chunklist URL. */
export function waitForFirstSegment(masterUrl: string, timeoutMs = 15_000): Promise<string> {
  return waitFor(
    'the first live segment',
    async () => {
      const url = await chunklistUrlOf(masterUrl);
      if (url === undefined) return undefined;
      return (await fetchChunklist(url)).segments.length > 0 ? url : undefined;
    },
    timeoutMs,
  );
}
