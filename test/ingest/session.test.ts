// The publishing session driven by a scripted client: command answers, publish decisions, media events,
// acknowledgements, pings, refusals and protocol violations.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MediaSample } from '../../src/core/media.js';
import { parseConnectTarget, parseStreamTarget } from '../../src/ingest/rtmp/publish-target.js';
import { RtmpSession } from '../../src/ingest/rtmp/session.js';
import { prng } from '../helpers/prng.js';
import { Amf0EcmaArray, recordingHandler, ScriptedClient, type SessionLog } from './scripted-client.js';

const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');
const AVC_CONFIG = hex('17 00 000000 01 64 00 0d ff e1 0004 6764000d 01 0002 68eb');

function setup(decision?: Parameters<typeof recordingHandler>[1], options: { windowAckSize?: number } = {}) {
  const log: SessionLog = { events: [], ended: [], sent: [] };
  const session = new RtmpSession(recordingHandler(log, decision), {
    send: (b) => log.sent.push(Buffer.from(b)),
    end: (r) => log.ended.push(r),
    randomBytes: (n) => new Uint8Array(n),
    ...options,
  });
  return { log, session, client: new ScriptedClient(session, log) };
}

const media = (type: 8 | 9, timestamp: number, payload: Buffer) => ({
  chunkStreamId: type === 8 ? 4 : 6,
  type,
  streamId: 1,
  timestamp,
  payload,
});

describe('RtmpSession', () => {
  test('answers connect with window, bandwidth, chunk size and _result, then the publish sequence', () => {
    const { client, session, log } = setup();
    client.handshake();
    assert.equal(session.state, 'connecting');
    client.command('connect', 0, { app: 'live/inst', tcUrl: 'rtmp://h/live/inst' });
    const afterConnect = client.received();
    assert.deepEqual(
      afterConnect.map((m) => m.type),
      [5, 6, 20],
      'Window Ack Size, Set Peer Bandwidth, (Set Chunk Size is applied by the reader), _result',
    );
    assert.deepEqual(Buffer.from(afterConnect[0]!.payload), hex('002625a0'));
    assert.deepEqual(Buffer.from(afterConnect[1]!.payload), hex('002625a0 02'));
    assert.equal(session.state, 'connected');

    client.command('releaseStream', 0, null, 'cam?secret=s');
    client.command('FCPublish', 0, null, 'cam?secret=s');
    client.command('createStream', 0, null);
    const answers = client.commands();
    assert.deepEqual(answers, [
      ['_result', 2, null],
      ['onFCPublish', 0, null, { code: 'NetStream.Publish.Start', description: 'cam?secret=s' }],
      ['_result', 3, null],
      ['_result', 4, null, 1],
    ]);

    client.command('publish', 1, null, 'cam?secret=s', 'live');
    assert.deepEqual(log.events, [
      [
        'publish',
        { app: 'live', instance: 'inst', stream: 'cam', query: 'secret=s', tcUrl: 'rtmp://h/live/inst' },
      ],
    ]);
    const published = client.received();
    assert.deepEqual(
      published.map((m) => [m.type, m.streamId]),
      [
        [4, 0],
        [20, 1],
      ],
    );
    assert.deepEqual(Buffer.from(published[0]!.payload), hex('0000 00000001'), 'Stream Begin 1');
    assert.equal(session.state, 'publishing');
  });

  test('reports metadata, configs and samples, and unpublish on FCUnpublish', () => {
    const { client, log, session } = setup();
    client.publish('live', 'test');
    client.received();
    log.events.length = 0;
    client.send(
      client.data(1, ['@setDataFrame', 'onMetaData', new Amf0EcmaArray({ width: 320, height: 240 })]),
    );
    client.send(media(9, 0, AVC_CONFIG));
    client.send(media(8, 0, hex('af 00 1210')));
    client.send(media(9, 0, hex('17 01 000050 00000002 6588')));
    client.send(media(8, 23, hex('af 01 2102')));
    client.send(media(9, 40, hex('27 01 ffffd8 00000002 4188')));
    client.command('FCUnpublish', 0, null, 'test');
    client.command('deleteStream', 0, null, 1);
    const kinds = log.events.map((e) => e[0]);
    assert.deepEqual(kinds, [
      'metadata',
      'videoConfig',
      'audioConfig',
      'sample',
      'sample',
      'sample',
      'unpublish',
    ]);
    assert.deepEqual(log.events[0], ['metadata', { width: 320, height: 240 }]);
    const samples = log.events.filter((e) => e[0] === 'sample') as ['sample', string, MediaSample][];
    assert.deepEqual(
      samples.map(([, kind, s]) => [kind, s.dts, s.pts, s.keyframe]),
      [
        ['video', 0, 7200, true],
        ['audio', 2070, 2070, true],
        ['video', 3600, 0, false],
      ],
    );
    assert.equal(session.state, 'connected');
    session.close('peer closed');
    assert.deepEqual(log.events.at(-1), ['close', 'peer closed']);
    assert.deepEqual(log.ended, []);
  });

  test('a refused publish is answered with an onStatus error, then the connection ends', () => {
    const { client, log, session } = setup({
      ok: false,
      code: 'NetStream.Publish.Denied',
      description: 'Bad secret.',
    });
    client.publish('live', 'test?secret=no');
    const last = client.commands().at(-1);
    assert.deepEqual(last, [
      'onStatus',
      0,
      null,
      { level: 'error', code: 'NetStream.Publish.Denied', description: 'Bad secret.', details: 'test' },
    ]);
    assert.equal(log.ended.length, 1);
    assert.match(log.ended[0]!, /refused/);
    assert.equal(session.state, 'closed');
    assert.deepEqual(
      log.events.map((e) => e[0]),
      ['publish', 'close'],
    );
  });

  test('play is refused', () => {
    const { client, log } = setup();
    client.handshake();
    client.command('connect', 0, { app: 'live' });
    client.command('createStream', 0, null);
    client.command('play', 1, null, 'test');
    const last = client.commands().at(-1) as [string, number, null, { code: string }];
    assert.equal(last[3].code, 'NetStream.Play.Failed');
    assert.match(log.ended[0]!, /play refused/);
  });

  test('closing while publishing reports unpublish then close, once', () => {
    const { client, log, session } = setup();
    client.publish('live', 'test');
    session.close('idle timeout');
    session.close('again');
    assert.deepEqual(log.events.slice(-2), [['unpublish'], ['close', 'idle timeout']]);
  });

  test('acknowledges every window of received bytes and answers pings', () => {
    const { client, log } = setup();
    client.publish('live', 'test');
    client.send({ chunkStreamId: 2, type: 5, streamId: 0, timestamp: 0, payload: hex('00001388') }); // window 5000
    client.received();
    const before = Buffer.concat(log.sent).length;
    assert.ok(before > 0);
    for (let i = 0; i < 6; i++)
      client.send(media(8, i * 23, Buffer.concat([hex('af 01'), Buffer.alloc(1000)])));
    const acks = client.received().filter((m) => m.type === 3);
    assert.equal(acks.length, 1);
    const seq = Buffer.from(acks[0]!.payload).readUInt32BE(0);
    assert.ok(seq > 5000 && seq < 12000, `sequence number ${seq}`);

    client.send({ chunkStreamId: 2, type: 4, streamId: 0, timestamp: 0, payload: hex('0006 0000abcd') });
    const pong = client.received().find((m) => m.type === 4);
    assert.deepEqual(Buffer.from(pong!.payload), hex('0007 0000abcd'));
  });

  test('ignores media before publish', () => {
    const { client, log } = setup();
    client.handshake();
    client.command('connect', 0, { app: 'live' });
    client.send(media(9, 0, AVC_CONFIG));
    assert.deepEqual(log.events, []);
    assert.deepEqual(log.ended, []);
  });

  test('protocol violations end the session with a reason', () => {
    const connected = (c: ScriptedClient): void => {
      c.handshake();
      c.command('connect', 0, { app: 'a' });
    };
    const cases: [string, (c: ScriptedClient) => void, RegExp][] = [
      ['bad version', (c) => c['session'].push(Buffer.of(0x16, 3, 1)), /handshake version/],
      [
        'command before connect',
        (c) => {
          c.handshake();
          c.command('publish', 1, null, 'x');
        },
        /before connect/,
      ],
      [
        'second connect',
        (c) => {
          connected(c);
          c.command('connect', 0, { app: 'a' });
        },
        /second connect/,
      ],
      [
        'connect without app',
        (c) => {
          c.handshake();
          c.command('connect', 0, {});
        },
        /without an application/,
      ],
      [
        'publish on an unknown stream',
        (c) => {
          connected(c);
          c.command('publish', 7, null, 'x');
        },
        /refused/,
      ],
      [
        'unsupported codec',
        (c) => {
          c.publish('live', 'x');
          c.send(media(9, 0, hex('1c 00 000000')));
        },
        /HEVC/,
      ],
      [
        'bad AMF0',
        (c) => {
          c.handshake();
          c.send({ chunkStreamId: 3, type: 20, streamId: 0, timestamp: 0, payload: hex('02 00ff') });
        },
        /amf0/,
      ],
    ];
    for (const [name, act, reason] of cases) {
      const { client, log, session } = setup();
      act(client);
      assert.equal(log.ended.length, 1, name);
      assert.match(log.ended[0]!, reason, name);
      assert.equal(session.state, 'closed', name);
      assert.deepEqual(log.events.at(-1), ['close', log.ended[0]], name);
    }
  });

  test('random bytes after the handshake never throw out of push', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const { client, session } = setup();
      client.handshake();
      const next = prng(seed);
      const junk = Buffer.alloc(2048, 0).map(() => Math.floor(next() * 256));
      assert.doesNotThrow(() => session.push(junk));
    }
  });
});

describe('publish targets', () => {
  test('app and instance from the connect app field, falling back to tcUrl', () => {
    assert.deepEqual(parseConnectTarget('live', 'rtmp://h:1935/live'), {
      app: 'live',
      instance: '_definst_',
      tcUrl: 'rtmp://h:1935/live',
    });
    assert.deepEqual(parseConnectTarget('live/inst', undefined), {
      app: 'live',
      instance: 'inst',
      tcUrl: '',
    });
    assert.deepEqual(parseConnectTarget('live?token=1', undefined)?.app, 'live');
    assert.deepEqual(parseConnectTarget(undefined, 'rtmp://h/app2/i2')?.instance, 'i2');
    assert.equal(parseConnectTarget('', 'rtmp://h'), undefined);
  });

  test('stream name and query from the published name', () => {
    assert.deepEqual(parseStreamTarget('test?secret=x'), { stream: 'test', query: 'secret=x' });
    assert.deepEqual(parseStreamTarget('test'), { stream: 'test', query: '' });
  });
});
