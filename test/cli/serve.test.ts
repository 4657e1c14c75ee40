// `serve` end to end (SPEC §2, §4, §7): startServer in-process over real HTTP, HTTP and RTMP on
// one port told apart by the first byte, and the built binary stopping cleanly on SIGTERM even
// while a client holds a keep-alive connection.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../../src/cli/serve.js';
import { decryptSegment, ivFromSequence } from '../../src/crypto/segment-cipher.js';
import { ensureBuilt, hasStackTrace, MAIN_JS, runCli } from '../helpers/cli-binary.js';
import { keyTags, resolveUri, uriLines } from '../helpers/hls-client.js';
import { createServerHome, REPO_ROOT, type ServerHome } from '../helpers/server-fixture.js';

/** MPEG-TS sync byte (ISO 13818-1 §2.4.3.2). */
const TS_SYNC = 0x47;
/** RTMP C0 version byte (the first byte of an RTMP handshake). */
const RTMP_C0 = 0x03;
/** Size of the RTMP handshake's C1 block. */
const RTMP_C1_BYTES = 1536;
/** How long the binary may take to start answering, and to stop after SIGTERM. */
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_MS = 100;
/** Far below the 72 s keep-alive timeout a close() must not wait for. */
const CLOSE_TIMEOUT_MS = 30_000;
const LOOPBACK = '127.0.0.1';

const homes: ServerHome[] = [];

function home(server: Record<string, unknown>): ServerHome {
  const h = createServerHome({
    server: { host: LOOPBACK, logLevel: 'silent', ...server },
    applications: { vod: { type: 'vod', encryption: { missingKey: 'generate' } } },
  });
  homes.push(h);
  return h;
}

after(() => {
  for (const h of homes) h.remove();
});

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** GET over a keep-alive connection, as players and CDNs do; the body comes back whole. */
function httpGet(
  agent: http.Agent,
  port: number,
  urlPath: string,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: LOOPBACK, port, path: urlPath, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Resolves when a connection to `port` is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, LOOPBACK);
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

describe('startServer in-process', () => {
  // A close() that waited for the keep-alive connection would hang for the keep-alive timeout (72 s).
  test('serves /healthz and an encrypted stream over real HTTP, then closes', {
    timeout: CLOSE_TIMEOUT_MS,
  }, async () => {
    const h = home({ port: 0 });
    const server = await startServer(h.configFile);
    const agent = new http.Agent({ keepAlive: true });
    try {
      assert.ok(server.port > 0);
      assert.equal(server.rtmpPort, undefined);
      const health = await httpGet(agent, server.port, '/healthz');
      assert.equal(health.status, 200);
      const masterPath = '/vod/mp4:sample.mp4/playlist.m3u8';
      const master = await httpGet(agent, server.port, masterPath);
      assert.equal(master.status, 200);
      assert.match(master.body.toString(), /^#EXTM3U/);
      const chunklistPath = resolveUri(masterPath, uriLines(master.body.toString())[0]!);
      const chunklist = await httpGet(agent, server.port, chunklistPath);
      assert.equal(chunklist.status, 200);
      const tag = keyTags(chunklist.body.toString())[0]!;
      const key = await httpGet(agent, server.port, resolveUri(chunklistPath, tag.uri!));
      assert.equal(key.body.length, 16);
      const segPath = resolveUri(chunklistPath, uriLines(chunklist.body.toString())[0]!);
      const seg = await httpGet(agent, server.port, segPath);
      assert.equal(decryptSegment(seg.body, key.body, ivFromSequence(0))[0], TS_SYNC);
    } finally {
      // The agent's keep-alive connection is still open: close() must not wait for it.
      await server.close();
      agent.destroy();
    }
    assert.ok(await refused(server.port), 'the port is closed');
  });

  test('an RTMP handshake on the shared port is answered by RTMP; HTTP on the same port still works', async () => {
    const h = home({ port: 0 });
    const server = await startServer(h.configFile);
    try {
      // C0 (version 3) and C1 (1536 bytes): an RTMP server answers with S0, version 3, where an
      // HTTP server would answer "HTTP/1.1 400".
      const c0c1 = Buffer.concat([Buffer.from([RTMP_C0]), randomBytes(RTMP_C1_BYTES)]);
      const first = await new Promise<Buffer>((resolve, reject) => {
        const s = net.connect(server.port, LOOPBACK, () => s.write(c0c1));
        s.once('data', (d: Buffer) => {
          s.destroy();
          resolve(d);
        });
        s.on('error', reject);
      });
      assert.equal(first[0], RTMP_C0);
      const agent = new http.Agent({ keepAlive: false });
      assert.equal((await httpGet(agent, server.port, '/healthz')).status, 200);
    } finally {
      await server.close();
    }
  });

  test('a separate rtmpPort is listened on beside the HTTP port', async () => {
    const h = home({ port: 0, rtmpPort: 0 });
    const server = await startServer(h.configFile);
    try {
      assert.ok(server.rtmpPort !== undefined && server.rtmpPort > 0);
      assert.notEqual(server.rtmpPort, server.port);
      assert.equal(await refused(server.rtmpPort), false);
    } finally {
      await server.close();
    }
    assert.ok(await refused(server.rtmpPort!));
  });
});

describe('the built binary', () => {
  before(() => ensureBuilt());

  test('serve answers on its port and exits 0 soon after SIGTERM, even with a keep-alive client', async () => {
    const port = await freePort();
    const h = home({ port, logLevel: 'info' });
    const child = spawn(process.execPath, [MAIN_JS, 'serve', '--config', h.configFile], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const agent = new http.Agent({ keepAlive: true });
    try {
      const started = Date.now();
      let status = 0;
      while (status !== 200) {
        assert.ok(Date.now() - started < START_TIMEOUT_MS, `no answer on ${port}: ${stderr}`);
        status = await httpGet(agent, port, '/healthz').then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await new Promise((r) => setTimeout(r, POLL_MS));
      }
      assert.equal((await httpGet(agent, port, '/vod/mp4:sample.mp4/playlist.m3u8')).status, 200);
      child.kill('SIGTERM');
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
      const result = await Promise.race([exited, timeout]);
      assert.notEqual(result, 'timeout', 'exited within a few seconds of SIGTERM');
      assert.deepEqual(result, { code: 0, signal: null });
    } finally {
      agent.destroy();
      child.kill('SIGKILL');
    }
    assert.match(stdout, /"msg":"hls-origin listening"/);
    assert.match(stdout, /"msg":"hls-origin stopped"/);
    assert.ok(!hasStackTrace(stderr), stderr);
  });

  test('serve with an invalid config exits 1 with the problems and no stack trace', async () => {
    const h = home({ port: 0, bogus: true });
    const res = await runCli(['serve', '--config', h.configFile]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^server\.bogus: unknown key$/m);
    assert.ok(!hasStackTrace(res.stderr));
  });

  test('serve on a port already in use exits 1 with a message and no stack trace', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, LOOPBACK, resolve));
    try {
      const port = (blocker.address() as net.AddressInfo).port;
      const h = home({ port });
      const res = await runCli(['serve', '--config', h.configFile]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /EADDRINUSE/);
      assert.ok(!hasStackTrace(res.stderr));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
