// loadConfig reads a file under <AppHome>/conf, resolves against AppHome and throws ConfigError when invalid.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Wowza-style ${...} config variables, not templates
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { appHomeOf, loadConfig } from '../../src/config/load.js';
import { HlsError } from '../../src/core/errors.js';

describe('loadConfig', () => {
  let home = '';
  const write = (name: string, config: unknown): string => {
    const file = path.join(home, 'conf', name);
    fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
    return file;
  };

  before(() => {
    home = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'hls-')));
    fs.mkdirSync(path.join(home, 'conf'));
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  test('AppHome is the parent of the config folder', async () => {
    const file = write('ok.json', { applications: { vod: { type: 'vod', storageDir: 'media' } } });
    assert.equal(appHomeOf(file), home);
    const loaded = await loadConfig(file, { env: {} });
    assert.equal(loaded.appHome, home);
    assert.equal(loaded.configFile, file);
    assert.equal(loaded.config.applications['vod']?.storageDir, path.join(home, 'media'));
    assert.equal(loaded.config.applications['vod']?.keyDir, path.join(home, 'keys'));
  });

  test('a relative file name resolves against the working directory', async () => {
    const file = write('rel.json', { applications: {} });
    const loaded = await loadConfig(path.relative(process.cwd(), file), { env: {} });
    assert.equal(loaded.configFile, file);
  });

  test('the secret comes from the environment; without it a warning', async () => {
    const file = write('secret.json', { server: { secret: '${env:HLS_ORIGIN_SECRET}' }, applications: {} });
    const loaded = await loadConfig(file, { env: { HLS_ORIGIN_SECRET: 'shared-secret-of-the-fleet' } });
    assert.equal(loaded.config.server.secret, 'shared-secret-of-the-fleet');
    assert.deepEqual(loaded.warnings, []);

    const plain = await loadConfig(write('nosecret.json', { applications: {} }), { env: {} });
    assert.equal(plain.warnings.length, 1);
    assert.match(plain.warnings[0] ?? '', /session ids will not survive a restart/);
    assert.equal(Buffer.from(plain.config.server.secret, 'base64url').length, 32);
  });

  test('an invalid config throws ConfigError with every problem', async () => {
    const file = write('bad.json', {
      server: { secret: '${env:HLS_ORIGIN_SECRET}' },
      applications: { vod: { type: 'vod', hls: { chunkDurationTaget: 1 } } },
    });
    const err = await loadConfig(file, { env: {} }).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigError);
    assert.ok(err instanceof HlsError);
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.deepEqual(err.problems, [
      { path: 'server.secret', message: 'environment variable HLS_ORIGIN_SECRET is not set' },
      { path: 'applications.vod.hls.chunkDurationTaget', message: 'unknown key' },
    ]);
    assert.match(err.message, /applications\.vod\.hls\.chunkDurationTaget: unknown key/);
  });

  test('a missing file is a ConfigError at (root)', async () => {
    const err = await loadConfig(path.join(home, 'conf', 'absent.json')).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 1);
    assert.equal(err.problems[0]?.path, '(root)');
    assert.match(err.problems[0]?.message ?? '', /^cannot read .*absent\.json: ENOENT/);
  });
});
