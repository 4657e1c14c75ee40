// encryption.missingKey through HTTP (SPEC §3, §5): refuse answers 403 and logs an error,
// generate writes a 0600 key file that decrypts the segments (openssl and ffprobe judge),
// plain serves clear TS with one warning, and a malformed key file answers 503, never clear bytes.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ivFromSequence } from '../../src/crypto/segment-cipher.js';
import { parseKeyFile } from '../../src/keys/key-file.js';
import { get, openStream } from '../helpers/hls-client.js';
import { LOG_LEVEL } from '../helpers/log-capture.js';
import { createFixture, type Fixture, makeTempDir } from '../helpers/server-fixture.js';

const run = promisify(execFile);

/** MPEG-TS sync byte (ISO 13818-1 §2.4.3.2). */
const TS_SYNC = 0x47;
const TS_PACKET_SIZE = 188;
const KEY_FILE_MODE = 0o600;

let fx: Fixture;
let scratch: string;

before(async () => {
  fx = await createFixture({
    applications: {
      refuse: { type: 'vod', encryption: { missingKey: 'refuse' } },
      gen: { type: 'vod', encryption: { missingKey: 'generate' } },
      plain: { type: 'vod', encryption: { missingKey: 'plain' } },
    },
  });
  scratch = makeTempDir();
  fs.symlinkSync(path.join(fx.storageDir, 'sample.mp4'), path.join(fx.storageDir, 'bad.mp4'));
  const badKey = path.join(fx.keyDir, 'refuse', '_definst_', 'bad.mp4.key');
  fs.mkdirSync(path.dirname(badKey), { recursive: true });
  // Two key lines, the second one with 31 hex digits: malformed either way.
  fs.writeFileSync(
    badKey,
    'cupertinostreaming-aes128-key: 00112233445566778899AABBCCDDEEFF\ncupertinostreaming-aes128-key: 0011223344556677\n',
  );
  // The same malformed file under the plain and generate apps: neither policy may bypass it.
  for (const app of ['plain', 'gen']) {
    const file = path.join(fx.keyDir, app, '_definst_', 'bad.mp4.key');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(badKey, file);
  }
});

after(async () => {
  await fx.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

function recordsSince(start: number) {
  return fx.log.records().slice(start);
}

describe('missingKey: refuse', () => {
  test('the chunklist and the segments are 403 and an error line names the stream', async () => {
    const start = fx.log.records().length;
    const master = await get(fx.app.http, '/refuse/mp4:sample.mp4/playlist.m3u8');
    assert.equal(master.statusCode, 200, 'the master playlist names no key');
    const chunklist = await get(fx.app.http, '/refuse/mp4:sample.mp4/chunklist.m3u8');
    assert.equal(chunklist.statusCode, 403);
    assert.ok(!chunklist.body.includes('#EXTM3U'));
    const segment = await get(fx.app.http, '/refuse/mp4:sample.mp4/media_0.ts');
    assert.equal(segment.statusCode, 403);
    assert.notEqual(segment.rawPayload[0], TS_SYNC);
    assert.match(String(segment.headers['content-type']), /^text\/plain/);
    const errors = recordsSince(start).filter((r) => r.level === LOG_LEVEL.error);
    assert.ok(errors.length >= 1, 'an error log line');
    assert.ok(errors.some((r) => JSON.stringify(r).includes('refuse/_definst_/sample.mp4')));
    assert.ok(
      !fs.existsSync(path.join(fx.keyDir, 'refuse', '_definst_', 'sample.mp4.key')),
      'nothing generated',
    );
  });
});

describe('missingKey: generate', () => {
  test('creates keys/<app>/_definst_/<stream>.key with mode 0600 and the segments decrypt with it', async () => {
    const keyFile = path.join(fx.keyDir, 'gen', '_definst_', 'sample.mp4.key');
    assert.ok(!fs.existsSync(keyFile));
    const s = await openStream(fx.app.http, '/gen/mp4:sample.mp4/playlist.m3u8');
    assert.equal(s.chunklist.statusCode, 200);
    assert.ok(fs.existsSync(keyFile), 'key file generated');
    assert.equal(fs.statSync(keyFile).mode & 0o777, KEY_FILE_MODE);
    const file = parseKeyFile(fs.readFileSync(keyFile, 'utf8'), keyFile);
    assert.equal(s.keys[0]?.method, 'AES-128');
    const served = await get(fx.app.http, s.keyUrls[0]!);
    assert.deepEqual(served.rawPayload, file.key, 'the key route serves the generated key');

    // openssl decrypts the segment with the key file's key and the sequence IV; ffprobe reads the result.
    const seg = await get(fx.app.http, s.segments[1]!);
    const encPath = path.join(scratch, 'seg1.enc');
    const plainPath = path.join(scratch, 'seg1.ts');
    fs.writeFileSync(encPath, seg.rawPayload);
    await run('openssl', [
      'aes-128-cbc',
      '-d',
      '-K',
      file.key.toString('hex'),
      '-iv',
      ivFromSequence(1).toString('hex'),
      '-in',
      encPath,
      '-out',
      plainPath,
    ]);
    const plain = fs.readFileSync(plainPath);
    assert.equal(plain[0], TS_SYNC);
    assert.equal(plain.length % TS_PACKET_SIZE, 0);
    const probe = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name',
      '-of',
      'csv=p=0',
      plainPath,
    ]);
    // ffprobe lists a TS stream under its program too: compare the set of codecs.
    const codecs = new Set(probe.stdout.split('\n').filter((line) => line.trim() !== ''));
    assert.deepEqual([...codecs].sort(), ['aac', 'h264']);
  });

  test('a second stream gets its own key file; the first one is kept', async () => {
    const first = path.join(fx.keyDir, 'gen', '_definst_', 'sample.mp4.key');
    const before = fs.readFileSync(first, 'utf8');
    fs.symlinkSync(path.join(fx.storageDir, 'sample.mp4'), path.join(fx.storageDir, 'second.mp4'));
    const s = await openStream(fx.app.http, '/gen/mp4:second.mp4/playlist.m3u8');
    assert.equal(s.chunklist.statusCode, 200);
    const second = path.join(fx.keyDir, 'gen', '_definst_', 'second.mp4.key');
    assert.notEqual(fs.readFileSync(second, 'utf8'), before);
    assert.equal(fs.readFileSync(first, 'utf8'), before);
  });
});

describe('missingKey: plain', () => {
  test('no AES-128 key line, plain TS segments, and one warning per stream', async () => {
    const start = fx.log.records().length;
    const s = await openStream(fx.app.http, '/plain/mp4:sample.mp4/playlist.m3u8');
    assert.equal(s.chunklist.statusCode, 200);
    assert.ok(
      s.keys.every((k) => k.method === 'NONE'),
      s.chunklist.body,
    );
    assert.ok(!s.chunklist.body.includes('AES-128'));
    for (const url of s.segments.slice(0, 2)) {
      const seg = await get(fx.app.http, url);
      assert.equal(seg.statusCode, 200);
      assert.equal(seg.rawPayload[0], TS_SYNC);
      assert.equal(seg.rawPayload.length % TS_PACKET_SIZE, 0);
    }
    await openStream(fx.app.http, '/plain/mp4:sample.mp4/playlist.m3u8');
    const warnings = recordsSince(start).filter((r) => r.level === LOG_LEVEL.warn);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(String(warnings[0]!.msg), /UNENCRYPTED/);
    assert.ok(!fs.existsSync(path.join(fx.keyDir, 'plain', '_definst_', 'sample.mp4.key')));
  });
});

describe('a malformed key file', () => {
  for (const app of ['refuse', 'plain', 'gen']) {
    test(`answers 503 for chunklist and segment under missingKey ${app}, never plain bytes`, async () => {
      const start = fx.log.records().length;
      const chunklist = await get(fx.app.http, `/${app}/mp4:bad.mp4/chunklist.m3u8`);
      assert.equal(chunklist.statusCode, 503);
      assert.ok(!chunklist.body.includes('#EXTM3U'));
      assert.ok(!chunklist.body.toUpperCase().includes('00112233445566778899AABBCCDDEEFF'));
      const segment = await get(fx.app.http, `/${app}/mp4:bad.mp4/media_0.ts`);
      assert.equal(segment.statusCode, 503);
      assert.notEqual(segment.rawPayload[0], TS_SYNC);
      assert.ok(segment.rawPayload.length < 400);
      const file = path.join(fx.keyDir, app, '_definst_', 'bad.mp4.key');
      assert.equal(
        fs.readFileSync(file, 'utf8').split('\n').length,
        3,
        'the malformed file is left as it was',
      );
      if (app === 'refuse') {
        // The file and line are logged (once per edit of the file).
        const logged = recordsSince(start).filter((r) => r.level === LOG_LEVEL.error);
        assert.ok(
          logged.some((r) => String(r.msg).includes(`${file}:2:`)),
          JSON.stringify(logged),
        );
      }
    });
  }
});
