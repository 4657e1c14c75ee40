// hls.js in headless Chromium plays what the server sends: the sample VOD file and a live RTMP
// publish, both AES-128 encrypted, through the /player page the server itself serves.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createSharedListener, listen } from '../../src/cli/listener.js';
import { createApp, type WiredApp } from '../../src/cli/wiring.js';
import { launchBrowser } from '../helpers/browser.js';
import { type FfmpegRun, publish } from '../helpers/live-ffmpeg.js';
import { waitFor } from '../helpers/live-hls.js';
import { captureLogs, type LogCapture } from '../helpers/log-capture.js';
import { createServerHome, readHomeConfig, type ServerHome } from '../helpers/server-fixture.js';

/** How long playback may take to reach the wanted position on a busy 2-core machine. */
const PLAY_TIMEOUT_MS = 45_000;

interface PlayerState {
  errors: { type: string; details: string; fatal: boolean }[];
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
