// KeyStore: lookup order, revalidation of edited/removed/new files, malformed files, missing-key
// policies, generation races, retained versions, and that no log line carries a key.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { HlsError } from '../../src/core/errors.js';
import { formatKeyFile, parseKeyFile } from '../../src/keys/key-file.js';
import { DEFAULT_KEY_FILE_TEMPLATES } from '../../src/keys/key-lookup.js';
import { type KeyRequest, KeyStore, type ResolvedKey } from '../../src/keys/key-store.js';

interface LogLine {
  level: string;
  obj: object;
  msg: string;
}

/** A pino-like logger that records every line. */
function recordingLogger() {
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, obj, msg });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

let dir: string;
let keyDir: string;
let clock: number;
let log: ReturnType<typeof recordingLogger>;
/** Every key written or generated in a test; none may appear in its log. */
let keysSeen: Buffer[];

function store(revalidateMs = 1000): KeyStore {
  return new KeyStore({ logger: log.logger, now: () => clock, revalidateMs });
}

function request(over: Partial<KeyRequest> = {}): KeyRequest {
  return {
    app: 'vod',
    instance: '_definst_',
    stream: 'sample.mp4',
    keyDir,
    keyFiles: DEFAULT_KEY_FILE_TEMPLATES,
    missingKey: 'refuse',
    ...over,
  };
}

/** Writes a key file with a fresh key under keyDir and returns the key; the mtime moves on so every write is seen. */
function writeKey(rel: string, key: Buffer = randomBytes(16)): Buffer {
  const file = path.join(keyDir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, formatKeyFile({ key }));
  bumpMtime(file);
  keysSeen.push(key);
  return key;
}

let mtimeStep = 0;
function bumpMtime(file: string): void {
  mtimeStep += 10;
  const t = new Date(Date.now() + mtimeStep * 1000);
  fs.utimesSync(file, t, t);
}

function keyOf(r: ResolvedKey): Buffer {
  assert.equal(r.kind, 'key');
  return (r as Extract<ResolvedKey, { kind: 'key' }>).file.key;
}

function pathOf(r: ResolvedKey): string {
  assert.equal(r.kind, 'key');
  return (r as Extract<ResolvedKey, { kind: 'key' }>).path;
}

async function rejectsWith(p: Promise<unknown>, code: string, status: number): Promise<HlsError> {
  let caught: unknown;
  await p.catch((err: unknown) => {
    caught = err;
  });
  assert.ok(caught instanceof HlsError, `expected HlsError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.statusCode, status);
  return caught;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-'));
  keyDir = path.join(dir, 'keys');
  fs.mkdirSync(keyDir);
  clock = 1_000_000;
  log = recordingLogger();
  keysSeen = [];
});

afterEach(() => {
  const text = JSON.stringify(log.lines).toLowerCase();
  for (const key of keysSeen) {
    assert.ok(!text.includes(key.toString('hex')), 'a log line contains a full key');
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('KeyStore lookup', () => {
  test('first existing candidate wins, from the application key to the per-instance key', async () => {
    const ks = store();
    const appKey = writeKey('vod/_application.key');
    let r = await ks.resolve(request());
    assert.deepEqual(keyOf(r), appKey);
    assert.equal(pathOf(r), path.join(keyDir, 'vod/_application.key'));

    const streamKey = writeKey('sample.mp4.key');
    clock += 1000;
    r = await ks.resolve(request());
    assert.deepEqual(keyOf(r), streamKey);

    const instanceKey = writeKey('vod/_definst_/sample.mp4.key');
    clock += 1000;
    r = await ks.resolve(request());
    assert.deepEqual(keyOf(r), instanceKey);
    assert.equal(pathOf(r), path.join(keyDir, 'vod/_definst_/sample.mp4.key'));
    assert.deepEqual(keyOf(await ks.resolve(request({ stream: 'other.mp4' }))), appKey);
  });

  test('a stream name with "/" finds its key in a subfolder', async () => {
    const key = writeKey('vod/_definst_/movies/a.mp4.key');
    const r = await store().resolve(request({ stream: 'movies/a.mp4' }));
    assert.deepEqual(keyOf(r), key);
    assert.match((r as Extract<ResolvedKey, { kind: 'key' }>).version, /^[0-9a-f]{8}$/);
  });

  test('hostile names are refused before any file is touched', async () => {
    writeKey('vod/_application.key');
    const ks = store();
    for (const stream of ['../secret', 'a/../../b', '/etc/passwd', 'a\\b', 'a\0b']) {
      await rejectsWith(ks.resolve(request({ stream })), 'BAD_PATH', 400);
    }
    await rejectsWith(ks.resolve(request({ app: '..' })), 'BAD_PATH', 400);
  });
});

describe('KeyStore revalidation', () => {
  test('an edited key file is used after revalidation, not before', async () => {
    const ks = store();
    const a = writeKey('sample.mp4.key');
    assert.deepEqual(keyOf(await ks.resolve(request())), a);
    const b = writeKey('sample.mp4.key');
    clock += 999;
    assert.deepEqual(keyOf(await ks.resolve(request())), a);
    clock += 1;
    assert.deepEqual(keyOf(await ks.resolve(request())), b);
    assert.ok(log.lines.some((l) => l.msg === 'key file changed'));
  });

  test('a removed file turns into a missing key', async () => {
    const ks = store();
    writeKey('sample.mp4.key');
    await ks.resolve(request());
    fs.rmSync(path.join(keyDir, 'sample.mp4.key'));
    clock += 1000;
    const err = await rejectsWith(ks.resolve(request()), 'KEY_MISSING', 403);
    assert.equal(err.message, 'no key for vod/_definst_/sample.mp4');
  });

  test('a file that appears after a miss is found after revalidation', async () => {
    const ks = store();
    await rejectsWith(ks.resolve(request()), 'KEY_MISSING', 403);
    const key = writeKey('vod/_definst_/sample.mp4.key');
    clock += 1000;
    assert.deepEqual(keyOf(await ks.resolve(request())), key);
  });

  test('a malformed file answers 503, never falls through, and is logged once per change', async () => {
    const ks = store();
    writeKey('vod/_application.key');
    const file = path.join(keyDir, 'vod/_definst_/sample.mp4.key');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const goodHex = randomBytes(16).toString('hex');
    keysSeen.push(Buffer.from(goodHex, 'hex'));
    fs.writeFileSync(file, `# broken\ncupertinostreaming-aes128-key: ${goodHex.slice(0, 30)}\n`);
    for (let i = 0; i < 3; i++) {
      const err = await rejectsWith(ks.resolve(request({ missingKey: 'plain' })), 'KEY_FILE_INVALID', 503);
      assert.equal(err.message, `${file}:2: key must be 32 hex digits (found 30)`);
      clock += 1000;
    }
    let errors = log.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.deepEqual(errors[0]!.obj, { file, code: 'KEY_FILE_INVALID' });

    fs.writeFileSync(
      file,
      `cupertinostreaming-aes128-key: ${goodHex}\ncupertinostreaming-aes128-key: ${goodHex}\n`,
    );
    bumpMtime(file);
    await rejectsWith(ks.resolve(request()), 'KEY_FILE_INVALID', 503);
    errors = log.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 2);
    assert.match(errors[1]!.msg, /:2: second cupertinostreaming-aes128-key line$/);

    fs.writeFileSync(file, `cupertinostreaming-aes128-key: ${goodHex}\n`);
    bumpMtime(file);
    clock += 1000;
    assert.equal(keyOf(await ks.resolve(request())).toString('hex'), goodHex);
  });
});

describe('KeyStore missing keys', () => {
  test('refuse: 403 and an error line', async () => {
    await rejectsWith(store().resolve(request()), 'KEY_MISSING', 403);
    const errors = log.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.msg, /refusing/);
  });

  test('plain: served unencrypted with one warning per stream', async () => {
    const ks = store();
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await ks.resolve(request({ missingKey: 'plain' })), { kind: 'plain' });
      clock += 5000;
    }
    await ks.resolve(request({ missingKey: 'plain', stream: 'other.mp4' }));
    const warnings = log.lines.filter((l) => l.level === 'warn');
    assert.equal(warnings.length, 2);
    assert.deepEqual(
      warnings.map((w) => (w.obj as { stream: string }).stream),
      ['vod/_definst_/sample.mp4', 'vod/_definst_/other.mp4'],
    );
  });

  test('generate: a 0600 key file at the first candidate, logged masked, then served', async () => {
    const ks = store();
    const r = await ks.resolve(request({ missingKey: 'generate', stream: 'movies/new.mp4' }));
    const key = keyOf(r);
    keysSeen.push(key);
    const file = path.join(keyDir, 'vod/_definst_/movies/new.mp4.key');
    assert.equal(pathOf(r), file);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(parseKeyFile(fs.readFileSync(file, 'utf8'), file).key, key);
    const info = log.lines.find((l) => l.msg === 'generated a new key file');
    assert.deepEqual(info?.obj, { file, key: `*${key.toString('hex').slice(-4).toUpperCase()}` });
    // later requests read the same file, with no second generation
    clock += 5000;
    assert.deepEqual(
      keyOf(await ks.resolve(request({ missingKey: 'generate', stream: 'movies/new.mp4' }))),
      key,
    );
    assert.equal(log.lines.filter((l) => l.msg === 'generated a new key file').length, 1);
  });

  test('20 concurrent generate calls make exactly one key file and all get its key', async () => {
    const ks = store();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => ks.resolve(request({ missingKey: 'generate' }))),
    );
    const key = keyOf(results[0]!);
    keysSeen.push(key);
    for (const r of results) assert.deepEqual(keyOf(r), key);
    const folder = path.join(keyDir, 'vod/_definst_');
    assert.deepEqual(fs.readdirSync(folder), ['sample.mp4.key']);
    assert.equal(fs.statSync(path.join(folder, 'sample.mp4.key')).mode & 0o777, 0o600);
    assert.equal(log.lines.filter((l) => l.msg === 'generated a new key file').length, 1);
  });

  test('two stores (two processes) racing to generate end with one file and one key', async () => {
    const a = store();
    const b = store();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? a : b).resolve(request({ missingKey: 'generate' })),
      ),
    );
    const onDisk = parseKeyFile(
      fs.readFileSync(path.join(keyDir, 'vod/_definst_/sample.mp4.key'), 'utf8'),
      'sample.mp4.key',
    ).key;
    keysSeen.push(onDisk);
    for (const r of results) assert.deepEqual(keyOf(r), onDisk);
    assert.deepEqual(fs.readdirSync(path.join(keyDir, 'vod/_definst_')), ['sample.mp4.key']);
    assert.equal(log.lines.filter((l) => l.msg === 'generated a new key file').length, 1);
  });

  test('generate never overwrites a file that appeared since the last check', async () => {
    const ks = store();
    await rejectsWith(ks.resolve(request()), 'KEY_MISSING', 403); // caches "missing"
    const key = writeKey('vod/_definst_/sample.mp4.key'); // another process writes it
    assert.deepEqual(keyOf(await ks.resolve(request({ missingKey: 'generate' }))), key);
    assert.equal(log.lines.filter((l) => l.msg === 'generated a new key file').length, 0);
  });
});

describe('KeyStore versions', () => {
  test('keyForVersion returns the old key after an edit, until retention ends', async () => {
    const ks = store();
    const a = writeKey('vod/_definst_/sample.mp4.key');
    const ra = (await ks.resolve(request())) as Extract<ResolvedKey, { kind: 'key' }>;
    const b = writeKey('vod/_definst_/sample.mp4.key');
    clock += 1000;
    const rb = (await ks.resolve(request())) as Extract<ResolvedKey, { kind: 'key' }>;
    assert.deepEqual(rb.file.key, b);
    assert.notEqual(ra.version, rb.version);
    assert.deepEqual((await ks.keyForVersion(request(), ra.version))?.key, a);
    assert.deepEqual((await ks.keyForVersion(request(), rb.version))?.key, b);
    assert.equal(await ks.keyForVersion(request(), '00000000'), undefined);
    // another stream's versions are not reachable through this stream
    writeKey('vod/_definst_/other.mp4.key');
    assert.equal(await ks.keyForVersion(request({ stream: 'other.mp4' }), ra.version), undefined);
    clock += 10 * 60 * 1000;
    assert.equal(await ks.keyForVersion(request(), ra.version), undefined);
    assert.deepEqual((await ks.keyForVersion(request(), rb.version))?.key, b);
  });

  test('old versions stay reachable when the current file becomes malformed', async () => {
    const ks = store();
    writeKey('sample.mp4.key');
    const r = (await ks.resolve(request())) as Extract<ResolvedKey, { kind: 'key' }>;
    const file = path.join(keyDir, 'sample.mp4.key');
    fs.writeFileSync(file, 'garbage\n');
    bumpMtime(file);
    clock += 1000;
    await rejectsWith(ks.resolve(request()), 'KEY_FILE_INVALID', 503);
    assert.deepEqual((await ks.keyForVersion(request(), r.version))?.key, r.file.key);
    await rejectsWith(ks.keyForVersion(request(), '00000000'), 'KEY_FILE_INVALID', 503);
  });
});
