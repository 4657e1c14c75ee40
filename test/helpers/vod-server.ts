// The real application on a real port for VOD tests: a config with one `vod` application over
// a temp storage folder, HTTP fetches of playlists and segments, and segment decryption.

import { createDecipheriv } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Manifest, Parser } from 'm3u8-parser';
import pino from 'pino';
import { createApp, type WiredApp } from '../../src/cli/wiring.js';
import { parseConfig } from '../../src/config/parse.js';

/** The secret every test server signs session ids with. */
export const TEST_SECRET = 'vod-interop-test-secret';
/** Key file line that holds the 32 hex digits of the key (SPEC §5). */
const KEY_LINE = /^cupertinostreaming-aes128-key:\s*([0-9a-fA-F]{32})\s*$/m;

/** A running test server. */
export interface VodServer {
  readonly app: WiredApp;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The master playlist URL of `mp4:<file>`. */
  masterUrl(file: string): string;
  close(): Promise<void>;
}

/** What a test server is made from. */
export interface VodServerOptions {
  readonly storageDir: string;
  readonly keyDir: string;
  /** hls.chunkDurationTarget in ms. */
  readonly targetMs: number;
  /** The application's `cache` bytes (the default when unset). */
  readonly cache?: number;
}

/** Parses a config with one `vod` application that generates missing keys. */
export function vodConfig(opts: VodServerOptions) {
  const text = JSON.stringify({
    server: { host: '127.0.0.1', port: 0, secret: TEST_SECRET },
    applications: {
      vod: {
        type: 'vod',
        storageDir: opts.storageDir,
        keyDir: opts.keyDir,
        hls: { chunkDurationTarget: opts.targetMs },
        encryption: { missingKey: 'generate' },
        ...(opts.cache === undefined ? {} : { cache: opts.cache }),
      },
    },
  });
  const parsed = parseConfig(text, { appHome: path.dirname(opts.storageDir), env: {} });
  if (!parsed.config) throw new Error(`test config invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.config;
}

/** Builds the real app and listens on a free port of 127.0.0.1. */
export async function startVodServer(opts: VodServerOptions): Promise<VodServer> {
  const app = await createApp({ config: vodConfig(opts), logger: pino({ level: 'silent' }) });
  await app.http.listen({ port: 0, host: '127.0.0.1' });
  const address = app.http.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const origin = `http://127.0.0.1:${address.port}`;
  return {
    app,
    origin,
    masterUrl: (file) => `${origin}/vod/mp4:${file}/playlist.m3u8`,
    close: () => app.close(),
  };
}

/** A fetched response with its body read. */
export interface Fetched {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  readonly text: string;
}

/** GETs a URL and reads the whole body. */
export async function get(url: string): Promise<Fetched> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
}

/** Parses a playlist with video.js's parser. */
export function parsePlaylist(text: string): Manifest {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

/** One segment of a chunklist with its absolute URLs and decryption parameters. */
export interface SegmentRef {
  readonly url: string;
  readonly duration: number;
  readonly keyUrl: string;
  readonly method: string;
  readonly iv: Buffer;
}

/** A fetched master playlist and its one chunklist. */
export interface StreamPlaylists {
  readonly masterText: string;
  readonly master: Manifest;
  readonly chunklistUrl: string;
  readonly chunklistText: string;
  readonly chunklist: Manifest;
  readonly segments: SegmentRef[];
}

/** The IV as 16 bytes: m3u8-parser gives four big-endian 32-bit words. */
function ivBytes(iv: Uint32Array | undefined): Buffer {
  if (!iv) throw new Error('segment key has no IV');
  const out = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) out.writeUInt32BE(iv[i]!, i * 4);
  return out;
}

/** Fetches the master playlist, then its first chunklist, and resolves every URI in them. */
export async function fetchPlaylists(masterUrl: string): Promise<StreamPlaylists> {
  const m = await get(masterUrl);
  if (m.status !== 200) throw new Error(`master ${masterUrl}: ${m.status} ${m.text}`);
  const master = parsePlaylist(m.text);
  const first = master.playlists?.[0];
  if (!first) throw new Error('master playlist lists no variant');
  const chunklistUrl = new URL(first.uri, masterUrl).href;
  const c = await get(chunklistUrl);
  if (c.status !== 200) throw new Error(`chunklist: ${c.status} ${c.text}`);
  const chunklist = parsePlaylist(c.text);
  const segments = chunklist.segments.map((s) => ({
    url: new URL(s.uri, chunklistUrl).href,
    duration: s.duration,
    keyUrl: s.key ? new URL(s.key.uri, chunklistUrl).href : '',
    method: s.key?.method ?? 'NONE',
    iv: ivBytes(s.key?.iv),
  }));
  return { masterText: m.text, master, chunklistUrl, chunklistText: c.text, chunklist, segments };
}

/** The key bytes of the first of `candidates` (paths under `keyDir`) that exists. */
export function readKeyFile(keyDir: string, candidates: readonly string[]): Buffer {
  for (const rel of candidates) {
    const file = path.join(keyDir, rel);
    if (!fs.existsSync(file)) continue;
    const m = KEY_LINE.exec(fs.readFileSync(file, 'utf8'));
    if (!m) throw new Error(`${file} holds no key line`);
    return Buffer.from(m[1]!, 'hex');
  }
  throw new Error(`no key file among ${candidates.join(', ')} under ${keyDir}`);
}

/** Decrypts AES-128-CBC with PKCS#7 padding (RFC 8216 §5.2). */
export function decryptSegment(data: Buffer, key: Buffer, iv: Buffer): Buffer {
  const d = createDecipheriv('aes-128-cbc', key, iv);
  return Buffer.concat([d.update(data), d.final()]);
}

/** Fetches a stream's key through the key URI of its first segment, as a player does. */
export async function fetchKey(pl: StreamPlaylists): Promise<Buffer> {
  const first = pl.segments[0];
  if (!first) throw new Error('chunklist lists no segment');
  const res = await get(first.keyUrl);
  if (res.status !== 200) throw new Error(`key ${first.keyUrl}: ${res.status} ${res.text}`);
  return res.body;
}

/** Fetches every segment of a chunklist and decrypts it with `key` and the playlist's IVs. */
export async function fetchDecryptedSegments(pl: StreamPlaylists, key: Buffer): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const s of pl.segments) {
    const res = await get(s.url);
    if (res.status !== 200) throw new Error(`segment ${s.url}: ${res.status} ${res.text}`);
    out.push(decryptSegment(res.body, key, s.iv));
  }
  return out;
}
