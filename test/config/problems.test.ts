// Each kind of mistake in a config gives exactly one `path: message` problem naming the field.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Wowza-style ${...} config variables, not templates
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatProblems } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/parse.js';

const APP_HOME = '/srv/hls';

/** The problems of a config given as an object (or raw text), formatted as check-config prints them. */
function problemsOf(config: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  const text = typeof config === 'string' ? config : JSON.stringify(config);
  const result = parseConfig(text, { appHome: APP_HOME, env });
  assert.equal(result.config, undefined, 'expected the config to be invalid');
  return formatProblems(result.problems).split('\n');
}

/** A config with one vod application holding `vod`'s extra fields. */
function withVod(vod: Record<string, unknown>): unknown {
  return { applications: { vod: { type: 'vod', ...vod } } };
}

describe('config problems', () => {
  test('a misspelt key names its full path', () => {
    assert.deepEqual(problemsOf(withVod({ hls: { chunkDurationTaget: 4000 } })), [
      'applications.vod.hls.chunkDurationTaget: unknown key',
    ]);
  });

  test('unknown keys at the top and in server', () => {
    assert.deepEqual(problemsOf({ server: { prot: 80 }, applications: {}, extra: 1 }), [
      'server.prot: unknown key',
      'extra: unknown key',
    ]);
  });

  test('a wrong type', () => {
    assert.deepEqual(problemsOf({ server: { port: '1935' }, applications: {} }), [
      'server.port: expected number, got string',
    ]);
  });

  test('a fractional number where an integer is needed', () => {
    assert.deepEqual(problemsOf(withVod({ cache: 1.5 })), ['applications.vod.cache: must be an integer']);
  });

  test('a value below its minimum', () => {
    const [line] = problemsOf(withVod({ hls: { chunkDurationTarget: 500 } }));
    assert.match(line ?? '', /^applications\.vod\.hls\.chunkDurationTarget: .*1000/);
  });

  test('a bad enum value', () => {
    const lines = problemsOf(withVod({ encryption: { missingKey: 'ask' } }));
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? '',
      /^applications\.vod\.encryption\.missingKey: .*"refuse".*"generate".*"plain"/,
    );
  });

  test('a bad application type', () => {
    assert.deepEqual(problemsOf({ applications: { v: { type: 'vods' } } }), [
      'applications.v.type: must be "vod", "live" or "edge"',
    ]);
  });

  test('maxChunkCount below playlistChunkCount', () => {
    assert.deepEqual(problemsOf(withVod({ hls: { playlistChunkCount: 8, maxChunkCount: 4 } })), [
      'applications.vod.hls.maxChunkCount: must be at least playlistChunkCount',
    ]);
    // The default maxChunkCount (12) is checked too.
    assert.deepEqual(problemsOf(withVod({ hls: { playlistChunkCount: 20 } })), [
      'applications.vod.hls.maxChunkCount: must be at least playlistChunkCount',
    ]);
  });

  test('an unknown variable', () => {
    assert.deepEqual(problemsOf(withVod({ storageDir: '${com.wowza.wms.Nope}/content' })), [
      'applications.vod.storageDir: unknown variable ${com.wowza.wms.Nope}',
    ]);
  });

  test('an unset environment variable', () => {
    const config = { server: { secret: '${env:HLS_ORIGIN_SECRET}' }, applications: {} };
    assert.deepEqual(problemsOf(config), [
      'server.secret: environment variable HLS_ORIGIN_SECRET is not set',
    ]);
  });

  test('an unset environment variable in a URL field is reported once', () => {
    assert.deepEqual(problemsOf({ applications: { e: { type: 'edge', originUrl: '${env:ORIGIN}/live' } } }), [
      'applications.e.originUrl: environment variable ORIGIN is not set',
    ]);
  });

  test('an edge without originUrl', () => {
    assert.deepEqual(problemsOf({ applications: { e: { type: 'edge' } } }), [
      'applications.e.originUrl: is required',
    ]);
  });

  test('an edge with a non-http originUrl', () => {
    assert.deepEqual(problemsOf({ applications: { e: { type: 'edge', originUrl: 'ftp://origin/live' } } }), [
      'applications.e.originUrl: must be an absolute http(s) URL',
    ]);
  });

  test('live-only fields are unknown on a vod application', () => {
    assert.deepEqual(problemsOf(withVod({ nameGroups: {} })), ['applications.vod.nameGroups: unknown key']);
  });

  test('a short secret', () => {
    const [line] = problemsOf({ server: { secret: 'short' }, applications: {} });
    assert.match(line ?? '', /^server\.secret: must be at least 16 characters$/);
  });

  test('a short secret from the environment is checked after substitution', () => {
    const config = { server: { secret: '${env:S}' }, applications: {} };
    assert.deepEqual(problemsOf(config, { S: 'tiny' }), ['server.secret: must be at least 16 characters']);
  });

  test('bad application names', () => {
    assert.deepEqual(problemsOf({ applications: { 'a/b': { type: 'vod' } } }), [
      'applications.a/b: invalid name: application names use only letters, digits, "_", "." and "-"',
    ]);
    assert.deepEqual(problemsOf({ applications: { '..': { type: 'vod' } } }), [
      'applications...: invalid name: an application may not be named "." or ".."',
    ]);
  });

  test('request-time variables outside the fields that take them', () => {
    assert.deepEqual(problemsOf(withVod({ storageDir: 'content/${Stream}' })), [
      'applications.vod.storageDir: ${Stream} is known only per request: use it in encryption.keyFiles',
    ]);
    assert.deepEqual(problemsOf({ server: { host: '${Application}' }, applications: {} }), [
      'server.host: ${Application} is defined only inside an application',
    ]);
  });

  test('a header value with a line break', () => {
    assert.deepEqual(problemsOf(withVod({ http: { headers: { 'X-A': 'a\r\nSet-Cookie: x' } } })), [
      'applications.vod.http.headers.X-A: header values may not contain line breaks',
    ]);
  });

  test('missing applications', () => {
    assert.deepEqual(problemsOf({}), ['applications: is required']);
  });

  test('several problems give several lines', () => {
    const lines = problemsOf({ server: { port: 70000 }, applications: { e: { type: 'edge', cache: -1 } } });
    assert.deepEqual(
      lines.map((l) => l.slice(0, l.indexOf(':'))),
      ['server.port', 'applications.e.cache', 'applications.e.originUrl'],
    );
  });

  test('a JSON syntax error names the line and column', () => {
    const text = '{\n  "applications": {\n    "vod": { "type": "vod", }\n  }\n}\n';
    assert.deepEqual(problemsOf(text), [
      "(root): invalid JSON at line 3, column 27: trailing comma before '}'",
    ]);
  });

  test('a JSON document that is not an object', () => {
    assert.deepEqual(problemsOf('[]'), ['(root): expected object, got array']);
  });
});
