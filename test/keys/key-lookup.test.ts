// Key-file candidates: template order, variables, and names that try to leave the keys folder.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Wowza-style ${...} key-file variables, not templates
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { HlsError } from '../../src/core/errors.js';
import { DEFAULT_KEY_FILE_TEMPLATES, keyFileCandidates } from '../../src/keys/key-lookup.js';

const KEY_DIR = path.resolve('/srv/hls/keys');

function badPath(fn: () => unknown): void {
  assert.throws(
    fn,
    (err: unknown) => err instanceof HlsError && err.code === 'BAD_PATH' && err.statusCode === 400,
  );
}

describe('keyFileCandidates', () => {
  test('default templates in order, ending with the application key', () => {
    const got = keyFileCandidates(DEFAULT_KEY_FILE_TEMPLATES, {
      keyDir: KEY_DIR,
      app: 'vod',
      instance: '_definst_',
      stream: 'sample.mp4',
    });
    assert.deepEqual(got, [
      path.join(KEY_DIR, 'vod/_definst_/sample.mp4.key'),
      path.join(KEY_DIR, 'sample.mp4.key'),
      path.join(KEY_DIR, 'vod/_application.key'),
    ]);
  });

  test('a stream name with "/" stays below the keys folder', () => {
    const got = keyFileCandidates(DEFAULT_KEY_FILE_TEMPLATES, {
      keyDir: KEY_DIR,
      app: 'vod',
      instance: 'inst1',
      stream: 'movies/2024/a.mp4',
    });
    assert.equal(got[0], path.join(KEY_DIR, 'vod/inst1/movies/2024/a.mp4.key'));
    assert.equal(got[1], path.join(KEY_DIR, 'movies/2024/a.mp4.key'));
  });

  test('long variable names, keyDir with the instance, fixed-folder templates', () => {
    const got = keyFileCandidates(
      [
        '${KeyDir}/${com.wowza.wms.context.Application}-${com.wowza.wms.context.ApplicationInstance}/${Stream}.key',
        '/etc/hls-keys/${Application}/${Stream}.key',
        '/etc/hls-keys/shared.key',
      ],
      { keyDir: '/srv/keys/${ApplicationInstance}', app: 'live', instance: 'i2', stream: 'cam' },
    );
    assert.deepEqual(got, [
      path.resolve('/srv/keys/i2/live-i2/cam.key'),
      path.resolve('/etc/hls-keys/live/cam.key'),
      path.resolve('/etc/hls-keys/shared.key'),
    ]);
  });

  test('hostile names are refused', () => {
    const vars = { keyDir: KEY_DIR, app: 'vod', instance: '_definst_', stream: 'a.mp4' };
    const hostile = [
      { stream: '../a' },
      { stream: 'x/../../etc/passwd' },
      { stream: '..' },
      { stream: '/etc/passwd' },
      { stream: 'a\\..\\b' },
      { stream: 'a\0b' },
      { stream: 'a//b' },
      { stream: './a' },
      { stream: '' },
      { app: '..' },
      { app: 'a/b' },
      { instance: '..' },
      { instance: '/tmp' },
      { instance: 'x\0' },
    ];
    for (const over of hostile) {
      badPath(() => keyFileCandidates(DEFAULT_KEY_FILE_TEMPLATES, { ...vars, ...over }));
    }
  });

  test('names starting with dots but not ".." segments are fine', () => {
    const got = keyFileCandidates(['${KeyDir}/${Stream}.key'], {
      keyDir: KEY_DIR,
      app: 'vod',
      instance: '_definst_',
      stream: '..hidden/a..b',
    });
    assert.deepEqual(got, [path.join(KEY_DIR, '..hidden/a..b.key')]);
  });

  test('a template that would still leave the keys folder is refused', () => {
    badPath(() =>
      keyFileCandidates(['${KeyDir}/../${Stream}.key'], {
        keyDir: KEY_DIR,
        app: 'vod',
        instance: '_definst_',
        stream: 'a',
      }),
    );
  });

  test('an unknown variable is a config error', () => {
    assert.throws(
      () =>
        keyFileCandidates(['${KeyDir}/${Nope}.key'], {
          keyDir: KEY_DIR,
          app: 'a',
          instance: 'b',
          stream: 'c',
        }),
      (err: unknown) => err instanceof HlsError && err.code === 'CONFIG_INVALID',
    );
  });
});
