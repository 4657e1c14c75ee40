// Application instances of VOD apps come from URLs alone, and with missingKey "generate" each one
// would get key files of its own: only configured instances exist (by default "_definst_").

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { get } from '../helpers/hls-client.js';
import { createFixture, type Fixture } from '../helpers/server-fixture.js';

let fx: Fixture;

before(async () => {
  fx = await createFixture({
    applications: {
      vod: { type: 'vod', encryption: { missingKey: 'generate' } },
      tenants: { type: 'vod', instances: ['_definst_', 'tenant1'], encryption: { missingKey: 'generate' } },
    },
  });
});

after(() => fx.close());

describe('VOD application instances', () => {
  test('an unknown instance answers 404 and generates no key file', async () => {
    for (const file of ['playlist.m3u8', 'chunklist.m3u8', 'media_0.ts']) {
      const res = await get(fx.app.http, `/vod/made-up/mp4:sample.mp4/${file}`);
      assert.equal(res.statusCode, 404, file);
      assert.match(res.body, /unknown instance made-up/);
    }
    assert.ok(!fs.existsSync(path.join(fx.keyDir, 'vod', 'made-up')));
  });

  test('the default instance is served, with or without its name in the URL', async () => {
    for (const url of [
      '/vod/mp4:sample.mp4/chunklist.m3u8',
      '/vod/_definst_/mp4:sample.mp4/chunklist.m3u8',
    ]) {
      assert.equal((await get(fx.app.http, url)).statusCode, 200, url);
    }
    assert.ok(fs.existsSync(path.join(fx.keyDir, 'vod', '_definst_', 'sample.mp4.key')));
  });

  test('configured instances are served and get their own keys', async () => {
    assert.equal((await get(fx.app.http, '/tenants/tenant1/mp4:sample.mp4/chunklist.m3u8')).statusCode, 200);
    assert.ok(fs.existsSync(path.join(fx.keyDir, 'tenants', 'tenant1', 'sample.mp4.key')));
    assert.equal((await get(fx.app.http, '/tenants/tenant2/mp4:sample.mp4/chunklist.m3u8')).statusCode, 404);
  });
});
