// A small HLS client for the benchmarks: fetches a master playlist, its first chunklist and keys
// (undici's fetch), then the segments with curl, and checks that a segment decrypts to MPEG-TS.
import { execFile } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { aptInstall, hasProgram } from './apt.js';

const run = promisify(execFile);

/** MPEG-TS sync byte (ISO 13818-1 §2.4.3.2). */
const TS_SYNC_BYTE = 0x47;
const AES_BLOCK_BYTES = 16;

/** One segment as a chunklist lists it. */
export interface SegmentRef {
  readonly url: string;
  readonly sequence: number;
  readonly keyUrl?: string;
  /** The IV the playlist gives, or undefined when the sequence number is the IV. */
  readonly iv?: Buffer;
}

/** A parsed chunklist. */
export interface Chunklist {
  readonly url: string;
  readonly segments: SegmentRef[];
  readonly keyUrls: string[];
  readonly totalSeconds: number;
}

/** GETs `url`; throws unless it answers 200. Returns the body. */
export async function getBytes(url: string): Promise<Buffer> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body.toString('utf8', 0, 200)}`);
  return body;
}

function uriLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The URL of the first variant of the master playlist at `masterUrl`. */
export async function firstVariantUrl(masterUrl: string): Promise<string> {
  const master = (await getBytes(masterUrl)).toString('utf8');
  const first = uriLines(master)[0];
  if (first === undefined) throw new Error(`no variant in ${masterUrl}:\n${master}`);
  return new URL(first, masterUrl).href;
}

/** Fetches and parses the chunklist at `url`. */
export async function fetchChunklist(url: string): Promise<Chunklist> {
  const text = (await getBytes(url)).toString('utf8');
  const segments: SegmentRef[] = [];
  const keyUrls = new Set<string>();
  let sequence = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
  let keyUrl: string | undefined;
  let iv: Buffer | undefined;
  let totalSeconds = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-KEY:')) {
      const uri = /URI="([^"]*)"/.exec(line)?.[1];
      keyUrl = uri === undefined ? undefined : new URL(uri, url).href;
      if (keyUrl !== undefined) keyUrls.add(keyUrl);
      const hex = /IV=0x([0-9a-fA-F]{32})/.exec(line)?.[1];
      iv = hex === undefined ? undefined : Buffer.from(hex, 'hex');
    } else if (line.startsWith('#EXTINF:')) {
      totalSeconds += Number.parseFloat(line.slice('#EXTINF:'.length));
    } else if (line !== '' && !line.startsWith('#')) {
      segments.push({ url: new URL(line, url).href, sequence, keyUrl, iv });
      sequence += 1;
    }
  }
  return { url, segments, keyUrls: [...keyUrls], totalSeconds };
}

/** What one pass over the segments got. */
export interface SegmentsFetched {
  /** Bytes of every segment together. */
  readonly bytes: number;
  /** The first segment's body. */
  readonly first: Buffer;
}

/** Makes sure curl is installed (apt-get as root); throws with the reason when it cannot be. */
export async function ensureCurl(): Promise<void> {
  if (await hasProgram('curl', ['--version'])) return;
  const failed = await aptInstall(['curl']);
  if (failed !== undefined) throw new Error(`the VOD benchmark's HTTP client: ${failed}`);
}

/**
 * Fetches every segment with curl, `concurrency` keep-alive transfers in flight, as a CDN's fetcher
 * would: a client in C, so the figures are the server's rather than the client's. Bodies go to
 * /dev/null but the first; throws unless every segment answers 200.
 */
export async function fetchSegments(
  segments: readonly SegmentRef[],
  concurrency: number,
): Promise<SegmentsFetched> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-bench-curl-'));
  try {
    const firstFile = path.join(dir, 'first.ts');
    const quote = (text: string) => `"${text.replace(/["\\]/g, '\\$&')}"`;
    const config = segments
      .map((s, i) => `url = ${quote(s.url)}\noutput = ${quote(i === 0 ? firstFile : '/dev/null')}\n`)
      .join('');
    fs.writeFileSync(path.join(dir, 'urls'), config);
    const { stdout } = await run(
      'curl',
      [
        ...['--silent', '--show-error', '--parallel', '--parallel-max', String(concurrency)],
        ...['--config', path.join(dir, 'urls'), '--write-out', '%{http_code} %{size_download} %{url}\\n'],
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const lines = stdout.split('\n').filter((l) => l !== '');
    if (lines.length !== segments.length) {
      throw new Error(`curl finished ${lines.length} of ${segments.length} transfers`);
    }
    let bytes = 0;
    for (const line of lines) {
      const [status, size, url] = line.split(' ');
      if (status !== '200') throw new Error(`GET ${url}: ${status}`);
      bytes += Number(size);
    }
    return { bytes, first: fs.readFileSync(firstFile) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Throws unless `body` decrypts with `key` (AES-128-CBC) to MPEG-TS packets. */
export function assertDecryptsToTs(body: Buffer, key: Buffer, segment: SegmentRef): void {
  const iv = segment.iv ?? Buffer.alloc(AES_BLOCK_BYTES);
  if (segment.iv === undefined) iv.writeBigUInt64BE(BigInt(segment.sequence), AES_BLOCK_BYTES - 8);
  const decipher = createDecipheriv('aes-128-cbc', key, iv);
  const plain = Buffer.concat([decipher.update(body), decipher.final()]);
  if (plain[0] !== TS_SYNC_BYTE) throw new Error(`segment ${segment.url} does not decrypt to MPEG-TS`);
}
