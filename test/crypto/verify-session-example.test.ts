// The plain-Node session check in examples/ agrees with issueSessionId.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { issueSessionId } from '../../src/crypto/session-id.js';

const EXAMPLE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../examples/verify-session.mjs',
);
const SECRET = 'example-secret';
const STREAM = 'vod/_definst_/mp4:sample.mp4';

/** Runs the example CLI and returns its exit code. */
function runExample(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, [EXAMPLE, ...args], (err) => {
      resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : -1);
    });
  });
}

describe('examples/verify-session.mjs', () => {
  const now = Math.floor(Date.now() / 1000);
  const sid = issueSessionId(SECRET, STREAM, 3600, now);

  test('a valid id exits 0', async () => {
    assert.equal(await runExample([SECRET, sid, STREAM]), 0);
  });

  test('a tampered id exits 1', async () => {
    const [random, expires, sig] = sid.split('.') as [string, string, string];
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    assert.equal(await runExample([SECRET, `${random}.${expires}.${flipped}`, STREAM]), 1);
    assert.equal(await runExample([SECRET, `${random}.${Number(expires) + 1}.${sig}`, STREAM]), 1);
    assert.equal(await runExample(['other-secret', sid, STREAM]), 1);
  });

  test('an expired id exits 1', async () => {
    const expired = issueSessionId(SECRET, STREAM, 60, now - 3600);
    assert.equal(await runExample([SECRET, expired, STREAM]), 1);
  });

  test('an id of another stream exits 1', async () => {
    assert.equal(await runExample([SECRET, sid, 'vod/_definst_/mp4:other.mp4']), 1);
  });

  test('the exported function agrees', async () => {
    const mod = (await import(EXAMPLE)) as {
      verifySessionId(secret: string, sid: string, streamPath: string, nowSeconds?: number): boolean;
    };
    assert.equal(mod.verifySessionId(SECRET, sid, STREAM), true);
    assert.equal(mod.verifySessionId(SECRET, sid, STREAM, now + 7200), false);
    assert.equal(mod.verifySessionId(SECRET, 'garbage', STREAM), false);
  });
});
