// Master (multivariant) playlist model and writer, RFC 8216 §4.3.4.2.

import { PLAYLIST_VERSION, quoted } from './media-playlist.js';

/** One variant stream of a master playlist. */
export interface Variant {
  readonly uri: string;
  /** Peak bits per second. */
  readonly bandwidth: number;
  readonly averageBandwidth?: number;
  /** RFC 6381 codec strings, e.g. `avc1.64001f`, `mp4a.40.2`. */
  readonly codecs: readonly string[];
  readonly resolution?: { readonly width: number; readonly height: number };
  readonly frameRate?: number;
}

/** Writes a master playlist with one EXT-X-STREAM-INF per variant, in the order given. */
export function writeMasterPlaylist(variants: readonly Variant[]): string {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${PLAYLIST_VERSION}`, '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const v of variants) {
    const attrs = [`BANDWIDTH=${Math.max(1, Math.round(v.bandwidth))}`];
    if (v.averageBandwidth) attrs.push(`AVERAGE-BANDWIDTH=${Math.max(1, Math.round(v.averageBandwidth))}`);
    if (v.codecs.length > 0) attrs.push(`CODECS=${quoted(v.codecs.join(','))}`);
    if (v.resolution && v.resolution.width > 0 && v.resolution.height > 0) {
      attrs.push(`RESOLUTION=${v.resolution.width}x${v.resolution.height}`);
    }
    if (v.frameRate && Number.isFinite(v.frameRate)) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  return `${lines.join('\n')}\n`;
}
