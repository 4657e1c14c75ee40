// A small HLS client for the benchmarks: fetches a master playlist, its first chunklist, keys and
// segments over keep-alive HTTP (undici's fetch), and checks that a segment decrypts to MPEG-TS.
import { createDecipheriv } from 'node:crypto';

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

/** Fetches every segment in order with `concurrency` requests in flight; returns the total bytes. */
export async function fetchSegments(
  segments: readonly SegmentRef[],
  concurrency: number,
  onFirst?: (body: Buffer) => void,
): Promise<number> {
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < segments.length) {
      const index = next++;
      const segment = segments[index];
      if (segment === undefined) break;
      const body = await getBytes(segment.url);
      if (index === 0) onFirst?.(body);
      bytes += body.byteLength;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return bytes;
}

/** Throws unless `body` decrypts with `key` (AES-128-CBC) to MPEG-TS packets. */
export function assertDecryptsToTs(body: Buffer, key: Buffer, segment: SegmentRef): void {
  const iv = segment.iv ?? Buffer.alloc(AES_BLOCK_BYTES);
  if (segment.iv === undefined) iv.writeBigUInt64BE(BigInt(segment.sequence), AES_BLOCK_BYTES - 8);
  const decipher = createDecipheriv('aes-128-cbc', key, iv);
  const plain = Buffer.concat([decipher.update(body), decipher.final()]);
  if (plain[0] !== TS_SYNC_BYTE) throw new Error(`segment ${segment.url} does not decrypt to MPEG-TS`);
}
