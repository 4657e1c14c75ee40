// missingKey "refuse" on a live application with no key file: publishing works, but the chunklist
// answers 403 and no segment is ever served in the clear; once `genkey` writes a key file, new
// segments appear, encrypted with it.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { genkeyCommand } from '../../src/cli/genkey.js';
import { formatKeyFile } from '../../src/keys/key-file.js';
import { type FfmpegRun, publish } from '../helpers/live-ffmpeg.js';
import { chunklistUrlOf, fetchChunklist, isPlainTs, sequenceIv, waitFor } from '../helpers/live-hls.js';
import { DEFINST, LIVE_APP, type LiveServer, startLiveServer } from '../helpers/live-server.js';
import { LOG_LEVEL } from '../helpers/log-capture.js';
import { decryptSegment, get, readKeyFile } from '../helpers/vod-server.js';

const STREAM = 'x';
const PUBLISH_SECONDS = 15;
/** Segments cut (and dropped) before the key file is written. */
const DROPPED_BEFORE_KEY = 2;
const DROP_LOG = 'no usable key; live segment dropped';

describe('missingKey "refuse" on a live stream', () => {
  let server: LiveServer;
  let publisher: FfmpegRun;
  let chunklistUrl: string;
  const keyRel = path.join(LIVE_APP, DEFINST, `${STREAM}.key`);

  before(async () => {
    server = await startLiveServer({ encryption: { missingKey: 'refuse' } });
    publisher = publish(server.rtmpUrl(STREAM), { seconds: PUBLISH_SECONDS, realtime: true });
  });

  after(async () => {
    publisher?.kill();
    await server?.close();
  });

  const dropped = () => server.log.records().filter((r) => r.msg === DROP_LOG).length;

  test('publishing works, but the chunklist is refused and no segment is served', async () => {
    await waitFor(
      `${DROPPED_BEFORE_KEY} segments cut`,
      () => (dropped() >= DROPPED_BEFORE_KEY ? true : undefined),
      15_000,
    );
    const stream = server.app.live.stream(LIVE_APP, DEFINST, STREAM);
    assert.equal(stream.state, 'publishing');
    assert.equal(stream.window().length, 0, 'no segment is kept without a key');

    const url = await chunklistUrlOf(server.httpUrl(STREAM, 'playlist.m3u8'));
    assert.ok(url, 'the master playlist names the chunklist');
    chunklistUrl = url;
    const refused = await fetchChunklist(chunklistUrl);
    assert.equal(refused.status, 403);
    assert.doesNotMatch(refused.response.text, /#EXTINF|\.ts/);
    const refusals = server.log
      .records()
      .filter((r) => r.level >= LOG_LEVEL.error && /no key file/.test(String(r.msg)));
    assert.ok(refusals.length > 0, 'a refused stream leaves an error log line');

    // Sequence numbers start at the stream's start time in ms: probe the ones the dropped segments took.
    const first = stream.startedAt.getTime();
    for (let seq = first; seq < first + DROPPED_BEFORE_KEY + 2; seq++) {
      const res = await get(new URL(`media_${seq}.ts`, chunklistUrl).href);
      assert.ok(res.status === 404 || res.status === 403, `segment ${seq} answered ${res.status}`);
      assert.ok(!isPlainTs(res.body), `segment ${seq} went out in the clear`);
    }
    assert.ok(!fs.existsSync(path.join(server.keyDir, keyRel)), 'refuse never writes a key file');
  });

  test('after genkey, new segments appear encrypted with the new key', async () => {
    const printed: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        printed.push(chunk.toString());
        done();
      },
    });
    const code = await genkeyCommand(
      { config: server.configFile, app: LIVE_APP, stream: STREAM, force: false },
      out,
    );
    assert.equal(code, 0);
    assert.match(printed.join(''), /cupertinostreaming-aes128-key: [0-9A-Fa-f]{32}/);
    const key = readKeyFile(server.keyDir, [keyRel]);

    const list = await waitFor(
      'two segments after genkey',
      async () => {
        const c = await fetchChunklist(chunklistUrl);
        return c.status === 200 && c.segments.length >= 2 ? c : undefined;
      },
      8000,
    );
    for (const seg of list.segments) {
      assert.equal(seg.method, 'AES-128');
      assert.ok(seg.iv);
      assert.deepEqual(seg.iv, sequenceIv(seg.sequence));
      const res = await get(seg.url);
      assert.equal(res.status, 200);
      assert.ok(!isPlainTs(res.body), `segment ${seg.sequence} went out in the clear`);
      assert.ok(isPlainTs(decryptSegment(res.body, key, seg.iv)), `segment ${seg.sequence} does not decrypt`);
    }
    const keyRes = await get(list.segments[0]!.keyUrl!);
    assert.equal(keyRes.status, 200);
    assert.deepEqual(keyRes.body, key);
  });

  test('a key file broken mid-stream drops segments without a gap in the media sequence', async () => {
    const keyFile = path.join(server.keyDir, keyRel);
    const oldKey = readKeyFile(server.keyDir, [keyRel]);
    const before = dropped();
    fs.writeFileSync(keyFile, 'cupertinostreaming-aes128-key: not-hex\n');
    await waitFor(
      'a segment dropped for the broken key',
      () => (dropped() > before ? true : undefined),
      5000,
    );
    const broken = await fetchChunklist(chunklistUrl);
    assert.notEqual(broken.status, 200, 'a broken key file is never served around');
    const newKey = randomBytes(16);
    fs.writeFileSync(keyFile, formatKeyFile({ key: newKey }), { mode: 0o600 });
    const droppedWhileBroken = dropped() - before;

    const list = await waitFor(
      'two segments with the new key',
      async () => {
        const c = await fetchChunklist(chunklistUrl);
        const fresh = c.segments.filter((s) => s.keyUrl !== c.segments[0]?.keyUrl);
        return c.status === 200 && fresh.length >= 2 ? c : undefined;
      },
      8000,
    );
    // RFC 8216 §6.2.1: segment i of a playlist has number EXT-X-MEDIA-SEQUENCE + i, and players derive the
    // IV from that number when none is written, so a dropped segment must not leave a hole.
    let switched = -1;
    for (const [i, seg] of list.segments.entries()) {
      assert.deepEqual(seg.iv, sequenceIv(seg.sequence), `segment ${i}: IV is not its media sequence number`);
      const res = await get(seg.url);
      assert.equal(res.status, 200);
      assert.ok(!isPlainTs(res.body));
      const usesNew = seg.keyUrl !== list.segments[0]!.keyUrl;
      if (usesNew && switched < 0) switched = i;
      const plain = decryptSegment(res.body, usesNew ? newKey : oldKey, seg.iv!);
      assert.ok(isPlainTs(plain), `segment ${i} does not decrypt with the ${usesNew ? 'new' : 'old'} key`);
    }
    assert.ok(switched > 0, 'the window holds segments of both keys');
    assert.ok(droppedWhileBroken >= 1);
    assert.ok(
      list.segments[switched]!.discontinuity,
      'media is missing before the first segment after the gap',
    );
    const done = await publisher.done;
    assert.equal(done.code, 0, `publisher: ${done.stderr}`);
  });
});
