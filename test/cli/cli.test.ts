// The command line as users run it (SPEC §2): help and usage errors, check-config on the shipped
// and on broken configs, genkey's key files (mode 0600, refusal, --force, --url), exit codes
// 0/1/2 and no stack traces.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseKeyFile } from '../../src/keys/key-file.js';
import { ensureBuilt, hasStackTrace, runCli } from '../helpers/cli-binary.js';
import { createServerHome, REPO_ROOT, type ServerHome } from '../helpers/server-fixture.js';

const KEY_FILE_MODE = 0o600;
const KEY_LINE = /^cupertinostreaming-aes128-key: ([0-9A-F]{32})$/m;

let home: ServerHome;

before(async () => {
  await ensureBuilt();
  home = createServerHome({ sample: false, applications: { vod: { type: 'vod' } } });
});

after(() => home.remove());

/** Runs the CLI and asserts its exit code and that stderr holds no stack trace. */
async function expectExit(args: string[], code: number) {
  const res = await runCli(args);
  assert.equal(res.code, code, `hls-origin ${args.join(' ')}: exit ${res.code}\n${res.stderr}`);
  assert.ok(!hasStackTrace(res.stderr), `stack trace in stderr:\n${res.stderr}`);
  assert.ok(!hasStackTrace(res.stdout), `stack trace in stdout:\n${res.stdout}`);
  return res;
}

/** Writes a config file into a fresh conf/ folder of the server home and returns its path. */
function writeConfig(name: string, text: string): string {
  const file = path.join(home.home, 'conf', name);
  fs.writeFileSync(file, text);
  return file;
}

describe('help and usage', () => {
  test('--help prints the usage and exits 0', async () => {
    const res = await expectExit(['--help'], 0);
    assert.match(res.stdout, /^Usage: hls-origin <command>/);
    for (const command of ['serve', 'genkey', 'check-config']) assert.match(res.stdout, new RegExp(command));
  });

  test("<command> --help prints that command's usage and exits 0", async () => {
    for (const command of ['serve', 'genkey', 'check-config']) {
      const res = await expectExit([command, '--help'], 0);
      assert.match(res.stdout, new RegExp(`^Usage: hls-origin ${command}`));
    }
  });

  test('no command is bad usage: exit 2', async () => {
    const res = await expectExit([], 2);
    assert.match(res.stderr, /Usage:/);
  });

  test('an unknown command exits 2 and names it', async () => {
    const res = await expectExit(['frobnicate'], 2);
    assert.match(res.stderr, /unknown command: frobnicate/);
  });

  test('an unknown option or a stray argument exits 2', async () => {
    await expectExit(['check-config', '--bogus'], 2);
    await expectExit(['check-config', 'extra'], 2);
  });

  test('genkey without --stream (or without --app) exits 2', async () => {
    const res = await expectExit(['genkey', '--app', 'vod', '--config', home.configFile], 2);
    assert.match(res.stderr, /--stream/);
    await expectExit(['genkey', '--stream', 'mp4:a.mp4', '--config', home.configFile], 2);
  });
});

describe('check-config', () => {
  test('the shipped conf/Application.json is valid: exit 0', async () => {
    const res = await expectExit(
      ['check-config', '--config', path.join(REPO_ROOT, 'conf', 'Application.json')],
      0,
    );
    assert.match(res.stdout, /: ok$/m);
  });

  test('without --config it checks conf/Application.json of the working folder', async () => {
    await expectExit(['check-config'], 0);
  });

  test('a typo in a key exits 1 with a line naming its path', async () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'conf', 'Application.json'), 'utf8'));
    shipped.$schema = undefined;
    shipped.applications.vod.hls = { chunkDurationTaget: 4000 };
    const file = writeConfig('typo.json', JSON.stringify(shipped, null, 2));
    const res = await expectExit(['check-config', '--config', file], 1);
    const lines = res.stderr.split('\n');
    assert.ok(
      lines.some((l) => l.startsWith('applications.vod.hls.chunkDurationTaget:')),
      `stderr:\n${res.stderr}`,
    );
  });

  test('several problems give one line each', async () => {
    const file = writeConfig(
      'many.json',
      JSON.stringify({
        server: { port: 70000 },
        applications: { vod: { type: 'vod', hls: { chunkDurationTarget: 'six' } }, x: { type: 'nope' } },
      }),
    );
    const res = await expectExit(['check-config', '--config', file], 1);
    for (const p of ['server.port:', 'applications.vod.hls.chunkDurationTarget:', 'applications.x']) {
      assert.ok(
        res.stderr.split('\n').some((l) => l.startsWith(p)),
        `${p} in\n${res.stderr}`,
      );
    }
  });

  test('broken JSON and a missing file exit 1', async () => {
    const file = writeConfig('broken.json', '{ "applications": { ');
    const broken = await expectExit(['check-config', '--config', file], 1);
    assert.match(broken.stderr, /^\(root\): invalid JSON at line \d+, column \d+/m);
    const missing = await expectExit(
      ['check-config', '--config', path.join(home.home, 'conf', 'nope.json')],
      1,
    );
    assert.match(missing.stderr, /cannot read/);
  });
});

describe('genkey', () => {
  const target = () => path.join(home.keyDir, 'vod', '_definst_', 'movies', 'a.mp4.key');
  const genkey = (...extra: string[]) => [
    'genkey',
    '--app',
    'vod',
    '--stream',
    'mp4:movies/a.mp4',
    '--config',
    home.configFile,
    ...extra,
  ];

  test('writes <keys>/vod/_definst_/movies/a.mp4.key with mode 0600 and prints its key line', async () => {
    const res = await expectExit(genkey(), 0);
    const file = target();
    assert.ok(fs.existsSync(file));
    assert.equal(fs.statSync(file).mode & 0o777, KEY_FILE_MODE);
    const text = fs.readFileSync(file, 'utf8');
    const written = KEY_LINE.exec(text)?.[1];
    assert.ok(written, text);
    assert.equal(KEY_LINE.exec(res.stdout)?.[1], written, 'the printed key is the written key');
    assert.ok(res.stdout.includes(file), 'the path is printed');
    parseKeyFile(text, file);
    const leftovers = fs.readdirSync(path.dirname(file)).filter((n) => n.endsWith('.tmp'));
    assert.deepEqual(leftovers, [], 'no temp files left');
  });

  test('a second genkey refuses: exit 1, the file unchanged', async () => {
    const before = fs.readFileSync(target(), 'utf8');
    const res = await expectExit(genkey(), 1);
    assert.match(res.stderr, /--force/);
    assert.equal(fs.readFileSync(target(), 'utf8'), before);
  });

  test('--force replaces it with a new key, still mode 0600', async () => {
    const before = fs.readFileSync(target(), 'utf8');
    const res = await expectExit(genkey('--force'), 0);
    const after = fs.readFileSync(target(), 'utf8');
    assert.notEqual(after, before);
    assert.equal(KEY_LINE.exec(res.stdout)?.[1], KEY_LINE.exec(after)?.[1]);
    assert.equal(fs.statSync(target()).mode & 0o777, KEY_FILE_MODE);
  });

  test('--url writes the external key URL line', async () => {
    const url = 'https://keys.example/k.php';
    const res = await expectExit(
      ['genkey', '--app', 'vod', '--stream', 'mp4:b.mp4', '--url', url, '--config', home.configFile],
      0,
    );
    const file = path.join(home.keyDir, 'vod', '_definst_', 'b.mp4.key');
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /^cupertinostreaming-aes128-url: https:\/\/keys\.example\/k\.php$/m);
    assert.match(res.stdout, /^cupertinostreaming-aes128-url: https:\/\/keys\.example\/k\.php$/m);
    assert.equal(parseKeyFile(text, file).url, url);
  });

  test('--instance places the file under that instance', async () => {
    await expectExit(
      ['genkey', '--app', 'vod', '--stream', 'live1', '--instance', 'inst1', '--config', home.configFile],
      0,
    );
    assert.ok(fs.existsSync(path.join(home.keyDir, 'vod', 'inst1', 'live1.key')));
  });

  test('a bad URL, an unknown application and a hostile stream name exit 1 and write nothing', async () => {
    const before = fs.readdirSync(home.home, { recursive: true }).sort();
    const bad = await expectExit(
      ['genkey', '--app', 'vod', '--stream', 'mp4:c.mp4', '--url', 'ftp://x', '--config', home.configFile],
      1,
    );
    assert.match(bad.stderr, /url/i);
    const unknown = await expectExit(
      ['genkey', '--app', 'nosuch', '--stream', 'x', '--config', home.configFile],
      1,
    );
    assert.match(unknown.stderr, /unknown application "nosuch"/);
    await expectExit(
      ['genkey', '--app', 'vod', '--stream', 'mp4:../../../escape', '--config', home.configFile],
      1,
    );
    await expectExit(
      ['genkey', '--app', 'vod', '--stream', 'mp4:/tmp/escape', '--config', home.configFile],
      1,
    );
    assert.deepEqual(fs.readdirSync(home.home, { recursive: true }).sort(), before);
  });

  test('genkey with a broken config exits 1 with the config problems', async () => {
    const file = writeConfig(
      'bad.json',
      JSON.stringify({ applications: { vod: { type: 'vod', bogus: 1 } } }),
    );
    const res = await expectExit(['genkey', '--app', 'vod', '--stream', 'x', '--config', file], 1);
    assert.match(res.stderr, /^applications\.vod\.bogus: /m);
  });
});
