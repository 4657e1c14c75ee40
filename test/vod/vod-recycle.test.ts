// Segment buffers the cache lets go of are reused for later segments, but never while a response
// still sends them: a reader that stalls mid-segment while other segments are packaged (into
// recycled buffers) still receives its segment intact.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeTempDir } from '../helpers/server-fixture.js';
import { makeClip } from '../helpers/vod-media.js';
import { fetchPlaylists, get, startVodServer, type VodServer } from '../helpers/vod-server.js';

/** Noisy lossless video: about 20 MB a segment, far more than the socket buffers hold. */
const CLIP = 'noisy.mp4';
const TARGET_MS = 2000;
/** Probation holds a quarter of this: no segment fits, so each is let go once its response ends. */
const CACHE_BYTES = 4 * 1024 * 1024;
const STALL_MS = 300;

let dir: string;
let server: VodServer;

before(async () => {
  dir = makeTempDir();
  const storageDir = path.join(dir, 'content');
  fs.mkdirSync(storageDir);
  await makeClip(storageDir, {
    name: CLIP,
    seconds: 6,
    size: '640x360',
    audio: false,
    videoCodec: [
      '-vf',
      'noise=alls=60:allf=t',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-qp',
      '0',
      '-g',
      '50',
    ],
  });
  server = await startVodServer({
    storageDir,
    keyDir: path.join(dir, 'keys'),
    targetMs: TARGET_MS,
    cache: CACHE_BYTES,
  });
});

after(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A raw HTTP GET whose reader stops after the first bytes until `resume()`. */
function stalledGet(url: string): {
  firstBytes: Promise<void>;
  resume: () => Promise<{ status: number; body: Buffer }>;
} {
  const { hostname, port, pathname } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('end', resolve);
    socket.on('error', reject);
  });
  const firstBytes = new Promise<void>((resolve) => {
    socket.once('data', (chunk: Buffer) => {
      chunks.push(chunk);
      socket.pause();
      socket.on('data', (more: Buffer) => chunks.push(more));
      resolve();
    });
  });
  socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
  return {
    firstBytes,
    async resume() {
      socket.resume();
      await ended;
      const raw = Buffer.concat(chunks);
      const headEnd = raw.indexOf('\r\n\r\n');
      const head = raw.subarray(0, headEnd).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
      const body = raw.subarray(headEnd + 4);
      assert.equal(body.length, length, 'the whole body arrived');
      return { status, body };
    },
  };
}

test('a segment stalled on the wire is not reused until its response ends', async () => {
  const pl = await fetchPlaylists(server.masterUrl(CLIP));
  assert.equal(pl.segments.length, 3);
  const [first, second, third] = pl.segments.map((s) => s.url) as [string, string, string];
  const reusedBefore = server.app.packager.stats.reused;

  const stalled = stalledGet(first);
  await stalled.firstBytes;
  await new Promise((resolve) => setTimeout(resolve, STALL_MS));
  // Meanwhile other segments are packaged again and again, into buffers the cache let go of.
  for (let round = 0; round < 3; round++) {
    for (const url of [second, third]) assert.equal((await get(url)).status, 200);
  }
  assert.ok(server.app.packager.stats.reused > reusedBefore, 'later segments went into recycled buffers');

  const { status, body } = await stalled.resume();
  assert.equal(status, 200);
  const fresh = await get(first);
  assert.equal(fresh.status, 200);
  assert.ok(body.equals(fresh.body), 'the stalled response got its own segment, byte for byte');
});
