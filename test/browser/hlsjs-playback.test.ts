// hls.js in headless Chromium plays what the server sends: the sample VOD file, a SMIL adaptive
// set (switching renditions, each with its own key) and a live RTMP publish, all AES-128
// encrypted, through the /player page the server itself serves.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createSharedListener, listen } from '../../src/cli/listener.js';
import { createApp, type WiredApp } from '../../src/cli/wiring.js';
import { launchBrowser } from '../helpers/browser.js';
import { type FfmpegRun, publish } from '../helpers/live-ffmpeg.js';
import { waitFor } from '../helpers/live-hls.js';
import { captureLogs, type LogCapture } from '../helpers/log-capture.js';
import { createServerHome, readHomeConfig, type ServerHome } from '../helpers/server-fixture.js';
import { makeClips } from '../helpers/vod-media.js';

/** How long playback may take to reach the wanted position on a busy 2-core machine. */
const PLAY_TIMEOUT_MS = 45_000;

interface PlayerState {
  errors: { type: string; details: string; fatal: boolean }[];
  /** Renditions (hls.js levels) fragments were buffered from. */
  levels: number[];
  keys: number;
  /** Fragments loaded with an AES-128 key. */
  encrypted: number;
  fragments: number;
  manifest: boolean;
}

let home: ServerHome;
let app: WiredApp;
let log: LogCapture;
let listener: ReturnType<typeof createSharedListener>;
let origin: string;
let port: number;
let browser: Browser;

before(async () => {
  home = createServerHome({
    applications: {
      vod: { type: 'vod', encryption: { missingKey: 'generate' } },
      live: { type: 'live', hls: { chunkDurationTarget: 1000 }, encryption: { missingKey: 'generate' } },
    },
  });
  // Two renditions of the same picture with keyframes at the same times, and their SMIL.
  await makeClips(
    home.storageDir,
    [
      { name: 'abr_180p.mp4', size: '320x180', bitrate: '250k' },
      { name: 'abr_360p.mp4', size: '640x360', bitrate: '700k' },
    ].map((r) => ({
      name: r.name,
      seconds: 20,
      size: r.size,
      videoCodec: [
        '-c:v',
        'libx264',
        '-b:v',
        r.bitrate,
        '-g',
        '50',
        '-keyint_min',
        '50',
        '-sc_threshold',
        '0',
      ],
    })),
  );
  fs.writeFileSync(
    path.join(home.storageDir, 'abr.smil'),
    '<smil><body><switch><video src="mp4:abr_180p.mp4"/><video src="mp4:abr_360p.mp4"/></switch></body></smil>',
  );
  log = captureLogs();
  app = await createApp({ config: readHomeConfig(home), logger: log.logger });
  listener = createSharedListener(app.http.server, app.rtmp);
  port = await listen(listener, 0, '127.0.0.1');
  origin = `http://127.0.0.1:${port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  await app.close();
  home.remove();
});

/** Opens the player on `playlist` and waits until the video has played `seconds`. */
async function playUntil(page: Page, playlist: string, seconds: number): Promise<PlayerState> {
  await page.goto(`${origin}/player?url=${encodeURIComponent(playlist)}`);
  await page.waitForFunction(
    (s) => {
      const v = document.querySelector('video');
      const state = (window as unknown as { playerState?: PlayerState }).playerState;
      return (v !== null && v.currentTime >= s) || state?.errors.some((e) => e.fatal);
    },
    seconds,
    { timeout: PLAY_TIMEOUT_MS, polling: 250 },
  );
  return page.evaluate(() => (window as unknown as { playerState: PlayerState }).playerState);
}

async function decodedFrames(page: Page): Promise<number> {
  return page.evaluate(
    () => document.querySelector('video')?.getVideoPlaybackQuality().totalVideoFrames ?? 0,
  );
}

function keyRequests(): { status: number; path: string }[] {
  return log
    .records()
    .filter((r) => r.msg === 'access' && String(r.path).includes('/key_'))
    .map((r) => ({ status: Number(r.status), path: String(r.path) }));
}

describe('hls.js in Chromium', () => {
  test('plays the encrypted sample VOD file, fetching the key with a session id', async () => {
    const page = await browser.newPage();
    try {
      const state = await playUntil(page, '/vod/mp4:sample.mp4/playlist.m3u8', 8);
      assert.deepEqual(
        state.errors.filter((e) => e.fatal),
        [],
      );
      assert.ok(state.manifest, 'the manifest was parsed');
      assert.ok(state.keys >= 1, 'the key was loaded');
      assert.ok(state.encrypted >= 2, `AES-128 fragments were played (${state.encrypted})`);
      assert.ok((await decodedFrames(page)) > 100, 'video frames were decoded');
      const keys = keyRequests().filter((k) => k.path.startsWith('/vod/'));
      assert.ok(keys.length >= 1);
      assert.ok(keys.every((k) => k.status === 200 && k.path.includes('wowzasessionid')));
    } finally {
      await page.close();
    }
  });

  test('plays a SMIL adaptive set and switches renditions, each with its own key', async () => {
    const page = await browser.newPage();
    try {
      let state = await playUntil(page, '/vod/smil:abr.smil/playlist.m3u8', 3);
      assert.deepEqual(
        state.errors.filter((e) => e.fatal),
        [],
      );
      // Ask for the other rendition than the one playing; playback must carry on through the switch.
      const target = await page.evaluate(() => {
        const hls = (window as unknown as { hlsPlayer: { currentLevel: number; nextLevel: number } })
          .hlsPlayer;
        const other = hls.currentLevel === 1 ? 0 : 1;
        hls.nextLevel = other;
        return other;
      });
      await page.waitForFunction(
        (level) => {
          const s = (window as unknown as { playerState?: PlayerState }).playerState;
          const v = document.querySelector('video');
          return (
            (s?.levels.includes(level) && v !== null && v.currentTime >= 9) || s?.errors.some((e) => e.fatal)
          );
        },
        target,
        { timeout: PLAY_TIMEOUT_MS, polling: 250 },
      );
      state = await page.evaluate(() => (window as unknown as { playerState: PlayerState }).playerState);
      assert.deepEqual(
        state.errors.filter((e) => e.fatal),
        [],
      );
      assert.deepEqual([...state.levels].sort(), [0, 1], 'fragments of both renditions were buffered');
      assert.ok(state.keys >= 2, `each rendition's key was loaded (${state.keys})`);
      const keys = keyRequests().filter((k) => k.path.startsWith('/vod/smil:abr.smil/'));
      assert.ok(keys.some((k) => k.path.includes('key_r0_')) && keys.some((k) => k.path.includes('key_r1_')));
      assert.ok(keys.every((k) => k.status === 200));
    } finally {
      await page.close();
    }
  });

  test('plays an encrypted live stream published over RTMP on the same port', async () => {
    let publisher: FfmpegRun | undefined;
    const page = await browser.newPage();
    try {
      publisher = publish(`rtmp://127.0.0.1:${port}/live/browser`, { seconds: 40, realtime: true });
      const chunklistReady = async () => {
        const master = await fetch(`${origin}/live/browser/playlist.m3u8`);
        if (master.status !== 200) return undefined;
        const uri = (await master.text()).split('\n').find((l) => l.startsWith('chunklist'));
        const chunklist = await fetch(`${origin}/live/browser/${uri}`);
        const text = await chunklist.text();
        return chunklist.status === 200 && (text.match(/#EXTINF/g) ?? []).length >= 3 ? true : undefined;
      };
      await waitFor('three live segments', chunklistReady, 30_000, 250);
      const state = await playUntil(page, '/live/browser/playlist.m3u8', 4);
      assert.deepEqual(
        state.errors.filter((e) => e.fatal),
        [],
      );
      assert.ok(state.keys >= 1, 'the key was loaded');
      assert.ok(state.encrypted >= 1, 'AES-128 fragments were played');
      assert.ok((await decodedFrames(page)) > 50, 'video frames were decoded');
    } finally {
      publisher?.kill();
      await page.close();
    }
  });
});
