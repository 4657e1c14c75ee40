// AMF0 encoding and decoding (Adobe "Action Message Format -- AMF 0", §2): the values RTMP commands carry.
// Decoding is bounded: nesting depth is limited and every length is checked against the bytes present.

import { RtmpProtocolError } from './protocol-error.js';

/** AMF0 type markers (AMF0 §2.1). */
const MARKER = {
  number: 0x00,
  boolean: 0x01,
  string: 0x02,
  object: 0x03,
  movieClip: 0x04,
  null: 0x05,
  undefined: 0x06,
  reference: 0x07,
  ecmaArray: 0x08,
  objectEnd: 0x09,
  strictArray: 0x0a,
  date: 0x0b,
  longString: 0x0c,
  unsupported: 0x0d,
  recordSet: 0x0e,
  xmlDocument: 0x0f,
  typedObject: 0x10,
  avmplusObject: 0x11,
} as const;

/** Strings up to this many UTF-8 bytes use the 16-bit length form (AMF0 §2.4). */
const MAX_SHORT_STRING = 0xffff;
/** Deeper nesting than any RTMP command needs; stops stack exhaustion by hostile input. */
export const AMF0_MAX_DEPTH = 32;

/** An ECMA array to encode (decoding gives plain objects for both objects and ECMA arrays). */
export class Amf0EcmaArray {
  /** The properties, in order. */
  readonly entries: Readonly<Record<string, Amf0Value>>;

  constructor(entries: Readonly<Record<string, Amf0Value>>) {
    this.entries = entries;
  }
}

/** An anonymous AMF0 object or decoded ECMA array. */
export interface Amf0Object {
  [key: string]: Amf0Value;
}

/** Any value AMF0 can carry here. */
export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Amf0EcmaArray
  | Amf0Object
  | readonly Amf0Value[];

/** Decodes every value in `bytes` (a command: name, transaction id, command object, arguments). */
export function decodeAmf0(bytes: Uint8Array): Amf0Value[] {
  const reader = new Amf0Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const values: Amf0Value[] = [];
  while (!reader.atEnd()) values.push(reader.value(0));
  return values;
}

/** Encodes `values` one after the other. */
export function encodeAmf0(values: readonly Amf0Value[]): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) writeValue(parts, value, 0);
  return Buffer.concat(parts);
}

class Amf0Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  value(depth: number): Amf0Value {
    if (depth > AMF0_MAX_DEPTH) throw amfError(`nesting deeper than ${AMF0_MAX_DEPTH}`);
    const marker = this.u8();
    switch (marker) {
      case MARKER.number:
        return this.take(8).readDoubleBE(0);
      case MARKER.boolean:
        return this.u8() !== 0;
      case MARKER.string:
        return this.utf8(this.take(2).readUInt16BE(0));
      case MARKER.longString:
      case MARKER.xmlDocument:
        return this.utf8(this.take(4).readUInt32BE(0));
      case MARKER.object:
        return this.properties(depth);
      case MARKER.typedObject:
        this.utf8(this.take(2).readUInt16BE(0)); // class name: not kept
        return this.properties(depth);
      case MARKER.ecmaArray:
        this.take(4); // the count is only a hint (AMF0 §2.10); the object-end marker ends the list
        return this.properties(depth);
      case MARKER.strictArray:
        return this.strictArray(depth);
      case MARKER.date: {
        const ms = this.take(10).readDoubleBE(0); // then a 16-bit time zone, reserved (AMF0 §2.13)
        return new Date(ms);
      }
      case MARKER.null:
        return null;
      case MARKER.undefined:
      case MARKER.unsupported:
        return undefined;
      case MARKER.avmplusObject:
        throw amfError('AMF3 value (avmplus-object marker) inside AMF0 is not supported');
      default:
        throw amfError(`unsupported AMF0 marker 0x${marker.toString(16)}`);
    }
  }

  private properties(depth: number): Amf0Object {
    const obj: Amf0Object = {};
    for (;;) {
      const key = this.utf8(this.take(2).readUInt16BE(0));
      if (key === '' && this.buf[this.pos] === MARKER.objectEnd) {
        this.pos++;
        return obj;
      }
      // defineProperty, not assignment: a "__proto__" key must stay a plain property.
      Object.defineProperty(obj, key, {
        value: this.value(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }

  private strictArray(depth: number): Amf0Value[] {
    const count = this.take(4).readUInt32BE(0);
    const items: Amf0Value[] = [];
    // Every value takes at least one byte, so the input bounds the loop whatever `count` claims.
    for (let i = 0; i < count; i++) items.push(this.value(depth + 1));
    return items;
  }

  private u8(): number {
    return this.take(1)[0]!;
  }

  private utf8(length: number): string {
    return this.take(length).toString('utf8');
  }

  private take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw amfError('truncated value');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function writeValue(parts: Buffer[], value: Amf0Value, depth: number): void {
  if (depth > AMF0_MAX_DEPTH) throw amfError(`nesting deeper than ${AMF0_MAX_DEPTH}`);
  if (typeof value === 'number') {
    const b = Buffer.alloc(9);
    b[0] = MARKER.number;
    b.writeDoubleBE(value, 1);
    parts.push(b);
  } else if (typeof value === 'boolean') {
    parts.push(Buffer.of(MARKER.boolean, value ? 1 : 0));
  } else if (typeof value === 'string') {
    writeString(parts, value);
  } else if (value === null) {
    parts.push(Buffer.of(MARKER.null));
  } else if (value === undefined) {
    parts.push(Buffer.of(MARKER.undefined));
  } else if (value instanceof Date) {
    const b = Buffer.alloc(11); // time zone: 0, reserved
    b[0] = MARKER.date;
    b.writeDoubleBE(value.getTime(), 1);
    parts.push(b);
  } else if (value instanceof Amf0EcmaArray) {
    const head = Buffer.alloc(5);
    head[0] = MARKER.ecmaArray;
    head.writeUInt32BE(Object.keys(value.entries).length, 1);
    parts.push(head);
    writeProperties(parts, value.entries, depth);
  } else if (Array.isArray(value)) {
    const head = Buffer.alloc(5);
    head[0] = MARKER.strictArray;
    head.writeUInt32BE(value.length, 1);
    parts.push(head);
    for (const item of value as readonly Amf0Value[]) writeValue(parts, item, depth + 1);
  } else {
    parts.push(Buffer.of(MARKER.object));
    writeProperties(parts, value as Amf0Object, depth);
  }
}

function writeProperties(parts: Buffer[], obj: Readonly<Record<string, Amf0Value>>, depth: number): void {
  for (const [key, item] of Object.entries(obj)) {
    parts.push(shortStringBody(key));
    writeValue(parts, item, depth + 1);
  }
  parts.push(Buffer.of(0, 0, MARKER.objectEnd));
}

function writeString(parts: Buffer[], value: string): void {
  const body = Buffer.from(value, 'utf8');
  if (body.length <= MAX_SHORT_STRING) {
    parts.push(Buffer.of(MARKER.string), shortStringBody(value));
    return;
  }
  const head = Buffer.alloc(5);
  head[0] = MARKER.longString;
  head.writeUInt32BE(body.length, 1);
  parts.push(head, body);
}

/** A 16-bit length and UTF-8 bytes, as used for strings and property names. */
function shortStringBody(value: string): Buffer {
  const body = Buffer.from(value, 'utf8');
  if (body.length > MAX_SHORT_STRING) throw amfError('property name longer than 65535 bytes');
  const head = Buffer.alloc(2);
  head.writeUInt16BE(body.length, 0);
  return Buffer.concat([head, body]);
}

function amfError(message: string): RtmpProtocolError {
  return new RtmpProtocolError('AMF0', `amf0: ${message}`);
}
