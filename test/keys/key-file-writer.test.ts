// writeNewKeyFile (genkey): atomic 0600 files, refusal to overwrite without force.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { HlsError } from '../../src/core/errors.js';
import { parseKeyFile } from '../../src/keys/key-file.js';
import { writeNewKeyFile } from '../../src/keys/key-store.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('writeNewKeyFile', () => {
  test('writes a random key, mode 0600, creating folders, leaving no temp file', async () => {
    const file = path.join(dir, 'keys/vod/_definst_/sample.mp4.key');
    const k = await writeNewKeyFile(file, { url: 'https://keys.example.com/key.php' });
    assert.equal(k.key.length, 16);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const back = parseKeyFile(fs.readFileSync(file, 'utf8'), file);
    assert.deepEqual(back, k);
    assert.equal(back.url, 'https://keys.example.com/key.php');
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['sample.mp4.key']);
  });

  test('refuses an existing file without force and leaves it unchanged', async () => {
    const file = path.join(dir, 'a.key');
    await writeNewKeyFile(file, {});
    const before = fs.readFileSync(file, 'utf8');
    await assert.rejects(
      writeNewKeyFile(file, {}),
      (err: unknown) => err instanceof HlsError && /exists; use --force/.test(err.message),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), before);
    assert.deepEqual(fs.readdirSync(dir), ['a.key']);
  });

  test('force replaces the file atomically with mode 0600', async () => {
    const file = path.join(dir, 'a.key');
    fs.writeFileSync(file, 'old\n', { mode: 0o644 });
    const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const k = await writeNewKeyFile(file, { force: true, key });
    assert.deepEqual(k.key, key);
    assert.equal(
      fs.readFileSync(file, 'utf8'),
      'cupertinostreaming-aes128-key: 00112233445566778899AABBCCDDEEFF\n',
    );
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir), ['a.key']);
  });

  test('a bad URL or key length is refused before anything is written', async () => {
    const file = path.join(dir, 'b.key');
    await assert.rejects(
      writeNewKeyFile(file, { url: 'keys.example.com/key' }),
      (err: unknown) => err instanceof HlsError && /url must be an absolute/.test(err.message),
    );
    await assert.rejects(writeNewKeyFile(file, { key: Buffer.alloc(8) }), HlsError);
    assert.equal(fs.existsSync(file), false);
  });
});
