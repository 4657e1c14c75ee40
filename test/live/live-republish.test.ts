// A publisher drops (killed, no unpublish) and another publishes the same name within the grace
// period: the media sequence continues after EXT-X-DISCONTINUITY; then the grace period runs out
// (EXT-X-ENDLIST) and, once the window has passed, the stream is gone (404).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FfmpegRun, publish } from '../helpers/live-ffmpeg.js';
import {
  chunklistUrlOf,
  fetchChunklist,
  isPlainTs,
  type LiveChunklist,
  lastSequence,
  waitFor,
} from '../helpers/live-hls.js';
import { DEFINST, LIVE_APP, type LiveServer, startLiveServer } from '../helpers/live-server.js';
import { get } from '../helpers/vod-server.js';

const TARGET_MS = 1000;
const GRACE_MS = 3000;
const MAX_CHUNKS = 4;
const STREAM = 'x';

describe('live republish, grace period and end of a stream', () => {
  let server: LiveServer;
  let first: FfmpegRun | undefined;
  let chunklistUrl: string;
  /** The newest segment of the first publisher. */
  let lastOfFirst: number;
  /** The chunklist once the second publisher has left. */
  let afterSecond: LiveChunklist;

  before(async () => {
    server = await startLiveServer({
      hls: { chunkDurationTarget: TARGET_MS, playlistChunkCount: MAX_CHUNKS, maxChunkCount: MAX_CHUNKS },
      gracePeriod: GRACE_MS,
    });
  });

  after(async () => {
    first?.kill();
    await server?.close();
  });

  const liveStream = () => server.app.live.stream(LIVE_APP, DEFINST, STREAM);

  test('a republish within the grace period continues the sequence after a discontinuity', async () => {
    first = publish(server.rtmpUrl(STREAM), { seconds: 30, realtime: true });
    const masterUrl = server.httpUrl(STREAM, 'playlist.m3u8');
    chunklistUrl = await waitFor(
      'two segments of the first publisher',
      async () => {
        const url = await chunklistUrlOf(masterUrl);
        if (url === undefined) return undefined;
        return (await fetchChunklist(url)).segments.length >= 2 ? url : undefined;
      },
      15_000,
    );
    first.kill('SIGKILL');
    await first.done;
    await waitFor(
      'the stream to wait for its publisher',
      () => (liveStream().state === 'waiting' ? true : undefined),
      5000,
    );
    await liveStream().settled();
    const dropped = await fetchChunklist(chunklistUrl);
    assert.equal(dropped.status, 200);
    assert.equal(dropped.endList, false, 'no ENDLIST during the grace period');
    assert.ok(dropped.segments.every((s) => !s.discontinuity));
    lastOfFirst = lastSequence(dropped)!;

    const second = await publish(server.rtmpUrl(STREAM), { seconds: 2 }).done;
    assert.equal(second.code, 0, `second publisher: ${second.stderr}`);
    await liveStream().settled();
    afterSecond = await fetchChunklist(chunklistUrl);
    assert.equal(afterSecond.status, 200);
    const fresh = afterSecond.segments.filter((s) => s.sequence > lastOfFirst);
    assert.ok(fresh.length >= 2, `the republish added ${fresh.length} segments`);
    assert.equal(fresh[0]!.sequence, lastOfFirst + 1, 'the media sequence continues');
    assert.ok(fresh[0]!.discontinuity, 'EXT-X-DISCONTINUITY before the first new segment');
    const marked = afterSecond.segments.filter((s) => s.discontinuity).map((s) => s.sequence);
    assert.deepEqual(marked, [lastOfFirst + 1], 'one discontinuity, at the republish');
    assert.ok(
      afterSecond.segments.some((s) => s.sequence <= lastOfFirst),
      'old segments stay listed',
    );

    const lines = afterSecond.response.text.split('\n');
    const firstNewUri = new URL(fresh[0]!.url).pathname.split('/').at(-1)!;
    const at = lines.indexOf(firstNewUri);
    const before = lines.slice(0, at).reverse();
    const lastSegmentUri = before.findIndex((l) => l !== '' && !l.startsWith('#'));
    const discontinuityTag = before.indexOf('#EXT-X-DISCONTINUITY');
    assert.ok(
      discontinuityTag >= 0 && discontinuityTag < lastSegmentUri,
      'tag sits between the two publishes',
    );

    for (const s of fresh) {
      const res = await get(s.url);
      assert.equal(res.status, 200);
      assert.ok(!isPlainTs(res.body), 'republished segments are encrypted too');
    }
  });

  test('after the grace period with no publisher the playlist ends with EXT-X-ENDLIST', async () => {
    assert.equal(afterSecond.endList, false, 'no ENDLIST right after the publisher left');
    const ended = await waitFor(
      'EXT-X-ENDLIST',
      async () => {
        const c = await fetchChunklist(chunklistUrl);
        return c.endList ? c : undefined;
      },
      GRACE_MS + 3000,
    );
    assert.equal(ended.response.text.trimEnd().split('\n').at(-1), '#EXT-X-ENDLIST');
    assert.equal(lastSequence(ended), lastSequence(afterSecond), 'no segment was added after the end');
    assert.equal(liveStream().state, 'ended');
  });

  test('once the window has passed the stream answers 404', async () => {
    await waitFor(
      'the stream to be gone',
      async () => ((await fetchChunklist(chunklistUrl)).status === 404 ? true : undefined),
      MAX_CHUNKS * TARGET_MS + 3000,
    );
    assert.equal((await get(server.httpUrl(STREAM, 'playlist.m3u8'))).status, 404);
    assert.equal((await get(afterSecond.segments.at(-1)!.url)).status, 404);
    assert.deepEqual(server.app.live.list(), []);
  });
});
