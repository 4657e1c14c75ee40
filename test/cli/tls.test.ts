// server.tls: HTTPS beside HTTP, serving the same routes; unreadable certificates are config
// errors that name their field.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type RunningServer, startServer } from '../../src/cli/serve.js';
import { freePort } from '../helpers/live-server.js';
import { createServerHome, type ServerHome } from '../helpers/server-fixture.js';

const run = promisify(execFile);

let home: ServerHome;
let server: RunningServer;
let tlsPort: number;

/** GET over HTTPS, trusting the test's self-signed certificate. */
function httpsGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: urlPath, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

before(async () => {
  const certHome = createServerHome({ sample: false });
  const cert = path.join(certHome.home, 'cert.pem');
  const key = path.join(certHome.home, 'key.pem');
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
    ...['-keyout', key, '-out', cert],
  ]);
  tlsPort = await freePort();
  home = createServerHome({
    server: { host: '127.0.0.1', port: 0, tls: { port: tlsPort, cert, key } },
    applications: { vod: { type: 'vod', encryption: { missingKey: 'generate' } } },
  });
  server = await startServer(home.configFile);
  after(() => certHome.remove());
});

after(async () => {
  await server?.close();
  home?.remove();
});

test('HTTPS serves the same routes as HTTP', async () => {
  assert.equal(server.tlsPort, tlsPort);
  assert.equal((await httpsGet(tlsPort, '/healthz')).status, 200);
  const master = await httpsGet(tlsPort, '/vod/mp4:sample.mp4/playlist.m3u8');
  assert.equal(master.status, 200);
  assert.match(master.body, /^#EXTM3U/);
  assert.match(master.body, /chunklist\.m3u8\?wowzasessionid=/);
});

test('an unreadable certificate stops the start with the field named', async () => {
  const bad = createServerHome({
    sample: false,
    server: { host: '127.0.0.1', port: 0, tls: { port: 0, cert: 'missing.pem', key: 'missing-key.pem' } },
  });
  try {
    await assert.rejects(startServer(bad.configFile), /server\.tls\.cert: cannot read .*missing\.pem/);
  } finally {
    bad.remove();
  }
});
