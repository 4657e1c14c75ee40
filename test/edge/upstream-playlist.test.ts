// The upstream playlist parser: masters and media playlists as ffmpeg, Wowza and nginx-rtmp write
// them, clear refusals of what is malformed or cannot be re-served, garbage that must only ever
// raise HlsError, and a playlist ffmpeg itself wrote.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { HlsError } from '../../src/core/errors.js';
import {
  MAX_UPSTREAM_SEGMENTS,
  MAX_UPSTREAM_VARIANTS,
  parseUpstreamPlaylist,
  type UpstreamMediaPlaylist,
  type UpstreamVariant,
} from '../../src/edge/upstream-playlist.js';
import { prng } from '../helpers/prng.js';
import { ffmpeg } from '../helpers/vod-media.js';

const HAVE_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const IV_A = '000102030405060708090a0b0c0d0e0f';
const IV_B = 'F0E1D2C3B4A5968778695A4B3C2D1E0F';

function master(text: string): readonly UpstreamVariant[] {
  const parsed = parseUpstreamPlaylist(text);
  assert.equal(parsed.kind, 'master');
  return parsed.kind === 'master' ? parsed.variants : [];
}

function media(text: string): UpstreamMediaPlaylist {
  const parsed = parseUpstreamPlaylist(text);
  if (parsed.kind !== 'media') assert.fail('expected a media playlist');
  return parsed.playlist;
}

/** A media playlist header with the given lines after it. */
const mediaWith = (...lines: string[]) => ['#EXTM3U', '#EXT-X-TARGETDURATION:4', ...lines].join('\n');

const VOD = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:4
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example/k1?a=1,b=2",IV=0x${IV_A}
#EXTINF:4.000000,
seg0.ts
# a comment, and an unknown tag, both ignored
#EXT-X-UNKNOWN:X=1
#EXTINF:4.0,a title, with commas

seg1.ts
#EXT-X-KEY:METHOD=AES-128,URI="k2.key",IV=0X${IV_B},KEYFORMAT="identity",KEYFORMATVERSIONS="1"
#EXTINF:3.5,
seg2.ts
#EXT-X-KEY:METHOD=AES-128,URI="k3.key"
#EXTINF:2,
seg3.ts
#EXT-X-KEY:METHOD=NONE
#EXTINF:.5,
https://cdn.example/seg4.ts
#EXT-X-ENDLIST
`;

const LIVE = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:1234
#EXT-X-DISCONTINUITY-SEQUENCE:7
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000+0000
#EXTINF:2.002,
live-1234.ts
#EXTINF:1.968,
live-1235.ts
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:10.500+02:00
#EXTINF:2.000,
live-1236.ts
#EXTINF:2.000,
live-1237.ts
`;

test('a master as ffmpeg writes it: AVERAGE-BANDWIDTH, FRAME-RATE, quoted CODECS with a comma', () => {
  const variants = master(`#EXTM3U
#EXT-X-VERSION:3
#EXT-X-STREAM-INF:BANDWIDTH=1210000,AVERAGE-BANDWIDTH=1100000,RESOLUTION=640x360,FRAME-RATE=29.970,CODECS="avc1.64001e,mp4a.40.2"
stream_0/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=140800,CODECS="mp4a.40.2"
stream_1/index.m3u8
`);
  assert.deepEqual(variants, [
    {
      uri: 'stream_0/index.m3u8',
      bandwidth: 1_210_000,
      averageBandwidth: 1_100_000,
      codecs: ['avc1.64001e', 'mp4a.40.2'],
      resolution: { width: 640, height: 360 },
      frameRate: 29.97,
    },
    { uri: 'stream_1/index.m3u8', bandwidth: 140_800, codecs: ['mp4a.40.2'] },
  ]);
});

test('a master as Wowza writes it, with the tags we do not use ignored', () => {
  const variants = master(`#EXTM3U
#EXT-X-VERSION:3
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English, main",DEFAULT=YES,URI="audio.m3u8"
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="iframes.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=1287952,CODECS="avc1.77.31,mp4a.40.2",RESOLUTION=1280x720
chunklist_w1957512345_b1287952.m3u8
#EXT-X-STREAM-INF:PROGRAM-ID=1, BANDWIDTH=400000, CODECS="avc1.66.30, mp4a.40.2", RESOLUTION=416x234
https://origin.example/live/smil:x.smil/chunklist_b400000.m3u8?wowzatokenhash=a%2Cb
`);
  assert.deepEqual(
    variants.map((v) => [v.uri, v.bandwidth, v.codecs, v.resolution]),
    [
      [
        'chunklist_w1957512345_b1287952.m3u8',
        1_287_952,
        ['avc1.77.31', 'mp4a.40.2'],
        { width: 1280, height: 720 },
      ],
      [
        'https://origin.example/live/smil:x.smil/chunklist_b400000.m3u8?wowzatokenhash=a%2Cb',
        400_000,
        ['avc1.66.30', 'mp4a.40.2'],
        { width: 416, height: 234 },
      ],
    ],
  );
});

test('a VOD playlist whose key changes mid-way, with and without IVs', () => {
  const p = media(VOD);
  assert.equal(p.targetDuration, 4);
  assert.equal(p.mediaSequence, 0);
  assert.equal(p.discontinuitySequence, 0);
  assert.equal(p.endList, true);
  assert.deepEqual(
    p.segments.map((s) => [s.uri, s.sequence, s.duration, s.discontinuity]),
    [
      ['seg0.ts', 0, 4, false],
      ['seg1.ts', 1, 4, false],
      ['seg2.ts', 2, 3.5, false],
      ['seg3.ts', 3, 2, false],
      ['https://cdn.example/seg4.ts', 4, 0.5, false],
    ],
  );
  const keys = p.segments.map((s) => s.key);
  assert.deepEqual(keys[0], {
    method: 'AES-128',
    uri: 'https://keys.example/k1?a=1,b=2',
    iv: Buffer.from(IV_A, 'hex'),
  });
  assert.equal(keys[1], keys[0], 'a key stays in force until the next EXT-X-KEY');
  assert.deepEqual(keys[2], { method: 'AES-128', uri: 'k2.key', iv: Buffer.from(IV_B, 'hex') });
  assert.deepEqual(keys[3], { method: 'AES-128', uri: 'k3.key' });
  assert.deepEqual(keys[4], { method: 'NONE' });
  assert.ok(p.segments.every((s) => s.programDateTime === undefined));
});

test('a live window: media and discontinuity sequences, discontinuities, program date-times', () => {
  const p = media(LIVE);
  assert.equal(p.targetDuration, 2);
  assert.equal(p.mediaSequence, 1234);
  assert.equal(p.discontinuitySequence, 7);
  assert.equal(p.endList, false);
  assert.deepEqual(
    p.segments.map((s) => [s.uri, s.sequence, s.duration, s.discontinuity, s.programDateTime?.toISOString()]),
    [
      ['live-1234.ts', 1234, 2.002, false, '2024-05-01T12:00:00.000Z'],
      ['live-1235.ts', 1235, 1.968, false, undefined],
      ['live-1236.ts', 1236, 2, true, '2024-05-01T10:00:10.500Z'],
      ['live-1237.ts', 1237, 2, false, undefined],
    ],
  );
  assert.ok(p.segments.every((s) => s.key.method === 'NONE'));
  assert.deepEqual(media(mediaWith()).segments, [], 'a live playlist may be empty at first');
});

test('a byte order mark and CRLF line ends change nothing', () => {
  for (const text of [VOD, LIVE]) {
    assert.deepEqual(
      parseUpstreamPlaylist(`\uFEFF${text.replaceAll('\n', '\r\n')}`),
      parseUpstreamPlaylist(text),
    );
  }
});

test('refuses what it cannot re-serve, or what is malformed, saying why', () => {
  const segment = (n: number) => `#EXTINF:2,\ns${n}.ts`;
  const variant = (n: number) => `#EXT-X-STREAM-INF:BANDWIDTH=1000\nv${n}.m3u8`;
  const many = (count: number, line: (n: number) => string) =>
    Array.from({ length: count }, (_, n) => line(n));
  const unsupported: [string, RegExp][] = [
    [
      mediaWith('#EXT-X-KEY:METHOD=SAMPLE-AES,URI="k"', segment(0)),
      /METHOD "SAMPLE-AES" \(only NONE and AES-128\)/,
    ],
    [mediaWith('#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI="k"'), /METHOD "SAMPLE-AES-CTR"/],
    [mediaWith('#EXT-X-KEY:METHOD=AES-256,URI="k"'), /METHOD "AES-256"/],
    [
      mediaWith('#EXT-X-KEY:METHOD=AES-128,URI="skd://k",KEYFORMAT="com.apple.streamingkeydelivery"'),
      /KEYFORMAT "com.apple.streamingkeydelivery" \(only identity\)/,
    ],
    [mediaWith('#EXTINF:2,', '#EXT-X-BYTERANGE:1000@0', 'all.ts'), /line 4: EXT-X-BYTERANGE \(byte-range/],
    [mediaWith('#EXT-X-MAP:URI="init.mp4"', '#EXTINF:2,', 's.m4s'), /line 3: EXT-X-MAP \(fMP4 segments\)/],
    [mediaWith('#EXT-X-I-FRAMES-ONLY'), /I-frame playlist/],
  ];
  const invalid: [string, RegExp][] = [
    ['', /line 1: not #EXTM3U/],
    ['#EXT-X-VERSION:3\n#EXTM3U\n', /line 1: not #EXTM3U/],
    ['<html>Bad gateway</html>', /not #EXTM3U/],
    [mediaWith('#EXTINF:-1,', 'a.ts'), /line 3: EXTINF: duration "-1" is negative/],
    [mediaWith('#EXTINF:abc,', 'a.ts'), /duration "abc" is not a finite number/],
    [mediaWith('#EXTINF:Infinity,', 'a.ts'), /duration "Infinity" is not a finite number/],
    [mediaWith(`#EXTINF:${'9'.repeat(400)},`, 'a.ts'), /is not a finite number/],
    [mediaWith('#EXTINF:,', 'a.ts'), /duration "" is not a finite number/],
    ['#EXTM3U\n#EXTINF:2,\na.ts\n', /no EXT-X-TARGETDURATION in a media playlist/],
    [mediaWith('#EXT-X-TARGETDURATION:0'), /EXT-X-TARGETDURATION: appears twice/],
    ['#EXTM3U\n#EXT-X-TARGETDURATION:0\n', /"0" is not a positive whole number/],
    [mediaWith('#EXTINF:2,'), /line 3: EXTINF without a URI line/],
    [mediaWith('#EXTINF:2,', '#EXTINF:2,', 'a.ts'), /line 3: EXTINF without a URI line/],
    [mediaWith('a.ts'), /line 3: URI line without EXTINF or EXT-X-STREAM-INF/],
    ['#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n', /line 2: EXT-X-STREAM-INF without a URI line/],
    ['#EXTM3U\n#EXT-X-STREAM-INF:CODECS="avc1.64001e"\nv.m3u8', /EXT-X-STREAM-INF: no BANDWIDTH/],
    ['#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=fast\nv.m3u8', /BANDWIDTH "fast" is not a whole number/],
    ['#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=big\nv.m3u8', /RESOLUTION "big" is not WIDTHxHEIGHT/],
    ['#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1\nv.m3u8', /CODECS has no closing quote/],
    ['#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,BANDWIDTH=2\nv.m3u8', /BANDWIDTH appears twice/],
    [mediaWith('#EXT-X-KEY:METHOD=AES-128,URI="k",IV=0x1234'), /IV "0x1234" is not 0x and 32 hex digits/],
    [mediaWith(`#EXT-X-KEY:METHOD=AES-128,URI="k",IV=0x${'g'.repeat(32)}`), /IV "0xggg.*" is not 0x/],
    [mediaWith(`#EXT-X-KEY:METHOD=AES-128,URI="k",IV=${IV_A}`), /is not 0x and 32 hex digits/],
    [mediaWith('#EXT-X-KEY:METHOD=AES-128'), /METHOD=AES-128 without a URI/],
    [mediaWith('#EXT-X-KEY:URI="k"'), /EXT-X-KEY: no METHOD/],
    [mediaWith('#EXT-X-KEY:METHOD=AES-128,URI="k\u0007"'), /key URI contains control characters/],
    [mediaWith('#EXTINF:2,', 'a\u0000.ts'), /line 4: URI line contains control characters/],
    [mediaWith('#EXTINF:2,', 'a.ts\rInjected: yes'), /URI line contains control characters/],
    [mediaWith('#EXTINF:2,', 'a\u0085.ts'), /URI line contains control characters/],
    [mediaWith(...many(MAX_UPSTREAM_SEGMENTS + 1, segment)), /more than 10000 segments/],
    [['#EXTM3U', ...many(MAX_UPSTREAM_VARIANTS + 1, variant)].join('\n'), /more than 64 variants/],
    [mediaWith('#EXT-X-MEDIA-SEQUENCE:-1'), /"-1" is not a safe non-negative integer/],
    [mediaWith('#EXT-X-MEDIA-SEQUENCE:1.5'), /"1.5" is not a safe non-negative integer/],
    [mediaWith('#EXT-X-MEDIA-SEQUENCE:9007199254740992'), /is not a safe non-negative integer/],
    [mediaWith('#EXT-X-DISCONTINUITY-SEQUENCE:x'), /DISCONTINUITY-SEQUENCE: "x" is not a safe/],
    [
      mediaWith('#EXT-X-MEDIA-SEQUENCE:9007199254740991', segment(0), segment(1)),
      /media sequence passes 2\^53/,
    ],
    [mediaWith(segment(0), '#EXT-X-MEDIA-SEQUENCE:5'), /MEDIA-SEQUENCE: after the first segment/],
    [mediaWith('#EXT-X-PROGRAM-DATE-TIME:yesterday'), /"yesterday" is not an ISO 8601 date/],
    [mediaWith('#EXT-X-PROGRAM-DATE-TIME:2024-13-45T99:99:99Z'), /is not an ISO 8601 date/],
    [['#EXTM3U', variant(0), segment(0)].join('\n'), /line 4: EXTINF: both EXT-X-STREAM-INF and EXTINF/],
    [mediaWith(segment(0), variant(1)), /line 5: EXT-X-STREAM-INF: both EXT-X-STREAM-INF and EXTINF/],
  ];
  const cases = [
    ...unsupported.map(([text, reason]) => ({
      text,
      reason,
      code: 'UNSUPPORTED_MEDIA',
      prefix: /cannot be re-served/,
    })),
    ...invalid.map(([text, reason]) => ({ text, reason, code: 'UPSTREAM_FAILED', prefix: /invalid/ })),
  ];
  for (const { text, reason, code, prefix } of cases) {
    assert.throws(
      () => parseUpstreamPlaylist(text),
      (err: unknown) => {
        assert.ok(err instanceof HlsError, String(err));
        assert.equal(err.code, code, err.message);
        assert.match(err.message, new RegExp(`^upstream playlist ${prefix.source}: `));
        assert.match(err.message, reason);
        return true;
      },
      reason.source,
    );
  }
  // The limits themselves are allowed.
  assert.equal(
    media(mediaWith(...many(MAX_UPSTREAM_SEGMENTS, segment))).segments.length,
    MAX_UPSTREAM_SEGMENTS,
  );
  assert.equal(
    master(['#EXTM3U', ...many(MAX_UPSTREAM_VARIANTS, variant)].join('\n')).length,
    MAX_UPSTREAM_VARIANTS,
  );
});

/** Parses `text`; anything thrown must be an HlsError with one of the parser's two codes. */
function parsesOrRefuses(text: string): void {
  try {
    parseUpstreamPlaylist(text);
  } catch (err) {
    assert.ok(err instanceof HlsError, `${String(err)} from ${JSON.stringify(text.slice(0, 200))}`);
    assert.ok(err.code === 'UPSTREAM_FAILED' || err.code === 'UNSUPPORTED_MEDIA', err.code);
  }
}

test('garbage, truncations and mutations only ever raise HlsError', () => {
  const next = prng(0x5eed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const tokens = [
    ...['#EXTM3U\n', '#EXTINF:', '#EXT-X-KEY:', '#EXT-X-STREAM-INF:', '#EXT-X-TARGETDURATION:', '\n', '\r\n'],
    ...['#EXT-X-MEDIA-SEQUENCE:', '#EXT-X-PROGRAM-DATE-TIME:', '#EXT-X-DISCONTINUITY', '#EXT-X-ENDLIST'],
    ...[
      'METHOD=AES-128',
      'METHOD=NONE',
      'URI=',
      'IV=0x',
      'BANDWIDTH=',
      'RESOLUTION=',
      'CODECS=',
      'FRAME-RATE=',
    ],
    ...[
      ',',
      '"',
      '=',
      'x',
      '0',
      '9',
      '-',
      '.',
      '1e9',
      'seg.ts',
      ' ',
      '\t',
      '\u0000',
      '\uFEFF',
      '\ud800',
      '€',
    ],
  ];
  for (let n = 0; n < 3000; n++) {
    let text = next() < 0.8 ? '#EXTM3U\n' : '';
    const count = Math.floor(next() * 40);
    for (let i = 0; i < count; i++) {
      text += next() < 0.9 ? pick(tokens) : String.fromCharCode(Math.floor(next() * 0x10000));
    }
    parsesOrRefuses(text);
  }
  for (const valid of [VOD, LIVE]) {
    for (let end = 0; end <= valid.length; end++) parsesOrRefuses(valid.slice(0, end));
    for (let n = 0; n < 1000; n++) {
      const at = Math.floor(next() * valid.length);
      parsesOrRefuses(valid.slice(0, at) + pick(tokens) + valid.slice(at + 1));
    }
  }
});

// A hang (quadratic parsing) fails the test by its timeout rather than stalling the suite.
test('hostile megabytes are refused, not looped over', { timeout: 20_000 }, () => {
  const megabyte = (piece: string) => piece.repeat(Math.ceil(1_000_000 / piece.length));
  const hostile = [
    `#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="${megabyte('a,')}`,
    `#EXTM3U\n#EXT-X-STREAM-INF:${megabyte('B')}`,
    `#EXTM3U\n#EXT-X-STREAM-INF:${megabyte('A=",')}`,
    `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:${megabyte('1')}x,\na.ts`,
    `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:${megabyte('1.')}\na.ts`,
    `#EXTM3U\n#EXT-X-PROGRAM-DATE-TIME:${megabyte('2024')}`,
    `#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:${megabyte('9')}`,
    `#EXTM3U\n${megabyte('\n')}`,
    `#EXTM3U\n${megabyte('#EXTINF:1,\n')}`,
  ];
  for (const text of hostile) assert.throws(() => parseUpstreamPlaylist(text), HlsError, text.slice(0, 40));
});

test('a playlist ffmpeg wrote parses to the files it wrote', {
  skip: !HAVE_FFMPEG && 'no ffmpeg',
}, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'upstream-playlist-'));
  try {
    const keyUri = 'https://keys.example/key?stream=test,1';
    const iv = '00112233445566778899aabbccddeeff';
    await writeFile(path.join(dir, 'enc.key'), Buffer.alloc(16, 7));
    await writeFile(path.join(dir, 'key.info'), `${keyUri}\n${path.join(dir, 'enc.key')}\n${iv}\n`);
    await ffmpeg(
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-t', '6'],
      ...['-c:v', 'libx264', '-b:v', '200k', '-g', '25', '-f', 'hls', '-hls_time', '2'],
      ...['-hls_playlist_type', 'vod', '-hls_key_info_file', path.join(dir, 'key.info')],
      ...['-master_pl_name', 'master.m3u8', '-hls_segment_filename', path.join(dir, 'seg%d.ts')],
      path.join(dir, 'out.m3u8'),
    );
    const p = media(await readFile(path.join(dir, 'out.m3u8'), 'utf8'));
    const written = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
    assert.deepEqual(p.segments.map((s) => s.uri).sort(), written);
    assert.ok(written.length >= 3, written.join());
    const total = p.segments.reduce((sum, s) => sum + s.duration, 0);
    assert.ok(Math.abs(total - 6) < 0.1, `durations sum to ${total}`);
    assert.deepEqual(
      p.segments.map((s) => s.sequence),
      written.map((_, i) => i),
    );
    assert.equal(p.endList, true);
    for (const s of p.segments)
      assert.deepEqual(s.key, { method: 'AES-128', uri: keyUri, iv: Buffer.from(iv, 'hex') });

    const [variant, ...others] = master(await readFile(path.join(dir, 'master.m3u8'), 'utf8'));
    assert.deepEqual(others, []);
    assert.equal(variant?.uri, 'out.m3u8');
    assert.deepEqual(variant?.resolution, { width: 160, height: 120 });
    assert.match(variant?.codecs[0] ?? '', /^avc1\./);
    assert.ok((variant?.bandwidth ?? 0) > 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
