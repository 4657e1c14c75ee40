// Names of the files under a stream URL. They are the server's choice (SPEC §4): players only
// follow the URIs written in playlists. A rendition index appears when a stream has several.

import { HlsError } from '../core/errors.js';

/** What a file name under a stream asks for. */
export type StreamFile =
  | { readonly type: 'master' }
  | { readonly type: 'chunklist'; readonly rendition: number }
  | { readonly type: 'segment'; readonly rendition: number; readonly sequence: number }
  | { readonly type: 'key'; readonly rendition: number; readonly version: string; readonly keyIndex: number };

const MASTER = 'playlist.m3u8';
const CHUNKLIST = /^chunklist(?:_r(\d{1,3}))?\.m3u8$/;
const SEGMENT = /^media(?:_r(\d{1,3}))?_(\d{1,15})\.ts$/;
const KEY = /^key(?:_r(\d{1,3}))?_([0-9a-f]{8})(?:_(\d{1,12}))?\.key$/;

/** Parses a file name under a stream; unknown names are 404. */
export function parseStreamFile(file: string): StreamFile {
  if (file === MASTER) return { type: 'master' };
  let m = CHUNKLIST.exec(file);
  if (m) return { type: 'chunklist', rendition: Number(m[1] ?? 0) };
  m = SEGMENT.exec(file);
  if (m) return { type: 'segment', rendition: Number(m[1] ?? 0), sequence: Number(m[2]) };
  m = KEY.exec(file);
  if (m) return { type: 'key', rendition: Number(m[1] ?? 0), version: m[2]!, keyIndex: Number(m[3] ?? 0) };
  throw new HlsError('NOT_FOUND', `unknown file: ${file}`);
}

function renditionPart(rendition: number, renditions: number): string {
  return renditions > 1 ? `_r${rendition}` : '';
}

/** The chunklist name of a rendition. */
export function chunklistName(rendition: number, renditions: number): string {
  return `chunklist${renditionPart(rendition, renditions)}.m3u8`;
}

/** The segment name of a rendition's media sequence number. */
export function segmentName(rendition: number, renditions: number, sequence: number): string {
  return `media${renditionPart(rendition, renditions)}_${sequence}.ts`;
}

/** The built-in key name: the key file's version and, with rotation, the key number. */
export function keyName(rendition: number, renditions: number, version: string, keyIndex?: number): string {
  const k = keyIndex === undefined ? '' : `_${keyIndex}`;
  return `key${renditionPart(rendition, renditions)}_${version}${k}.key`;
}
