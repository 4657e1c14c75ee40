// End to end: the real ffmpeg publishes over RTMP to attachRtmpConnection on a local port.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { AacTrackInfo, H264TrackInfo, MediaSample } from '../../src/core/media.js';
import type { PublishDecision, PublishRequest, RtmpIngestHandler } from '../../src/ingest/rtmp/session.js';
import { attachRtmpConnection } from '../../src/ingest/rtmp-server.js';

interface Recorded {
  publishes: PublishRequest[];
  video: MediaSample[];
  audio: MediaSample[];
  videoConfig?: H264TrackInfo;
  audioConfig?: AacTrackInfo;
  metadata: object[];
  unpublished: number;
  closes: string[];
}

function recorder(decide: (r: PublishRequest) => PublishDecision): {
  handler: RtmpIngestHandler;
  rec: Recorded;
} {
  const rec: Recorded = { publishes: [], video: [], audio: [], metadata: [], unpublished: 0, closes: [] };
  const handler: RtmpIngestHandler = {
    onPublish: (r) => {
      rec.publishes.push(r);
      return decide(r);
    },
    onVideoConfig: (info) => {
      rec.videoConfig = info;
    },
    onAudioConfig: (info) => {
      rec.audioConfig = info;
    },
    onSample: (kind, sample) => (kind === 'video' ? rec.video : rec.audio).push(sample),
    onMetaData: (m) => rec.metadata.push(m),
    onUnpublish: () => {
      rec.unpublished++;
    },
    onClose: (reason) => rec.closes.push(reason),
  };
  return { handler, rec };
}

const silent = { info: () => {}, warn: () => {} };

function runFfmpeg(url: string): Promise<{ code: number; stderr: string }> {
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=25',
    '-f',
    'lavfi',
    '-i',
    'sine',
    '-t',
    '3',
    '-c:v',
    'libx264',
    '-g',
    '25',
    '-c:a',
    'aac',
    '-f',
    'flv',
    url,
  ];
  return new Promise((resolve) => {
    execFile('ffmpeg', args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stderr });
    });
  });
}

/** Listens on a free port. With `peek`, the first bytes are read first and handed over as `head`, as the shared HTTP/RTMP port does. */
function listen(
  handler: RtmpIngestHandler,
  peek = false,
  handshakeTimeoutMs?: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    if (!peek) return attachRtmpConnection(socket, { handler, logger: silent, handshakeTimeoutMs });
    socket.once('data', (head: Buffer) =>
      attachRtmpConnection(socket, { handler, logger: silent, head, handshakeTimeoutMs }),
    );
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      assert.ok(address !== null && typeof address === 'object');
      resolve({ server, port: address.port });
    });
  });
}

/** Waits until the connection's close has been reported (ffmpeg may exit a moment before our socket closes). */
async function closed(rec: Recorded): Promise<void> {
  while (rec.closes.length === 0) await new Promise((r) => setTimeout(r, 10));
}

describe('RTMP ingest with ffmpeg as the publisher', () => {
  let server: Server;
  let port = 0;
  const { handler, rec } = recorder(() => ({ ok: true }));

  before(async () => {
    ({ server, port } = await listen(handler));
  });
  after(() => server.close());

  test('publishes H.264 and AAC samples with the app, instance, stream and query', async () => {
    const result = await runFfmpeg(`rtmp://127.0.0.1:${port}/live/test?secret=x`);
    assert.equal(result.code, 0, result.stderr);
    await closed(rec);
    assert.deepEqual(rec.publishes, [
      {
        app: 'live',
        instance: '_definst_',
        stream: 'test',
        query: 'secret=x',
        tcUrl: `rtmp://127.0.0.1:${port}/live`,
      },
    ]);
    assert.ok(rec.videoConfig, 'video config');
    assert.equal(rec.videoConfig.sps.length, 1);
    assert.equal(rec.videoConfig.pps.length, 1);
    assert.equal(rec.videoConfig.nalLengthSize, 4);
    assert.equal(rec.videoConfig.sps[0]![0]! & 0x1f, 7, 'SPS NAL type');
    assert.ok(rec.audioConfig, 'audio config');
    assert.ok(rec.audioConfig.audioSpecificConfig.length >= 2);
    assert.equal(rec.metadata.length, 1);

    assert.ok(Math.abs(rec.video.length - 75) <= 1, `video samples: ${rec.video.length}`);
    for (let i = 1; i < rec.video.length; i++)
      assert.ok(rec.video[i]!.dts > rec.video[i - 1]!.dts, 'monotonic dts');
    const keyIndexes = rec.video.flatMap((s, i) => (s.keyframe ? [i] : []));
    assert.deepEqual(keyIndexes, [0, 25, 50]);
    for (const s of rec.video) assert.ok(s.pts >= s.dts);
    assert.equal(rec.video[1]!.dts - rec.video[0]!.dts, 40 * 90);
    assert.ok(rec.audio.length > 100, `audio samples: ${rec.audio.length}`);
    assert.equal(rec.unpublished, 1);
  });
});

describe('RTMP ingest refusing a publish', () => {
  test('ffmpeg exits non-zero when the publish is refused', async () => {
    const { handler, rec } = recorder(() => ({
      ok: false,
      code: 'NetStream.Publish.BadName',
      description: 'Wrong secret.',
    }));
    const { server, port } = await listen(handler, true);
    try {
      const result = await runFfmpeg(`rtmp://127.0.0.1:${port}/live/test?secret=wrong`);
      assert.notEqual(result.code, 0);
      await closed(rec);
      assert.equal(rec.publishes.length, 1);
      assert.equal(rec.video.length, 0);
      assert.equal(rec.unpublished, 0);
    } finally {
      server.close();
    }
  });
});

describe('RTMP connection guards', () => {
  async function closedBy(bytes: Buffer): Promise<string[]> {
    const { handler, rec } = recorder(() => ({ ok: true }));
    const { server, port } = await listen(handler, false, 100);
    try {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write(bytes);
      await new Promise((resolve) => socket.on('close', resolve));
      await closed(rec);
      return rec.closes;
    } finally {
      server.close();
    }
  }

  test('a truncated handshake is dropped by the handshake timeout', async () => {
    assert.deepEqual(await closedBy(Buffer.of(3, 0, 0)), ['handshake timeout']);
  });

  test('a wrong version byte is dropped at once', async () => {
    const reasons = await closedBy(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /handshake version/);
  });
});
