// An encoder that pushes faster than real time and then closes must not lose the end of its stream:
// bytes read ahead of processing are still processed after the connection ends, the last partial
// segment is cut, and no acknowledgement reaches a sender that has finished (unread, it would
// turn ffmpeg's close into a reset that discards what it still had to send).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { createSharedListener, listen } from '../../src/cli/listener.js';
import { createApp, type WiredApp } from '../../src/cli/wiring.js';
import { captureLogs } from '../helpers/log-capture.js';
import { createServerHome, readHomeConfig, type ServerHome } from '../helpers/server-fixture.js';

const run = promisify(execFile);
const SECONDS = 40;
/** Times real time the first file is pushed at. */
const PUSH_SPEED = 4;
/** The second file: about 6 Mb/s, so an unthrottled push gets megabytes ahead of the reader. */
const HEAVY_SECONDS = 30;
const HEAVY_BITRATE = '6M';

let home: ServerHome;
let app: WiredApp;
let listener: ReturnType<typeof createSharedListener>;
let port: number;
let flv: string;
let heavyFlv: string;

before(async () => {
  home = createServerHome({
    sample: false,
    applications: {
      live: {
        type: 'live',
        hls: { chunkDurationTarget: 2000, playlistChunkCount: 100, maxChunkCount: 100 },
        encryption: { missingKey: 'generate' },
      },
    },
  });
  flv = path.join(home.home, 'push.flv');
  await run('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi'],
    ...['-i', 'sine=sample_rate=48000', '-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast'],
    ...['-g', '25', '-c:a', 'aac', '-f', 'flv', flv],
  ]);
  heavyFlv = path.join(home.home, 'heavy.flv');
  await run('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi'],
    ...[
      '-i',
      'sine=sample_rate=48000',
      '-t',
      String(HEAVY_SECONDS),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
    ],
    ...['-b:v', HEAVY_BITRATE, '-g', '25', '-c:a', 'aac', '-f', 'flv', heavyFlv],
  ]);
  app = await createApp({ config: readHomeConfig(home), logger: captureLogs().logger });
  listener = createSharedListener(app.http.server, app.rtmp);
  port = await listen(listener, 0, '127.0.0.1');
});

after(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  await app.close();
  home.remove();
});

/** Pushes `file` to live/`name` with ffmpeg (`-readrate` when given), then waits for every byte to be processed. */
async function pushAndSettle(file: string, name: string, readrate?: number): Promise<number> {
  await run('ffmpeg', [
    ...['-v', 'error', ...(readrate === undefined ? [] : ['-readrate', String(readrate)])],
    ...['-i', file, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${port}/live/${name}`],
  ]);
  const stream = app.live.stream('live', '_definst_', name);
  // The connection may close before its last queued bytes are processed; wait until they are.
  for (let i = 0; i < 100 && stream.state === 'publishing'; i++) await new Promise((r) => setTimeout(r, 100));
  await stream.settled();
  return stream.window().reduce((sum, s) => sum + s.duration, 0);
}

test('a publisher pushing at 4× real time keeps every second of its stream', async () => {
  const listed = await pushAndSettle(flv, 'fast', PUSH_SPEED);
  assert.ok(Math.abs(listed - SECONDS) < 0.5, `listed ${listed.toFixed(3)} s of ${SECONDS} s`);
});

test('a publisher pushing as fast as it can, then closing, keeps every second of its stream', async () => {
  const listed = await pushAndSettle(heavyFlv, 'unthrottled');
  assert.ok(Math.abs(listed - HEAVY_SECONDS) < 0.5, `listed ${listed.toFixed(3)} s of ${HEAVY_SECONDS} s`);
});
