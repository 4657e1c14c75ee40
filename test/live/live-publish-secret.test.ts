// publishSecret (SPEC §7): ffmpeg publishing without `?secret=`, or with a wrong one, is refused;
// with the right one it publishes, and the stream is named without the query.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { publish } from '../helpers/live-ffmpeg.js';
import { chunklistUrlOf, fetchChunklist, waitFor } from '../helpers/live-hls.js';
import { type LiveServer, startLiveServer } from '../helpers/live-server.js';
import { get } from '../helpers/vod-server.js';

const SECRET = 's3cret';
const STREAM = 'x';
/** Media sent by each publisher: enough for one whole segment and a flushed one. */
const PUBLISH_SECONDS = 2;

describe('publishSecret', () => {
  let server: LiveServer;

  before(async () => {
    server = await startLiveServer({ publishSecret: SECRET });
  });

  after(async () => {
    await server?.close();
  });

  test('a publisher without ?secret= is refused', async () => {
    const r = await publish(server.rtmpUrl(STREAM), { seconds: PUBLISH_SECONDS }).done;
    assert.notEqual(r.code, 0, 'publishing without the secret must fail');
    assert.match(r.stderr, /secret/i, 'ffmpeg shows the refusal');
    assert.deepEqual(server.app.live.list(), []);
  });

  test('a publisher with a wrong secret is refused', async () => {
    const refusals = () => server.log.records().filter((r) => r.msg === 'publish refused: bad secret').length;
    const before = refusals();
    for (const wrong of ['s3cre', 's3cret2', 'S3CRET', '']) {
      const r = await publish(server.rtmpUrl(`${STREAM}?secret=${wrong}`), { seconds: PUBLISH_SECONDS }).done;
      assert.notEqual(r.code, 0, `secret "${wrong}" must be refused`);
    }
    assert.deepEqual(server.app.live.list(), []);
    assert.equal((await get(server.httpUrl(STREAM, 'playlist.m3u8'))).status, 404);
    assert.equal(refusals() - before, 4, 'each refusal is logged');
    assert.ok(!server.log.text().includes(SECRET), 'the secret is never logged');
  });

  test('with the right secret the stream publishes under its name without the query', async () => {
    const r = await publish(server.rtmpUrl(`${STREAM}?secret=${SECRET}`), { seconds: PUBLISH_SECONDS }).done;
    assert.equal(r.code, 0, `publisher: ${r.stderr}`);
    assert.deepEqual(
      server.app.live.list().map((s) => s.name),
      [STREAM],
    );
    const url = await waitFor(
      'the chunklist URL',
      () => chunklistUrlOf(server.httpUrl(STREAM, 'playlist.m3u8')),
      5000,
    );
    await server.app.live.list()[0]!.settled();
    const list = await fetchChunklist(url);
    assert.equal(list.status, 200);
    assert.ok(list.segments.length >= 1);
    assert.ok(list.segments.every((s) => s.method === 'AES-128'));
    const withQuery = await get(
      `${server.origin}/live/${encodeURIComponent(`${STREAM}?secret=${SECRET}`)}/playlist.m3u8`,
    );
    assert.equal(withQuery.status, 404, 'no stream is named with the query');
  });
});
