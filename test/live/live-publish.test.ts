// End to end on the shared port: ffmpeg publishes over RTMP in real time while a second ffmpeg records
// the encrypted live HLS; the recording, the segments, the playlists and a refused second publisher
// are checked against ffmpeg, m3u8-parser and the stream's key file.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  countVideoFrames,
  decodeErrors,
  type FfmpegRun,
  FRAME_RATE,
  GOP_SECONDS,
  publish,
  record,
} from '../helpers/live-ffmpeg.js';
import {
  fetchChunklist,
  isPlainTs,
  type LiveChunklist,
  lastSequence,
  maxAge,
  sequenceIv,
  sleep,
  waitFor,
  waitForFirstSegment,
} from '../helpers/live-hls.js';
import { DEFINST, LIVE_APP, type LiveServer, startLiveServer } from '../helpers/live-server.js';
import { makeTempDir } from '../helpers/server-fixture.js';
import { decryptSegment, get, readKeyFile } from '../helpers/vod-server.js';

const TARGET_MS = 2000;
const TARGET_S = TARGET_MS / 1000;
const PUBLISH_SECONDS = 8;
const STREAM = 'x';
/** Slack for durations written with three decimals. */
const DURATION_EPSILON = 0.001;
/** How often the chunklist is polled while the stream runs. */
const POLL_MS = 300;

describe('live publish on the shared port, recorded by ffmpeg', () => {
  let server: LiveServer;
  let tmp: string;
  let recordingFile: string;
  let publisher: FfmpegRun;
  let recorder: FfmpegRun;
  let chunklistUrl: string;
  let startedAt: number;
  const polls: LiveChunklist[] = [];
  let polling = true;
  let pollLoop: Promise<void>;

  before(async () => {
    startedAt = Date.now();
    server = await startLiveServer({ hls: { chunkDurationTarget: TARGET_MS } });
    tmp = makeTempDir();
    recordingFile = path.join(tmp, 'out.ts');
    publisher = publish(server.rtmpUrl(STREAM), { seconds: PUBLISH_SECONDS, realtime: true });
    const masterUrl = server.httpUrl(STREAM, 'playlist.m3u8');
    chunklistUrl = await waitForFirstSegment(masterUrl);
    recorder = record(masterUrl, recordingFile);
    pollLoop = (async () => {
      while (polling) {
        polls.push(await fetchChunklist(chunklistUrl));
        await sleep(POLL_MS);
      }
    })();
  });

  after(async () => {
    polling = false;
    publisher?.kill();
    recorder?.kill();
    await pollLoop;
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** The chunklist once the stream has ended: every segment of this short stream is still listed. */
  async function finalChunklist(): Promise<LiveChunklist> {
    const done = await recorder.done;
    assert.equal(done.code, 0, `recorder: ${done.stderr}`);
    return waitFor(
      'EXT-X-ENDLIST',
      async () => {
        const c = await fetchChunklist(chunklistUrl);
        return c.endList ? c : undefined;
      },
      10_000,
    );
  }

  test('a second publisher of the same name is refused while the first goes on', async () => {
    const before = lastSequence(await fetchChunklist(chunklistUrl));
    assert.ok(before !== undefined);
    const second = await publish(server.rtmpUrl(STREAM), { seconds: 2 }).done;
    assert.notEqual(second.code, 0, 'the second publisher must fail');
    await waitFor(
      'a new segment after the refusal',
      async () => {
        const last = lastSequence(await fetchChunklist(chunklistUrl));
        return last !== undefined && last > before ? last : undefined;
      },
      3 * TARGET_MS + 2000,
    );
    const first = await publisher.done;
    assert.equal(first.code, 0, `first publisher: ${first.stderr}`);
    const streams = server.app.live.list().map((s) => s.name);
    assert.deepEqual(streams, [STREAM]);
  });

  test('every video frame of the recording decodes without errors', async () => {
    const done = await recorder.done;
    assert.equal(done.code, 0, `recorder: ${done.stderr}`);
    assert.equal(await decodeErrors(recordingFile), '');
    // The recorder joins a few seconds in; it must still get most of the stream.
    const frames = await countVideoFrames(recordingFile);
    assert.ok(frames >= 3 * FRAME_RATE, `only ${frames} video frames recorded`);
  });

  test('segments are encrypted with the key file and the playlist IV, and decrypt to TS', async () => {
    const list = await finalChunklist();
    const key = readKeyFile(server.keyDir, [path.join(LIVE_APP, DEFINST, `${STREAM}.key`)]);
    assert.ok(list.segments.length >= 3);
    for (const seg of list.segments) {
      assert.equal(seg.method, 'AES-128');
      assert.ok(seg.iv, 'the IV is written into the chunklist');
      assert.deepEqual(seg.iv, sequenceIv(seg.sequence), 'without a fixed IV, the IV is the sequence');
      const res = await get(seg.url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'video/mp2t');
      assert.ok(!isPlainTs(res.body), `segment ${seg.sequence} went out in the clear`);
      assert.equal(res.body.length % 16, 0, 'AES-CBC output is whole blocks');
      const plain = decryptSegment(res.body, key, seg.iv);
      assert.ok(isPlainTs(plain), `segment ${seg.sequence} does not decrypt to 188-byte TS packets`);
    }
    // A player gets the same key through the key URI.
    const keyUrl = list.segments[0]?.keyUrl;
    assert.ok(keyUrl);
    const served = await get(keyUrl);
    assert.equal(served.status, 200);
    assert.deepEqual(served.body, key);
    assert.equal(served.headers.get('cache-control'), 'no-store');
  });

  test('segments last from the target to one GOP more, except the last', async () => {
    const list = await finalChunklist();
    const durations = list.segments.map((s) => s.duration);
    const last = durations.pop();
    assert.ok(last !== undefined && last > 0 && last <= TARGET_S + GOP_SECONDS + DURATION_EPSILON);
    for (const d of durations) {
      assert.ok(
        d >= TARGET_S - DURATION_EPSILON && d <= TARGET_S + GOP_SECONDS + DURATION_EPSILON,
        `EXTINF ${d} outside [${TARGET_S}, ${TARGET_S + GOP_SECONDS}] in ${durations.join(', ')}`,
      );
    }
    const total = [...durations, last].reduce((a, b) => a + b, 0);
    assert.ok(
      Math.abs(total - PUBLISH_SECONDS) <= GOP_SECONDS,
      `${total} s listed for ${PUBLISH_SECONDS} s sent`,
    );
    assert.ok(
      list.targetDuration >= Math.ceil(Math.max(...list.segments.map((s) => s.duration)) - DURATION_EPSILON),
    );
  });

  test('media sequence numbers start from the wall clock and go up by one', async () => {
    await finalChunklist();
    const live = polls.filter((p) => p.status === 200);
    assert.ok(live.length >= 5, `only ${live.length} chunklists polled`);
    const first = live[0]!.mediaSequence;
    assert.ok(first >= Math.floor(startedAt / 1000), `media sequence ${first} is not wall-clock based`);
    const byUrl = new Map<string, number>();
    let previousMediaSequence = 0;
    for (const p of live) {
      assert.ok(p.mediaSequence >= previousMediaSequence);
      previousMediaSequence = p.mediaSequence;
      for (const s of p.segments) {
        const seen = byUrl.get(s.url);
        if (seen !== undefined) assert.equal(s.sequence, seen, `${s.url} changed its sequence number`);
        byUrl.set(s.url, s.sequence);
      }
    }
    const sequences = [...new Set(byUrl.values())].sort((a, b) => a - b);
    assert.ok(sequences.length >= 3);
    sequences.forEach((s, i) => {
      assert.equal(s, sequences[0]! + i, `sequence numbers skip: ${sequences.join(', ')}`);
    });
  });

  test('live chunklists are cacheable for at most half a target duration and parse with m3u8-parser', async () => {
    await finalChunklist();
    const live = polls.filter((p) => p.status === 200 && !p.endList);
    assert.ok(live.length > 0);
    for (const p of live) {
      assert.equal(p.response.headers.get('content-type'), 'application/vnd.apple.mpegurl');
      const age = maxAge(p.response.headers.get('cache-control'));
      assert.ok(age !== undefined, `no max-age in ${p.response.headers.get('cache-control')}`);
      assert.ok(age <= p.targetDuration / 2, `max-age ${age} for target duration ${p.targetDuration}`);
      const m = p.manifest!;
      assert.equal(m.endList, undefined, 'a live chunklist has no ENDLIST');
      assert.equal(m.playlistType, undefined, 'a live chunklist has no PLAYLIST-TYPE');
      assert.ok(m.targetDuration !== undefined && m.targetDuration >= TARGET_S);
      assert.ok(m.segments.length > 0 && m.segments.every((s) => s.key?.method === 'AES-128'));
    }
  });
});
