// `server.rtmpPort` set: the server from startServer takes RTMP on that port, serves HLS on the HTTP
// port, and the HTTP port no longer takes RTMP.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from '../../src/cli/serve.js';
import { publish } from '../helpers/live-ffmpeg.js';
import { chunklistUrlOf, fetchChunklist, isPlainTs, waitFor } from '../helpers/live-hls.js';
import { freePort, LIVE_APP, LOOPBACK, liveAppConfig } from '../helpers/live-server.js';
import { createServerHome, type ServerHome } from '../helpers/server-fixture.js';
import { get } from '../helpers/vod-server.js';

const STREAM = 'x';
/** A stop that takes longer than this is waiting on connections it should have ended. */
const STOP_DEADLINE_MS = 5000;

describe('a separate rtmpPort', () => {
  let home: ServerHome;
  let server: RunningServer;
  let rtmpPort: number;
  let closed = false;

  before(async () => {
    rtmpPort = await freePort();
    home = createServerHome({
      server: { host: LOOPBACK, port: 0, rtmpPort, logLevel: 'silent' },
      applications: { [LIVE_APP]: liveAppConfig() },
      sample: false,
    });
    server = await startServer(home.configFile);
  });

  after(async () => {
    if (!closed) await server?.close();
    home?.remove();
  });

  test('startServer listens on the configured RTMP port beside the HTTP port', () => {
    assert.equal(server.rtmpPort, rtmpPort);
    assert.notEqual(server.port, rtmpPort);
  });

  test('ffmpeg publishes on the RTMP port and the stream plays from the HTTP port', async () => {
    const r = await publish(`rtmp://${LOOPBACK}:${rtmpPort}/${LIVE_APP}/${STREAM}`, { seconds: 2 }).done;
    assert.equal(r.code, 0, `publisher: ${r.stderr}`);
    const origin = `http://${LOOPBACK}:${server.port}`;
    const url = await waitFor(
      'the chunklist URL',
      () => chunklistUrlOf(`${origin}/${LIVE_APP}/${STREAM}/playlist.m3u8`),
      5000,
    );
    const list = await waitFor(
      'two segments',
      async () => {
        const c = await fetchChunklist(url);
        return c.segments.length >= 2 ? c : undefined;
      },
      5000,
    );
    for (const s of list.segments) {
      assert.equal(s.method, 'AES-128');
      const res = await get(s.url);
      assert.equal(res.status, 200);
      assert.ok(!isPlainTs(res.body));
    }
  });

  test('the HTTP port refuses RTMP when rtmpPort is set, and still answers HTTP', async () => {
    const r = await publish(`rtmp://${LOOPBACK}:${server.port}/${LIVE_APP}/other`, { seconds: 1 }).done;
    assert.notEqual(r.code, 0);
    const health = await get(`http://${LOOPBACK}:${server.port}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(
      (await get(`http://${LOOPBACK}:${server.port}/${LIVE_APP}/other/playlist.m3u8`)).status,
      404,
    );
  });

  test('close() ends a connected publisher and idle keep-alive connections instead of waiting for them', async () => {
    const publisher = publish(`rtmp://${LOOPBACK}:${rtmpPort}/${LIVE_APP}/live2`, {
      seconds: 30,
      realtime: true,
    });
    try {
      const origin = `http://${LOOPBACK}:${server.port}`;
      await waitFor(
        'a segment of the publisher',
        async () => {
          const url = await chunklistUrlOf(`${origin}/${LIVE_APP}/live2/playlist.m3u8`);
          return url !== undefined && (await fetchChunklist(url)).segments.length > 0 ? true : undefined;
        },
        15_000,
      );
      // fetch keeps its connection alive; the server's keep-alive timeout is 72 s.
      assert.equal((await get(`${origin}/healthz`)).status, 200);
      let deadline: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        server.close().then(() => 'closed'),
        new Promise((resolve) => {
          deadline = setTimeout(() => resolve('still closing'), STOP_DEADLINE_MS);
        }),
      ]);
      clearTimeout(deadline);
      closed = true;
      assert.equal(outcome, 'closed');
      const done = await publisher.done;
      assert.equal(done.signal, null, 'the publisher was not killed by the test: the server hung up');
    } finally {
      publisher.kill();
    }
  });
});
