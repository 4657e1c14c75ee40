// Media the server cannot package gets a clear one-line 4xx, at every URL of the stream, and the
// server goes on serving good files after each refusal.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeClip } from '../helpers/vod-media.js';
import { type Fetched, get, startVodServer, type VodServer } from '../helpers/vod-server.js';

const GOOD = 'good.mp4';
/** Bytes of deterministic garbage for the fake `.mp4`. */
const GARBAGE_BYTES = 64 * 1024;

/** A bad file, how it is made, and how the server must answer its master playlist. */
interface BadCase {
  readonly name: string;
  readonly status: number;
  /** The reason must match this. */
  readonly reason?: RegExp;
}

const CASES: readonly BadCase[] = [
  { name: 'truncated.mp4', status: 415 },
  { name: 'truncated-faststart.mp4', status: 415 },
  { name: 'garbage.mp4', status: 415 },
  { name: 'empty.mp4', status: 415 },
  { name: 'hevc.mp4', status: 415, reason: /HEVC/ },
  { name: 'missing.mp4', status: 404 },
];

function assertOneLineReason(res: Fetched, label: string): void {
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/, label);
  const lines = res.text.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${label}: one line, got ${JSON.stringify(res.text)}`);
  assert.ok(lines[0]!.length > 5, `${label}: a reason`);
  assert.doesNotMatch(res.text, /\bat .+:\d+:\d+|node_modules|\/src\//, `${label}: no stack trace or path`);
}

describe('VOD bad media', () => {
  let dir = '';
  let server: VodServer;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-'));
    const storageDir = path.join(dir, 'content');
    fs.mkdirSync(storageDir);
    const good = await makeClip(storageDir, { name: GOOD, seconds: 6 });
    const fast = await makeClip(storageDir, {
      name: 'fast.mp4',
      seconds: 6,
      extra: ['-movflags', '+faststart'],
    });
    const cutHalf = (from: string, to: string) => {
      const bytes = fs.readFileSync(from);
      fs.writeFileSync(path.join(storageDir, to), bytes.subarray(0, Math.floor(bytes.length / 2)));
    };
    cutHalf(good, 'truncated.mp4');
    cutHalf(fast, 'truncated-faststart.mp4');
    const garbage = Buffer.alloc(GARBAGE_BYTES);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
    fs.writeFileSync(path.join(storageDir, 'garbage.mp4'), garbage);
    fs.writeFileSync(path.join(storageDir, 'empty.mp4'), '');
    await makeClip(storageDir, {
      name: 'hevc.mp4',
      seconds: 2,
      size: '160x120',
      videoCodec: ['-c:v', 'libx265', '-x265-params', 'log-level=error'],
    });
    server = await startVodServer({ storageDir, keyDir: path.join(dir, 'keys'), targetMs: 2000 });
    assert.equal((await get(server.masterUrl(GOOD))).status, 200);
  });

  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    test(`${c.name}: ${c.status} with a one-line reason at every URL, and the good file still plays`, async () => {
      const base = server.masterUrl(c.name).replace(/playlist\.m3u8$/, '');
      for (const file of ['playlist.m3u8', 'chunklist.m3u8', 'media_0.ts']) {
        const res = await get(base + file);
        assert.equal(res.status, c.status, `${file}: ${res.text}`);
        assertOneLineReason(res, `${c.name}/${file}`);
        if (c.reason) assert.match(res.text, c.reason, file);
      }
      const good = await get(server.masterUrl(GOOD));
      assert.equal(good.status, 200);
      assert.match(good.text, /^#EXTM3U/);
    });
  }
});
