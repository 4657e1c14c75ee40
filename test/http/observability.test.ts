// /metrics and /api/streams (SPEC §9): the exposition is read back by the official Prometheus
// client's parser, and the counters follow real traffic: VOD playlists, segments and keys (allowed
// and refused), and a live stream published with ffmpeg.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { publish } from '../helpers/live-ffmpeg.js';
import { chunklistUrlOf, fetchChunklist, waitFor } from '../helpers/live-hls.js';
import { DEFINST, LIVE_APP, type LiveServer, startLiveServer } from '../helpers/live-server.js';
import { parsePrometheus, sampleValue as value } from '../helpers/prometheus.js';
import { createFixture, type Fixture, writeStreamKey } from '../helpers/server-fixture.js';

describe('/metrics and /api/streams with VOD traffic', () => {
  let fx: Fixture;

  before(async () => {
    fx = await createFixture();
    writeStreamKey(fx.keyDir, 'vod', 'sample.mp4', { key: crypto.randomBytes(16) });
  });
  after(() => fx.close());

  const get = (url: string) => fx.app.http.inject({ method: 'GET', url });
  const scrape = async () => {
    const res = await get('/metrics');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return parsePrometheus(res.body);
  };

  test('counts requests by kind and status, bytes out, keys allowed and refused, segments packaged', async () => {
    const master = await get('/vod/mp4:sample.mp4/playlist.m3u8');
    assert.equal(master.statusCode, 200);
    const chunklistUri = master.body.split('\n').find((l) => l.startsWith('chunklist'));
    assert.ok(chunklistUri);
    const chunklist = await get(`/vod/mp4:sample.mp4/${chunklistUri}`);
    assert.equal(chunklist.statusCode, 200);
    const keyUri = /URI="([^"]+)"/.exec(chunklist.body)?.[1];
    assert.ok(keyUri);
    assert.equal((await get(`/vod/mp4:sample.mp4/${keyUri}`)).statusCode, 200);
    assert.equal((await get(`/vod/mp4:sample.mp4/${keyUri.split('?')[0]}`)).statusCode, 403);
    const segment = await get('/vod/mp4:sample.mp4/media_0.ts');
    assert.equal(segment.statusCode, 200);
    assert.equal((await get('/vod/mp4:nothing.mp4/media_0.ts')).statusCode, 404);

    const m = await scrape();
    assert.equal(value(m, 'hls_origin_http_requests_total', { kind: 'master', status: '200' }), 1);
    assert.equal(value(m, 'hls_origin_http_requests_total', { kind: 'chunklist', status: '200' }), 1);
    assert.equal(value(m, 'hls_origin_http_requests_total', { kind: 'key', status: '403' }), 1);
    assert.equal(value(m, 'hls_origin_http_requests_total', { kind: 'segment', status: '404' }), 1);
    assert.equal(value(m, 'hls_origin_key_requests_total', { result: 'allowed' }), 1);
    assert.equal(value(m, 'hls_origin_key_requests_total', { result: 'refused' }), 1);
    assert.ok(
      (value(m, 'hls_origin_http_response_bytes_total', { kind: 'segment' }) ?? 0) >=
        segment.rawPayload.length,
    );
    assert.ok((value(m, 'hls_origin_segments_packaged_total', { type: 'vod' }) ?? 0) >= 1);
    const histogram = m.find((f) => f.name === 'hls_origin_segment_packaging_seconds');
    assert.equal(histogram?.type, 'histogram');
    const count = value(m, 'hls_origin_segment_packaging_seconds_count', { type: 'vod' }) ?? 0;
    assert.ok(count >= 1);
    assert.equal(value(m, 'hls_origin_segment_packaging_seconds_bucket', { type: 'vod', le: '+Inf' }), count);
    assert.equal(value(m, 'hls_origin_segment_packaging_seconds_count', { type: 'live' }), 0);
    assert.equal(value(m, 'hls_origin_live_streams', { state: 'publishing' }), 0);
  });

  test('a scrape counts itself in the next one', async () => {
    const first =
      value(await scrape(), 'hls_origin_http_requests_total', { kind: 'metrics', status: '200' }) ?? 0;
    const second = value(await scrape(), 'hls_origin_http_requests_total', {
      kind: 'metrics',
      status: '200',
    });
    assert.equal(second, first + 1);
  });

  test('/api/streams lists no live streams on a VOD-only server, and is not cached', async () => {
    const res = await get('/api/streams');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.json(), { streams: [] });
  });
});

describe('/metrics and /api/streams with a live publisher', () => {
  let server: LiveServer;

  before(async () => {
    server = await startLiveServer();
  });
  after(() => server.close());

  test('a publishing stream is listed with codecs, size, bitrate, publisher and segments', async () => {
    const run = publish(server.rtmpUrl('observed'), { seconds: 30, realtime: true });
    try {
      const masterUrl = server.httpUrl('observed', 'playlist.m3u8');
      const chunklistUrl = await waitFor('a chunklist', () => chunklistUrlOf(masterUrl), 20_000);
      await waitFor(
        'two segments',
        async () => ((await fetchChunklist(chunklistUrl)).segments.length >= 2 ? true : undefined),
        20_000,
      );
      const res = await fetch(`${server.origin}/api/streams`);
      assert.equal(res.status, 200);
      const { streams } = (await res.json()) as { streams: Record<string, unknown>[] };
      assert.equal(streams.length, 1);
      const s = streams[0]!;
      assert.equal(s.app, LIVE_APP);
      assert.equal(s.instance, DEFINST);
      assert.equal(s.name, 'observed');
      assert.equal(s.state, 'publishing');
      assert.deepEqual(s.codecs, ['avc1.64000d', 'mp4a.40.2']);
      assert.equal(s.width, 320);
      assert.equal(s.height, 240);
      assert.match(String(s.publisher), /^127\.0\.0\.1:\d+$/);
      assert.ok(Number(s.segments) >= 2);
      assert.ok(Number(s.bitrate) > 10_000 && Number(s.bitrate) < 5_000_000, `bitrate ${s.bitrate}`);
      assert.ok(!Number.isNaN(Date.parse(String(s.startedAt))));

      const m = await parsePrometheus(await (await fetch(`${server.origin}/metrics`)).text());
      const labels = { app: LIVE_APP, instance: DEFINST, stream: 'observed' };
      assert.equal(value(m, 'hls_origin_live_streams', { state: 'publishing' }), 1);
      assert.equal(value(m, 'hls_origin_live_ingest_bits_per_second', labels), s.bitrate);
      assert.ok((value(m, 'hls_origin_live_ingest_bytes_total', labels) ?? 0) > 0);
      assert.ok((value(m, 'hls_origin_segments_packaged_total', { type: 'live' }) ?? 0) >= 2);
    } finally {
      run.kill();
      await run.done;
    }
  });
});
