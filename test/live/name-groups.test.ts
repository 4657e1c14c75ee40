// Name groups (SPEC §6): `ngrp:<base>_<group>` is a master playlist of the group's live streams as
// they are published, each under a fixed rendition number and its own key; ffmpeg records each
// rendition through the master, and the recordings decode without errors.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeErrors, type FfmpegRun, runFfmpeg } from '../helpers/live-ffmpeg.js';
import { fetchChunklist, waitFor } from '../helpers/live-hls.js';
import { DEFINST, LIVE_APP, type LiveServer, startLiveServer } from '../helpers/live-server.js';
import { probeStreams } from '../helpers/vod-media.js';
import { get, parsePlaylist } from '../helpers/vod-server.js';

/** Two renditions of one picture with keyframes every second at the same times. */
function publishRendition(url: string, size: string, bitrate: string): FfmpegRun {
  return runFfmpeg([
    ...['-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`],
    ...['-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '40'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-b:v', bitrate, '-g', '25', '-keyint_min', '25'],
    ...['-sc_threshold', '0', '-c:a', 'aac', '-f', 'flv', url],
  ]);
}

describe('live name groups', () => {
  let server: LiveServer;
  const publishers: FfmpegRun[] = [];

  before(async () => {
    server = await startLiveServer({ nameGroups: { all: ['_240p', '_480p'], solo: ['_480p'] } });
  });

  after(async () => {
    for (const p of publishers) p.kill();
    await Promise.all(publishers.map((p) => p.done));
    await server.close();
  });

  const masterUrl = (name: string) => server.httpUrl(`ngrp:${name}`, 'playlist.m3u8');

  /** The master's variants once it lists `count` of them. */
  async function variantsWhen(count: number) {
    return waitFor(
      `${count} published member(s)`,
      async () => {
        const res = await get(masterUrl('cam_all'));
        if (res.status !== 200) return undefined;
        const variants = parsePlaylist(res.text).playlists ?? [];
        return variants.length === count ? variants : undefined;
      },
      30_000,
      250,
    );
  }

  test('a group with no member published yet is 404; an unknown group is 404', async () => {
    const none = await get(masterUrl('cam_all'));
    assert.equal(none.status, 404);
    assert.match(none.text, /no stream of name group cam_all is published/);
    const unknown = await get(masterUrl('cam_nope'));
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /no name group "nope"/);
  });

  test('members appear as they are published, each under its place in the group', async () => {
    // The second member starts first: it is listed alone, but as rendition 1.
    publishers.push(publishRendition(server.rtmpUrl('cam_480p'), '640x480', '900k'));
    const [only] = await variantsWhen(1);
    assert.match(only!.uri, /^chunklist_r1\.m3u8\?/);
    assert.deepEqual(only!.attributes.RESOLUTION, { width: 640, height: 480 });

    publishers.push(publishRendition(server.rtmpUrl('cam_240p'), '320x240', '300k'));
    const both = await variantsWhen(2);
    assert.deepEqual(
      both.map((v) => [v.uri.split('?')[0], v.attributes.RESOLUTION]),
      [
        ['chunklist_r0.m3u8', { width: 320, height: 240 }],
        ['chunklist_r1.m3u8', { width: 640, height: 480 }],
      ],
    );
    // A one-member group names its chunklist without a rendition number.
    const solo = parsePlaylist((await get(masterUrl('cam_solo'))).text).playlists ?? [];
    assert.match(solo[0]!.uri, /^chunklist\.m3u8\?/);
  });

  test('each member is encrypted with its own key and decrypts to MPEG-TS', async () => {
    const variants = await variantsWhen(2);
    const keys: string[] = [];
    for (const [i, v] of variants.entries()) {
      const chunklistUrl = new URL(v.uri, masterUrl('cam_all')).href;
      const chunklist = await waitFor(
        'two segments',
        async () => {
          const c = await fetchChunklist(chunklistUrl);
          return c.segments.length >= 2 ? c : undefined;
        },
        30_000,
        250,
      );
      const segment = chunklist.segments[0]!;
      assert.equal(segment.method, 'AES-128');
      assert.match(segment.keyUrl!, new RegExp(`/key_r${i}_[0-9a-f]{8}\\.key\\?`));
      const key = (await get(segment.keyUrl!)).body;
      keys.push(key.toString('hex'));
      const data = (await get(segment.url)).body;
      const decipher = crypto.createDecipheriv('aes-128-cbc', key, segment.iv!);
      const ts = Buffer.concat([decipher.update(data), decipher.final()]);
      assert.equal(ts[0], 0x47);
      assert.equal(ts.length % 188, 0);
    }
    assert.notEqual(keys[0], keys[1]);
    for (const name of ['cam_240p', 'cam_480p']) {
      assert.ok(fs.existsSync(path.join(server.keyDir, LIVE_APP, DEFINST, `${name}.key`)), `${name}.key`);
    }
  });

  test('ffmpeg records each rendition through the master playlist without decode errors', async () => {
    await variantsWhen(2);
    for (const [i, height] of [240, 480].entries()) {
      const out = path.join(server.home, `ngrp-${i}.ts`);
      const rec = await runFfmpeg([
        ...['-loglevel', 'error', '-i', masterUrl('cam_all'), '-map', `0:v:${i}`, '-map', `0:a:${i}`],
        ...['-t', '3', '-c', 'copy', '-f', 'mpegts', '-y', out],
      ]).done;
      assert.equal(rec.code, 0, rec.stderr);
      assert.equal(await decodeErrors(out), '', `rendition ${i}`);
      const probe = await runFfmpeg(['-loglevel', 'error', '-i', out, '-f', 'null', '-']).done;
      assert.equal(probe.code, 0);
      assert.ok(fs.statSync(out).size > 10_000, `rendition ${i} (${height}p) recorded`);
      const { streams } = await probeStreams(out);
      assert.equal(streams.find((st) => st.codec_type === 'video')?.height, height, `rendition ${i}`);
    }
  });
});
