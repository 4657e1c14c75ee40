// ${...} variables: load-time substitution, request-time templates and path resolution against AppHome.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Wowza-style ${...} config variables, not templates
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../src/config/parse.js';
import type { Config } from '../../src/config/schema.js';
import { expandTemplate, resolvePath, substituteVariables } from '../../src/config/variables.js';

const APP_HOME = '/srv/hls';

/** The config parsed from an object; fails the test when it is invalid. */
function configOf(config: unknown, env: NodeJS.ProcessEnv = {}): Config {
  const result = parseConfig(JSON.stringify(config), { appHome: APP_HOME, env });
  assert.deepEqual(result.problems, []);
  assert.ok(result.config);
  return result.config;
}

describe('substituteVariables', () => {
  const scope = { appHome: APP_HOME, env: { HOME_X: '/x' }, application: 'vod', requestVariables: [] };

  test('all names of AppHome', () => {
    for (const name of [
      'com.wowza.wms.AppHome',
      'com.wowza.wms.ConfigHome',
      'com.wowza.wms.context.VHostConfigHome',
      'AppHome',
    ]) {
      assert.deepEqual(substituteVariables(`\${${name}}/content`, scope), {
        ok: true,
        value: '/srv/hls/content',
      });
    }
  });

  test('application, environment, several in one string, and text without variables', () => {
    assert.deepEqual(substituteVariables('${com.wowza.wms.context.Application}-${Application}', scope), {
      ok: true,
      value: 'vod-vod',
    });
    assert.deepEqual(substituteVariables('${env:HOME_X}/a/${env:HOME_X}', scope), {
      ok: true,
      value: '/x/a//x',
    });
    assert.deepEqual(substituteVariables('$5 {not} a $ variable', scope), {
      ok: true,
      value: '$5 {not} a $ variable',
    });
  });

  test('an environment value is not substituted again', () => {
    const env = { V: '${Stream}' };
    assert.deepEqual(substituteVariables('${env:V}', { ...scope, env }), { ok: true, value: '${Stream}' });
  });

  test('request-time variables stay where allowed', () => {
    const allowed = { ...scope, requestVariables: ['ApplicationInstance', 'Stream', 'KeyDir'] as const };
    const template = '${KeyDir}/${Application}/${com.wowza.wms.context.ApplicationInstance}/${Stream}.key';
    assert.deepEqual(substituteVariables(template, allowed), {
      ok: true,
      value: '${KeyDir}/vod/${com.wowza.wms.context.ApplicationInstance}/${Stream}.key',
    });
  });

  test('errors', () => {
    assert.deepEqual(substituteVariables('${Nope}', scope), {
      ok: false,
      message: 'unknown variable ${Nope}',
    });
    assert.deepEqual(substituteVariables('${}', scope), { ok: false, message: 'unknown variable ${}' });
    assert.deepEqual(substituteVariables('a${AppHome', scope), {
      ok: false,
      message: 'unterminated "${" at character 2',
    });
    assert.deepEqual(substituteVariables('${env:UNSET_VAR}', scope), {
      ok: false,
      message: 'environment variable UNSET_VAR is not set',
    });
    assert.deepEqual(substituteVariables('${env:1BAD}', scope), {
      ok: false,
      message: 'invalid environment variable name in ${env:1BAD}',
    });
    assert.equal(substituteVariables('${KeyDir}', scope).ok, false);
  });
});

describe('expandTemplate', () => {
  const vars = { ApplicationInstance: '_definst_', Stream: 'movies/a.mp4', KeyDir: '/srv/hls/keys' };

  test('short forms', () => {
    assert.equal(
      expandTemplate('${KeyDir}/vod/${ApplicationInstance}/${Stream}.key', vars),
      '/srv/hls/keys/vod/_definst_/movies/a.mp4.key',
    );
  });

  test('long forms find their short names', () => {
    assert.equal(
      expandTemplate('${KeyDir}/${com.wowza.wms.context.ApplicationInstance}/${Stream}.key', vars),
      '/srv/hls/keys/_definst_/movies/a.mp4.key',
    );
    assert.equal(expandTemplate('${com.wowza.wms.context.Application}', { Application: 'vod' }), 'vod');
  });

  test('text without variables is unchanged', () => {
    assert.equal(expandTemplate('/keys/fixed.key', vars), '/keys/fixed.key');
  });

  test('a variable without a value throws', () => {
    assert.throws(() => expandTemplate('${Stream}.key', {}), { code: 'INTERNAL' });
  });
});

describe('resolvePath', () => {
  test('relative against AppHome, absolute kept, ${KeyDir} templates kept', () => {
    assert.equal(resolvePath(APP_HOME, 'content'), '/srv/hls/content');
    assert.equal(resolvePath(APP_HOME, './a/../b'), '/srv/hls/b');
    assert.equal(resolvePath(APP_HOME, '/data/media'), '/data/media');
    assert.equal(resolvePath(APP_HOME, '${KeyDir}/${Stream}.key'), '${KeyDir}/${Stream}.key');
    assert.equal(resolvePath(APP_HOME, '${ApplicationInstance}/x'), '/srv/hls/${ApplicationInstance}/x');
  });
});

describe('variables in a parsed config', () => {
  test('defaults and relative paths resolve against AppHome', () => {
    const config = configOf({
      server: { tls: { port: 8443, cert: 'conf/cert.pem', key: '${AppHome}/conf/key.pem' } },
      applications: {
        vod: { type: 'vod', keyDir: 'secrets/${Application}', encryption: { keyFiles: ['k/${Stream}.key'] } },
        live: { type: 'live', storageDir: '/data/${Application}/${ApplicationInstance}' },
      },
    });
    assert.deepEqual(config.server.tls, {
      port: 8443,
      cert: '/srv/hls/conf/cert.pem',
      key: '/srv/hls/conf/key.pem',
    });
    const { vod, live } = config.applications;
    assert.equal(vod?.storageDir, '/srv/hls/content');
    assert.equal(vod?.keyDir, '/srv/hls/secrets/vod');
    assert.deepEqual(vod?.encryption.keyFiles, ['/srv/hls/k/${Stream}.key']);
    assert.equal(live?.storageDir, '/data/live/${ApplicationInstance}');
    assert.equal(live?.keyDir, '/srv/hls/keys');
  });

  test('environment variables anywhere, the secret included', () => {
    const env = { HLS_ORIGIN_SECRET: 'a-long-enough-shared-secret', ORIGIN: 'http://origin.example:1935' };
    const result = parseConfig(
      JSON.stringify({
        server: { secret: '${env:HLS_ORIGIN_SECRET}' },
        applications: { edge: { type: 'edge', originUrl: '${env:ORIGIN}/live' } },
      }),
      { appHome: APP_HOME, env },
    );
    assert.deepEqual(result.problems, []);
    // The secret came from the environment: no warning about a random one.
    assert.deepEqual(result.warnings, []);
    assert.equal(result.config?.server.secret, 'a-long-enough-shared-secret');
    assert.equal(result.config?.applications['edge']?.type, 'edge');
    const edge = result.config?.applications['edge'];
    assert.equal(edge?.type === 'edge' && edge.originUrl, 'http://origin.example:1935/live');
  });

  test('a keyFiles template expands per request to a path under keyDir', () => {
    const config = configOf({ applications: { vod: { type: 'vod' } } });
    const vod = config.applications['vod'];
    assert.ok(vod);
    const vars = { ApplicationInstance: '_definst_', Stream: 'sample.mp4', KeyDir: vod.keyDir };
    assert.deepEqual(
      vod.encryption.keyFiles.map((t) => expandTemplate(t, vars)),
      [
        '/srv/hls/keys/vod/_definst_/sample.mp4.key',
        '/srv/hls/keys/sample.mp4.key',
        '/srv/hls/keys/vod/_application.key',
      ],
    );
  });
});
