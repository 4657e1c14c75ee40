// One VOD stream over HTTP, judged by openssl, m3u8-parser and ffprobe: segments decrypt with the
// key file's key into clean TS, playlists say what the source is, and two origins agree byte for byte.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pino from 'pino';
import type { AppConfig } from '../../src/config/schema.js';
import type { StreamPath, StreamRequest } from '../../src/core/stream.js';
import { KeyStore } from '../../src/keys/key-store.js';
import { Mp4SourceCache } from '../../src/packager/mp4-source.js';
import { VodService } from '../../src/packager/vod-service.js';
import { makeClip, type ProbedStream, probeStreams } from '../helpers/vod-media.js';
import {
  decryptSegment,
  fetchKey,
  fetchPlaylists,
  get,
  readKeyFile,
  type StreamPlaylists,
  startVodServer,
  type VodServer,
  vodConfig,
} from '../helpers/vod-server.js';

const run = promisify(execFile);
const TARGET_MS = 2000;
const CLIP = 'movie.mp4';
const TS_PACKET = 188;
const SYNC_BYTE = 0x47;
const PAT_PID = 0;
const PMT_PID = 0x1000;
/** Segment durations must add up to the source's within this (seconds). */
const TOTAL_DURATION_TOLERANCE_S = 0.1;
/** profile_idc by the profile name ffprobe prints (ISO 14496-10 Annex A). */
const PROFILE_IDC: Record<string, number> = { Baseline: 66, 'Constrained Baseline': 66, Main: 77, High: 100 };
/** Where `missingKey: "generate"` writes the key: the first default lookup path (SPEC §5). */
const KEY_CANDIDATES = [`vod/_definst_/${CLIP}.key`, `${CLIP}.key`, 'vod/_application.key'];
/** Session ids differ per fetch; everything else in a chunklist must not. */
const SESSION_ID = /wowzasessionid=[^"&\s]+/g;

function pidOf(ts: Buffer, packet: number): number {
  const at = packet * TS_PACKET;
  return ((ts[at + 1]! & 0x1f) << 8) | ts[at + 2]!;
}

describe('a VOD stream judged by openssl, m3u8-parser and ffprobe', () => {
  let dir = '';
  let storageDir = '';
  let keyDir = '';
  let source = '';
  let server: VodServer;
  let pl: StreamPlaylists;
  let probed: { streams: ProbedStream[]; duration: number };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-'));
    storageDir = path.join(dir, 'content');
    keyDir = path.join(dir, 'keys');
    fs.mkdirSync(storageDir);
    source = await makeClip(storageDir, { name: CLIP, seconds: 11 });
    probed = await probeStreams(source);
    server = await startVodServer({ storageDir, keyDir, targetMs: TARGET_MS });
    pl = await fetchPlaylists(server.masterUrl(CLIP));
  });

  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('segments and keys', () => {
    test('the key URI answers the key file key', async () => {
      assert.deepEqual(await fetchKey(pl), readKeyFile(keyDir, KEY_CANDIDATES));
    });

    test('openssl decrypts a segment with the key file key and the playlist IV, as node:crypto does', async () => {
      const key = readKeyFile(keyDir, KEY_CANDIDATES);
      const seg = pl.segments[1]!;
      const encrypted = path.join(dir, 'segment1.enc');
      fs.writeFileSync(encrypted, (await get(seg.url)).body);
      const { stdout } = await run(
        'openssl',
        ['aes-128-cbc', '-d', '-K', key.toString('hex'), '-iv', seg.iv.toString('hex'), '-in', encrypted],
        { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
      );
      assert.ok(stdout.length > 0);
      assert.deepEqual(stdout, decryptSegment(fs.readFileSync(encrypted), key, seg.iv));
      assert.equal(stdout[0], SYNC_BYTE);
    });

    test('every segment decrypts into whole sync-aligned packets opening with PAT and PMT', async () => {
      const key = readKeyFile(keyDir, KEY_CANDIDATES);
      assert.ok(pl.segments.length >= 4, 'several segments');
      for (const [i, seg] of pl.segments.entries()) {
        const res = await get(seg.url);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'video/mp2t');
        assert.equal(res.body.length % 16, 0, 'AES-128-CBC output is whole blocks');
        const ts = decryptSegment(res.body, key, seg.iv);
        assert.equal(ts.length % TS_PACKET, 0, `segment ${i} is whole packets`);
        for (let p = 0; p < ts.length / TS_PACKET; p++) {
          assert.equal(ts[p * TS_PACKET], SYNC_BYTE, `segment ${i} packet ${p}`);
        }
        assert.deepEqual([pidOf(ts, 0), pidOf(ts, 1)], [PAT_PID, PMT_PID], `segment ${i}`);
      }
    });
  });

  describe('playlists read by m3u8-parser', () => {
    test('the master lists one variant that describes the source', () => {
      const video = probed.streams.find((s) => s.codec_type === 'video')!;
      const audio = probed.streams.find((s) => s.codec_type === 'audio')!;
      assert.equal(pl.master.playlists?.length, 1);
      const attrs = pl.master.playlists![0]!.attributes;
      assert.ok(typeof attrs.BANDWIDTH === 'number' && attrs.BANDWIDTH > 0, 'BANDWIDTH');
      const average = Number(attrs['AVERAGE-BANDWIDTH']);
      assert.ok(average > 0 && average <= attrs.BANDWIDTH, 'AVERAGE-BANDWIDTH');
      const [avc, mp4a] = String(attrs.CODECS).split(',');
      const profile = PROFILE_IDC[video.profile!]!.toString(16).padStart(2, '0');
      const level = video.level!.toString(16).padStart(2, '0');
      assert.match(avc!, new RegExp(`^avc1\\.${profile}[0-9a-f]{2}${level}$`));
      assert.equal(audio.profile, 'LC');
      assert.equal(mp4a, 'mp4a.40.2');
      assert.deepEqual(attrs.RESOLUTION, { width: video.width, height: video.height });
      const [num, den] = video.r_frame_rate!.split('/').map(Number);
      assert.ok(Math.abs(Number(attrs['FRAME-RATE']) - num! / den!) < 0.001, 'FRAME-RATE');
    });

    test('the chunklist is a complete VOD list of encrypted segments adding up to the source', () => {
      const c = pl.chunklist;
      assert.equal(c.endList, true);
      assert.equal(c.mediaSequence, 0);
      assert.equal(c.playlistType, 'VOD');
      const target = c.targetDuration!;
      let total = 0;
      for (const [i, s] of c.segments.entries()) {
        assert.ok(s.duration <= target, `segment ${i}: ${s.duration} s over the target duration ${target}`);
        assert.equal(s.key?.method, 'AES-128', `segment ${i}`);
        assert.ok(s.key.uri.length > 0, `segment ${i} key URI`);
        assert.equal(s.key.iv?.length, 4, `segment ${i} IV`);
        total += s.duration;
      }
      assert.ok(
        Math.abs(total - probed.duration) <= TOTAL_DURATION_TOLERANCE_S,
        `segments add up to ${total} s, the source lasts ${probed.duration} s`,
      );
    });
  });

  describe('determinism and the segment cache', () => {
    test('a second origin with the same secret and keys writes the same chunklist and segment bytes', async () => {
      const other = await startVodServer({ storageDir, keyDir, targetMs: TARGET_MS });
      try {
        const pl2 = await fetchPlaylists(other.masterUrl(CLIP));
        assert.equal(pl2.chunklistText.replace(SESSION_ID, ''), pl.chunklistText.replace(SESSION_ID, ''));
        assert.equal(pl2.masterText.replace(SESSION_ID, ''), pl.masterText.replace(SESSION_ID, ''));
        for (const [i, seg] of pl.segments.entries()) {
          const a = await get(seg.url);
          const b = await get(pl2.segments[i]!.url);
          assert.deepEqual(b.body, a.body, `segment ${i}`);
          assert.equal(b.headers.get('etag'), a.headers.get('etag'), `segment ${i} ETag`);
        }
      } finally {
        await other.close();
      }
    });

    test('the same segment fetched twice is the same bytes', async () => {
      const url = pl.segments[2]!.url;
      const a = await get(url);
      const b = await get(url);
      assert.equal(a.status, 200);
      assert.deepEqual(b.body, a.body);
      assert.equal(b.headers.get('etag'), a.headers.get('etag'));
    });

    test('the second request of a segment is served from the cache, not packaged again', async () => {
      const config = vodConfig({ storageDir, keyDir, targetMs: TARGET_MS });
      const packaged: number[] = [];
      const service = new VodService({
        sources: new Mp4SourceCache({ maxBytes: 64 * 1024 * 1024 }),
        keys: new KeyStore({ logger: pino({ level: 'silent' }) }),
        onPackaged: (_ms, bytes) => packaged.push(bytes),
      });
      const streamPath: StreamPath = {
        app: 'vod',
        instance: '_definst_',
        stream: `mp4:${CLIP}`,
        kind: 'mp4',
        name: CLIP,
        file: 'media_1.ts',
      };
      const req: StreamRequest<AppConfig> = { path: streamPath, appConfig: config.applications.vod! };
      // The service also packages the next segment ahead (prefetch): count only what the second request adds.
      const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
      const first = await service.segment(req, 0, 1);
      await settle();
      const afterFirst = packaged.length;
      assert.ok(packaged.includes(first.data.byteLength), 'segment 1 was packaged');
      const second = await service.segment(req, 0, 1);
      await settle();
      assert.equal(packaged.length, afterFirst, 'the second request packaged nothing');
      assert.equal(second.data, first.data, 'the very same buffer');
      assert.equal(second.etag, first.etag);
      assert.deepEqual(Buffer.from(first.data), (await get(pl.segments[1]!.url)).body, 'as served over HTTP');
    });
  });
});
