// Streams as services see them: which stream a request names, and what the HTTP layer needs
// from each kind of stream (VOD file, live stream, ...). Routes turn the answers into responses.

/** How a stream name is to be served. */
export type StreamKind = 'mp4' | 'smil' | 'ngrp' | 'live' | 'pull';

/** A stream of an application instance, as a URL names it. */
export interface StreamPath {
  readonly app: string;
  readonly instance: string;
  /** The stream part of the URL as written, prefix included (`mp4:movies/a.mp4`). */
  readonly stream: string;
  readonly kind: StreamKind;
  /** The stream name without its prefix (`movies/a.mp4`): `${Stream}` in key-file templates. */
  readonly name: string;
  /** The last path segment: playlist, chunklist, segment or key name. */
  readonly file: string;
}

/** A request for one stream of one application. `appConfig` is that application's settings. */
export interface StreamRequest<A = unknown> {
  readonly path: StreamPath;
  readonly appConfig: A;
}

/** The figures of one rendition that a master playlist lists. */
export interface VariantInfo {
  readonly bandwidth: number;
  readonly averageBandwidth?: number;
  readonly codecs: readonly string[];
  readonly resolution?: { readonly width: number; readonly height: number };
  readonly frameRate?: number;
  /**
   * The rendition number its chunklist, segments and keys answer to, when it is not the variant's
   * position (a name group lists only the members being published, under fixed numbers).
   */
  readonly rendition?: number;
}

/** How one segment is encrypted, as the playlist must say it. */
export type SegmentKeyRef =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'key';
      /** Version of the key file (names built-in key URIs). */
      readonly version: string;
      /** The rotation key number, when keys rotate. */
      readonly keyIndex?: number;
      /** External key URL from the key file, if any. */
      readonly url?: string;
      /** The IV, written into the playlist unless `ivInChunklist` is false. */
      readonly iv: Buffer;
      readonly ivInChunklist: boolean;
    };

/** One segment line of a chunklist. */
export interface ChunkInfo {
  readonly sequence: number;
  readonly duration: number;
  readonly key: SegmentKeyRef;
  readonly discontinuity?: boolean;
  readonly programDateTime?: Date;
}

/** Everything a chunklist says, before URIs are written. */
export interface ChunklistInfo {
  readonly targetDuration: number;
  readonly mediaSequence: number;
  readonly discontinuitySequence?: number;
  readonly endList: boolean;
  readonly live: boolean;
  readonly segments: readonly ChunkInfo[];
}

/** An encrypted (or, by policy, plain) segment ready to send. */
export interface SegmentBody {
  readonly data: Uint8Array;
  /** Strong validator, stable across restarts and origins for the same bytes. */
  readonly etag: string;
  readonly live: boolean;
  /**
   * To be called once `data` is no longer needed (the response was sent or abandoned), so its
   * memory can be reused; `data` must not be touched afterwards.
   */
  readonly release?: () => void;
}

/** A kind of stream the HTTP layer can serve. */
export interface MediaService<A = unknown> {
  /** One entry per rendition, in rendition order. */
  variants(req: StreamRequest<A>): Promise<readonly VariantInfo[]>;
  /** How many rendition numbers the stream's URLs may use (default: one per variant). */
  renditions?(req: StreamRequest<A>): Promise<number>;
  chunklist(req: StreamRequest<A>, rendition: number): Promise<ChunklistInfo>;
  segment(req: StreamRequest<A>, rendition: number, sequence: number): Promise<SegmentBody>;
  /** The 16 key bytes of a key version (and rotation number), or undefined when unknown. */
  key(
    req: StreamRequest<A>,
    rendition: number,
    version: string,
    keyIndex: number,
  ): Promise<Buffer | undefined>;
}

/** A live stream as `/api/streams` and `/metrics` describe it. */
export interface LiveStreamSummary {
  readonly app: string;
  readonly instance: string;
  readonly name: string;
  /** Publishing; waiting for its publisher to come back (grace period); or ended. */
  readonly state: 'publishing' | 'waiting' | 'ended';
  /** RFC 6381 codec strings of the tracks received, e.g. `avc1.64001f`, `mp4a.40.2`. */
  readonly codecs: readonly string[];
  readonly width?: number;
  readonly height?: number;
  /** Media bits per second received, measured over the segments in the window (0 before the first). */
  readonly bitrate: number;
  /** Media payload bytes received since the stream was created. */
  readonly ingestBytes: number;
  /** `address:port` of the publisher, while one is connected. */
  readonly publisher?: string;
  /** When the stream was first published (ISO 8601). */
  readonly startedAt: string;
  /** Segments in the window. */
  readonly segments: number;
}
