// The shipped conf/Application.json is valid, parses to the expected defaults, and the committed
// JSON Schema is what the zod schema generates; ajv (an independent validator) accepts the config with it.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Wowza-style ${...} config variables, not templates
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildJsonSchema } from '../../src/config/json-schema.js';
import { loadConfig } from '../../src/config/load.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const configFile = path.join(repo, 'conf', 'Application.json');
const schemaFile = path.join(repo, 'conf', 'Application.schema.json');

describe('shipped config', () => {
  test('loads with the expected values and defaults', async () => {
    const loaded = await loadConfig(configFile, { env: {} });
    assert.equal(loaded.appHome, repo);
    assert.equal(loaded.configFile, configFile);
    const { server, applications } = loaded.config;
    assert.equal(server.host, '0.0.0.0');
    assert.equal(server.port, 1935);
    assert.equal(server.rtmpPort, null);
    assert.equal(server.tls, null);
    assert.equal(server.logLevel, 'info');
    assert.deepEqual(Object.keys(applications).sort(), ['live', 'vod']);

    const vod = applications['vod'];
    assert.equal(vod?.type, 'vod');
    assert.equal(vod.storageDir, path.join(repo, 'content'));
    assert.equal(vod.keyDir, path.join(repo, 'keys'));
    assert.equal(vod.encryption.missingKey, 'generate');
    assert.deepEqual(vod.encryption.keyFiles, [
      '${KeyDir}/vod/${ApplicationInstance}/${Stream}.key',
      '${KeyDir}/${Stream}.key',
      '${KeyDir}/vod/_application.key',
    ]);
    assert.equal(vod.encryption.appendSessionId, true);
    assert.equal(vod.encryption.sessionIdParam, 'wowzasessionid');
    assert.equal(vod.encryption.keyRotation, 0);
    assert.equal(vod.encryption.sessionLifetime, 86400);
    assert.deepEqual(vod.hls, {
      chunkDurationTarget: 6000,
      playlistChunkCount: 6,
      maxChunkCount: 12,
      relativeUrls: true,
    });
    assert.deepEqual(vod.http, { headers: { 'Access-Control-Allow-Origin': '*' }, cors: null });
    assert.equal(vod.secureToken, undefined);
    assert.equal(vod.cache, 268435456);

    const live = applications['live'];
    assert.equal(live?.type, 'live');
    assert.equal(live.encryption.missingKey, 'generate');
    assert.deepEqual(live.nameGroups, {});
    assert.equal(live.gracePeriod, 30000);
    assert.equal(live.publishSecret, undefined);
  });

  test('sets no secret, so a random one is generated with a warning', async () => {
    const a = await loadConfig(configFile, { env: {} });
    const b = await loadConfig(configFile, { env: {} });
    assert.match(a.config.server.secret, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.config.server.secret, b.config.server.secret);
    assert.equal(a.warnings.length, 1);
    assert.match(a.warnings[0] ?? '', /^server\.secret is not set: a random secret was generated/);
  });

  test('is plain JSON pointing at the schema', () => {
    const raw = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    assert.equal(raw['$schema'], './Application.schema.json');
  });

  test('the committed schema file is up to date (npm run schema)', () => {
    const committed = JSON.parse(readFileSync(schemaFile, 'utf8')) as unknown;
    assert.deepEqual(committed, buildJsonSchema());
  });

  test('ajv accepts the shipped config under the schema and rejects a typo', () => {
    // ajv comes with fastify; it is CommonJS, so load it through require.
    const require = createRequire(import.meta.url);
    const Ajv = require('ajv') as new (
      opts: object,
    ) => {
      compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown[] | null };
    };
    const addFormats = require('ajv-formats') as (ajv: object) => void;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(buildJsonSchema());
    const shipped = JSON.parse(readFileSync(configFile, 'utf8')) as unknown;
    assert.equal(validate(shipped), true, JSON.stringify(validate.errors));

    const typo = { applications: { vod: { type: 'vod', hls: { chunkDurationTaget: 6000 } } } };
    assert.equal(validate(typo), false);
    const withVariables = {
      server: { secret: '${env:HLS_ORIGIN_SECRET}' },
      applications: { e: { type: 'edge', originUrl: '${env:ORIGIN_URL}' } },
    };
    assert.equal(validate(withVariables), true, JSON.stringify(validate.errors));
    const badUrl = { applications: { e: { type: 'edge', originUrl: 'not a url' } } };
    assert.equal(validate(badUrl), false);
  });
});
