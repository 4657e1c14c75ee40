// SMIL adaptive sets (SPEC §6): a master playlist with one variant per entry, read by m3u8-parser;
// each rendition encrypted with its own key lookup and decoded by ffmpeg into exactly its source's
// frames; renditions with aligned keyframes cut at the same times; bad SMIL files answered with
// clear 4xx and the server goes on.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTempDir } from '../helpers/server-fixture.js';
import { audioPacketHashes, CORRUPTION_PATTERN, makeClips, videoFrameHashes } from '../helpers/vod-media.js';
import {
  fetchDecryptedSegments,
  fetchKey,
  fetchPlaylists,
  get,
  parsePlaylist,
  startVodServer,
  type VodServer,
} from '../helpers/vod-server.js';

const TARGET_MS = 2000;
/** Same source and GOP, two sizes and bitrates: keyframes aligned across renditions. */
const ALIGNED = ['-g', '50', '-keyint_min', '50', '-sc_threshold', '0'];
const RENDITIONS = [
  { name: 'abr_180p.mp4', size: '320x180', bitrate: '300k' },
  { name: 'abr_360p.mp4', size: '640x360', bitrate: '900k' },
] as const;

const SMIL = `<?xml version="1.0" encoding="UTF-8"?>
<smil title="abr">
  <body>
    <switch>
      <!-- <video src="mp4:commented-out.mp4"/> -->
      <video src="mp4:abr_180p.mp4" system-bitrate="364000" width="320" height="180"/>
      <video src="abr_360p.mp4" width="640" height="360">
        <param name="videoBitrate" value="900000" valuetype="data"></param>
        <param name="audioBitrate" value="64000" valuetype="data"></param>
      </video>
    </switch>
  </body>
</smil>
`;

/** Bad SMIL files and the status each must get. */
const BAD: readonly {
  readonly name: string;
  readonly text: string;
  readonly status: number;
  readonly says: RegExp;
}[] = [
  { name: 'garbage.smil', text: '\u0000\u0001 not xml at all', status: 415, says: /no <smil> element/ },
  {
    name: 'empty.smil',
    text: '<smil><body><switch></switch></body></smil>',
    status: 415,
    says: /no <video>/,
  },
  {
    name: 'missing.smil',
    text: '<smil><body><switch><video src="mp4:abr_180p.mp4"/><video src="mp4:gone.mp4"/></switch></body></smil>',
    status: 404,
    says: /SMIL entry 2 \(gone\.mp4\)/,
  },
  {
    name: 'escape.smil',
    text: '<smil><body><switch><video src="mp4:../outside.mp4"/></switch></body></smil>',
    status: 415,
    says: /names no file under storageDir/,
  },
  {
    name: 'flv.smil',
    text: '<smil><body><switch><video src="flv:old.flv"/></switch></body></smil>',
    status: 415,
    says: /only mp4: sources/,
  },
  {
    name: 'bad-number.smil',
    text: '<smil><body><switch><video src="mp4:abr_180p.mp4" width="wide"/></switch></body></smil>',
    status: 415,
    says: /width is not a whole number/,
  },
];

describe('SMIL adaptive sets', () => {
  let dir = '';
  let storageDir = '';
  let keyDir = '';
  let server: VodServer;

  before(async () => {
    dir = makeTempDir();
    storageDir = path.join(dir, 'content');
    keyDir = path.join(dir, 'keys');
    fs.mkdirSync(storageDir);
    await makeClips(
      storageDir,
      RENDITIONS.map((r) => ({
        name: r.name,
        seconds: 9,
        size: r.size,
        videoCodec: ['-c:v', 'libx264', '-profile:v', 'high', '-bf', '3', '-b:v', r.bitrate, ...ALIGNED],
      })),
    );
    fs.writeFileSync(path.join(storageDir, 'abr.smil'), SMIL);
    for (const b of BAD) fs.writeFileSync(path.join(storageDir, b.name), b.text);
    server = await startVodServer({ storageDir, keyDir, targetMs: TARGET_MS });
  });

  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const masterUrl = () => `${server.origin}/vod/smil:abr.smil/playlist.m3u8`;

  test('the master playlist lists one variant per entry, in order, with their own figures', async () => {
    const res = await get(masterUrl());
    assert.equal(res.status, 200);
    const master = parsePlaylist(res.text);
    const variants = master.playlists ?? [];
    assert.equal(variants.length, 2);
    assert.deepEqual(
      variants.map((v) => v.attributes.RESOLUTION),
      [
        { width: 320, height: 180 },
        { width: 640, height: 360 },
      ],
    );
    const [low, high] = variants.map((v) => Number(v.attributes.BANDWIDTH));
    assert.ok(low! > 0 && high! > low!, `BANDWIDTH ${low} < ${high}`);
    assert.match(variants[1]!.uri, /^chunklist_r1\.m3u8\?wowzasessionid=/);
  });

  test('each rendition decodes to exactly its source, encrypted with its own key', async () => {
    const keys: string[] = [];
    for (const [i, r] of RENDITIONS.entries()) {
      const pl = await fetchPlaylists(masterUrl());
      const chunklistUrl = new URL(pl.master.playlists![i]!.uri, masterUrl()).href;
      const chunklist = parsePlaylist((await get(chunklistUrl)).text);
      const keyUri = chunklist.segments[0]!.key!.uri;
      assert.match(keyUri, new RegExp(`^key_r${i}_[0-9a-f]{8}\\.key\\?wowzasessionid=`));
      keys.push((await get(new URL(keyUri, chunklistUrl).href)).body.toString('hex'));
      const source = path.join(storageDir, r.name);
      const [ours, theirs] = await Promise.all([videoFrameHashes(chunklistUrl), videoFrameHashes(source)]);
      assert.doesNotMatch(ours.warnings, CORRUPTION_PATTERN);
      assert.ok(ours.hashes.length > 200);
      assert.deepEqual(ours.hashes, theirs.hashes, `${r.name}: decoded frames`);
      const [ourAudio, theirAudio] = await Promise.all([
        audioPacketHashes(chunklistUrl),
        audioPacketHashes(source),
      ]);
      assert.deepEqual(ourAudio.hashes, theirAudio.hashes, `${r.name}: AAC packets`);
    }
    assert.notEqual(keys[0], keys[1], 'each rendition has its own key');
    for (const r of RENDITIONS) {
      assert.ok(fs.existsSync(path.join(keyDir, 'vod', '_definst_', `${r.name}.key`)), `${r.name}.key`);
    }
  });

  test('renditions with aligned keyframes are cut at the same times', async () => {
    const res = await get(masterUrl());
    const master = parsePlaylist(res.text);
    const durations = await Promise.all(
      (master.playlists ?? []).map(async (v) => {
        const text = (await get(new URL(v.uri, masterUrl()).href)).text;
        return parsePlaylist(text).segments.map((s) => s.duration);
      }),
    );
    assert.ok(durations[0]!.length >= 4);
    assert.deepEqual(durations[1], durations[0]);
  });

  test('every segment of the first rendition decrypts to MPEG-TS and equals what mp4: serves', async () => {
    const pl = await fetchPlaylists(masterUrl());
    const segments = await fetchDecryptedSegments(pl, await fetchKey(pl));
    assert.ok(segments.length >= 4);
    for (const ts of segments) {
      assert.equal(ts.length % 188, 0);
      assert.equal(ts[0], 0x47);
    }
    const viaSmil = await get(`${server.origin}/vod/smil:abr.smil/media_r0_1.ts`);
    const viaMp4 = await get(`${server.origin}/vod/mp4:abr_180p.mp4/media_1.ts`);
    assert.equal(viaSmil.status, 200);
    assert.ok(viaSmil.body.equals(viaMp4.body));
  });

  test('a key needs a session; a rendition past the last is 404', async () => {
    const res = await get(masterUrl());
    const chunklistUrl = new URL(parsePlaylist(res.text).playlists![1]!.uri, masterUrl()).href;
    const keyUri = parsePlaylist((await get(chunklistUrl)).text).segments[0]!.key!.uri;
    const bare = new URL(keyUri.split('?')[0]!, chunklistUrl).href;
    assert.equal((await get(bare)).status, 403);
    const base = `${server.origin}/vod/smil:abr.smil`;
    const sid = new URL(chunklistUrl).search;
    assert.equal((await get(`${base}/chunklist_r2.m3u8${sid}`)).status, 404);
    assert.equal((await get(`${base}/media_r2_0.ts`)).status, 404);
  });

  for (const b of BAD) {
    test(`${b.name} answers ${b.status} with a reason`, async () => {
      const res = await get(`${server.origin}/vod/smil:${b.name}/playlist.m3u8`);
      assert.equal(res.status, b.status, res.text);
      assert.match(res.text, b.says);
    });
  }

  test('smil: must name a .smil file, and the server goes on serving', async () => {
    const res = await get(`${server.origin}/vod/smil:abr_180p.mp4/playlist.m3u8`);
    assert.equal(res.status, 415);
    assert.match(res.text, /must name a \.smil file/);
    assert.equal((await get(masterUrl())).status, 200);
  });
});
