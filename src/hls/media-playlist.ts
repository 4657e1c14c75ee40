// Media playlist (chunklist) model and writer, RFC 8216 §4.3.3.

/** The encryption of the segments that follow an EXT-X-KEY tag. */
export interface KeyTag {
  readonly method: 'AES-128' | 'NONE';
  readonly uri?: string;
  /** `0x` and 32 hex digits, or absent when the player is to use the media sequence number. */
  readonly iv?: string;
}

/** One segment line of a media playlist. */
export interface PlaylistSegment {
  readonly uri: string;
  /** Seconds. */
  readonly duration: number;
  readonly key: KeyTag;
  readonly discontinuity?: boolean;
  readonly programDateTime?: Date;
}

/** Everything a media playlist says. */
export interface MediaPlaylist {
  readonly targetDuration: number;
  readonly mediaSequence: number;
  readonly discontinuitySequence?: number;
  readonly playlistType?: 'VOD' | 'EVENT';
  readonly endList: boolean;
  readonly segments: readonly PlaylistSegment[];
}

/** EXT-X-VERSION 3: floating-point EXTINF durations and the IV attribute. */
export const PLAYLIST_VERSION = 3;

/** Quotes an attribute value; RFC 8216 §4.2 forbids `"`, CR and LF inside quoted strings. */
export function quoted(value: string): string {
  if (/["\r\n]/.test(value))
    throw new Error(`value cannot be quoted in a playlist: ${JSON.stringify(value)}`);
  return `"${value}"`;
}

function keyLine(key: KeyTag): string {
  if (key.method === 'NONE') return '#EXT-X-KEY:METHOD=NONE';
  let line = `#EXT-X-KEY:METHOD=AES-128,URI=${quoted(key.uri ?? '')}`;
  if (key.iv) line += `,IV=${key.iv}`;
  return line;
}

function sameKey(a: KeyTag | undefined, b: KeyTag): boolean {
  return a !== undefined && a.method === b.method && a.uri === b.uri && a.iv === b.iv;
}

/** Writes a media playlist. EXT-X-KEY is repeated only where the key, its URI or its IV changes. */
export function writeMediaPlaylist(p: MediaPlaylist): string {
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${PLAYLIST_VERSION}`,
    `#EXT-X-TARGETDURATION:${p.targetDuration}`,
  ];
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${p.mediaSequence}`);
  if (p.discontinuitySequence) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${p.discontinuitySequence}`);
  if (p.playlistType) lines.push(`#EXT-X-PLAYLIST-TYPE:${p.playlistType}`);
  let current: KeyTag | undefined;
  for (const s of p.segments) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (!sameKey(current, s.key) && !(current === undefined && s.key.method === 'NONE')) {
      lines.push(keyLine(s.key));
    }
    current = s.key;
    if (s.programDateTime) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${s.programDateTime.toISOString()}`);
    lines.push(`#EXTINF:${s.duration.toFixed(3)},`, s.uri);
  }
  if (p.endList) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
