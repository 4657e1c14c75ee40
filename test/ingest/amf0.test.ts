// AMF0: round trips of every supported type, exact bytes of connect's _result, and bounded decoding.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AMF0_MAX_DEPTH,
  Amf0EcmaArray,
  type Amf0Value,
  decodeAmf0,
  encodeAmf0,
} from '../../src/ingest/rtmp/amf0.js';
import { connectResultMessage } from '../../src/ingest/rtmp/command-responses.js';
import { RtmpProtocolError } from '../../src/ingest/rtmp/protocol-error.js';

const str = (s: string) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(Buffer.byteLength(s), 0);
  return Buffer.concat([b, Buffer.from(s)]);
};
const num = (n: number) => {
  const b = Buffer.alloc(9);
  b.writeDoubleBE(n, 1);
  return b;
};
const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');

describe('AMF0', () => {
  test('round-trips numbers, booleans, strings, null, undefined, dates, objects and arrays', () => {
    const values: Amf0Value[] = [
      0,
      -1.5,
      1e300,
      true,
      false,
      '',
      'publish',
      'héllo ✓',
      null,
      undefined,
      new Date(1_700_000_000_000),
      { app: 'live', nested: { deep: [1, 'two', null] } },
      [],
      [true, { a: 1 }],
    ];
    assert.deepEqual(decodeAmf0(encodeAmf0(values)), values);
  });

  test('long strings use marker 0x0c and decode back', () => {
    const long = 'x'.repeat(70_000);
    const bytes = encodeAmf0([long]);
    assert.equal(bytes[0], 0x0c);
    assert.equal(bytes.readUInt32BE(1), 70_000);
    assert.deepEqual(decodeAmf0(bytes), [long]);
  });

  test('ECMA arrays encode with marker 0x08 and a count, and decode to plain objects', () => {
    const bytes = encodeAmf0([new Amf0EcmaArray({ width: 320, encoder: 'Lavf' })]);
    assert.deepEqual(
      bytes,
      Buffer.concat([
        hex('08 00000002'), // ECMA array marker, count 2
        str('width'),
        hex('00'),
        num(320).subarray(1),
        str('encoder'),
        hex('02'),
        str('Lavf'),
        hex('000009'), // empty name + object end
      ]),
    );
    assert.deepEqual(decodeAmf0(bytes), [{ width: 320, encoder: 'Lavf' }]);
  });

  test('a __proto__ key stays an ordinary property', () => {
    const bytes = Buffer.concat([hex('03'), str('__proto__'), hex('02'), str('x'), hex('000009')]);
    const [obj] = decodeAmf0(bytes) as [Record<string, unknown>];
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value, 'x');
  });

  test('reads typed objects, XML documents and the unsupported marker', () => {
    const bytes = Buffer.concat([
      hex('10'),
      str('Cls'),
      str('a'),
      hex('0101'),
      hex('000009'), // typed object {a: true}
      hex('0f 00000003'),
      Buffer.from('<x>'), // XML document
      hex('0d'), // unsupported → undefined
    ]);
    assert.deepEqual(decodeAmf0(bytes), [{ a: true }, '<x>', undefined]);
  });

  test('connect _result has the exact bytes ffmpeg and OBS parse', () => {
    const payload = Buffer.from(connectResultMessage(1, 0).payload);
    const expected = Buffer.concat([
      hex('02'),
      str('_result'), // command name
      num(1), // transaction id 1
      hex('03'), // properties object
      str('fmsVer'),
      hex('02'),
      str('FMS/3,0,1,123'),
      str('capabilities'),
      num(31),
      hex('000009'),
      hex('03'), // information object
      str('level'),
      hex('02'),
      str('status'),
      str('code'),
      hex('02'),
      str('NetConnection.Connect.Success'),
      str('description'),
      hex('02'),
      str('Connection succeeded.'),
      str('objectEncoding'),
      num(0),
      hex('000009'),
    ]);
    assert.deepEqual(payload, expected);
  });

  test('refuses truncated values, references, AMF3 switches and nesting deeper than the limit', () => {
    const refuses = (bytes: Buffer) => assert.throws(() => decodeAmf0(bytes), RtmpProtocolError);
    refuses(hex('00 0102'));
    refuses(hex('02 0010 41'));
    refuses(hex('0c ffffffff 41'));
    refuses(hex('0a ffffffff 00'));
    refuses(Buffer.concat([hex('03'), str('a')]));
    refuses(hex('07 0001'));
    refuses(hex('11 01'));
    refuses(hex('04'));
    refuses(hex('0a 00000001')); // one item promised, none present
    const deep = Buffer.concat([
      ...Array.from({ length: AMF0_MAX_DEPTH + 2 }, () => hex('0a 00000001')),
      hex('05'),
    ]);
    refuses(deep);
    const ok = Buffer.concat([
      ...Array.from({ length: AMF0_MAX_DEPTH }, () => hex('0a 00000001')),
      hex('05'),
    ]);
    assert.equal(decodeAmf0(ok).length, 1);
  });
});
