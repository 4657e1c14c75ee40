// The SMIL parser: Wowza's attribute and param forms, comments, quoting and entities, and clear
// refusals of everything it cannot serve.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_SMIL_RENDITIONS, parseSmil } from '../../src/packager/smil-file.js';

const wrap = (entries: string) => `<smil><head></head><body><switch>${entries}</switch></body></smil>`;

test('attributes, params, quoting, entities and order', () => {
  const renditions = parseSmil(`<?xml version="1.0"?>
<smil title="t">
  <body>
    <switch>
      <video src='mp4:low &amp; small.mp4' system-bitrate="300000" width="320" height="180" />
      <video src="movies/high.mp4">
        <param name="videoBitrate" value="2000000" valuetype="data"/>
        <param name="audioBitrate" value="128000" valuetype="data"></param>
        <param name="width" value="1280" valuetype="data"/>
        <param name="height" value="720" valuetype="data"/>
      </video>
      <audio src="mp4:audio-only.mp4"/>
    </switch>
  </body>
</smil>`);
  assert.deepEqual(renditions, [
    { file: 'low & small.mp4', bitrate: 300_000, width: 320, height: 180 },
    { file: 'movies/high.mp4', bitrate: 2_128_000, width: 1280, height: 720 },
    { file: 'audio-only.mp4', bitrate: undefined, width: undefined, height: undefined },
  ]);
});

test('commented-out entries are ignored, and a file without a switch lists its videos', () => {
  assert.deepEqual(
    parseSmil(wrap('<!-- <video src="mp4:old.mp4"/> --><video src="mp4:new.mp4"/>')).map((r) => r.file),
    ['new.mp4'],
  );
  assert.deepEqual(
    parseSmil('<smil><body><video src="mp4:only.mp4"/></body></smil>').map((r) => r.file),
    ['only.mp4'],
  );
});

test('refuses what it cannot serve, saying why', () => {
  const cases: [string, RegExp][] = [
    ['', /no <smil> element/],
    ['{"json": true}', /no <smil> element/],
    [wrap(''), /no <video> or <audio> entry/],
    [wrap('<video width="1"/>'), /entry 1 has no src/],
    [wrap('<video src="mp4:a.mp4"/><video src="rtmp:live"/>'), /entry 2: only mp4: sources/],
    [wrap('<video src="mp4:/etc/passwd"/>'), /names no file under storageDir/],
    [wrap('<video src="mp4:a/../../b.mp4"/>'), /names no file under storageDir/],
    [wrap('<video src="mp4:a.mp4" system-bitrate="-5"/>'), /system-bitrate is not a whole number/],
    [wrap('<video src="mp4:a.mp4"><param name="videoBitrate" value="fast"/></video>'), /videoBitrate/],
    [wrap('<video src="mp4:a.mp4"/>'.repeat(MAX_SMIL_RENDITIONS + 1)), /more than 32 entries/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(
      () => parseSmil(text),
      (err: Error & { code?: string }) => {
        assert.match(err.message, reason, text.slice(0, 80));
        assert.ok(err.code === 'MEDIA_INVALID' || err.code === 'UNSUPPORTED_MEDIA', err.code);
        return true;
      },
    );
  }
});

test('hostile files of a megabyte are refused, not looped over', { timeout: 20_000 }, () => {
  const megabyte = (piece: string) => piece.repeat(Math.ceil(1_000_000 / piece.length));
  const hostile = [
    `<smil>${megabyte('<video ')}`,
    `<smil>${megabyte('<!--')}`,
    `<smil>${megabyte('<switch ')}`,
    `<smil><switch>${megabyte('<video src="a.mp4">')}`,
    `<smil><switch><video ${megabyte("a='a=")}/></switch></smil>`,
    `<smil><switch>${megabyte('<audio src="mp4:a.mp4"><param ')}`,
  ];
  for (const text of hostile) assert.throws(() => parseSmil(text), /invalid SMIL file/);
  const attributes = Array.from({ length: 20_000 }, (_, i) => `a${i}="${'x'.repeat(10)}"`).join(' ');
  assert.equal(parseSmil(wrap(`<video ${attributes} src="mp4:a.mp4"/>`))[0]!.file, 'a.mp4');
});
