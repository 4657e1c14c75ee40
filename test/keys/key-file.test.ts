// Wowza key-file parsing: accepted forms, every refusal, and that no message carries the key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HlsError } from '../../src/core/errors.js';
import { formatKeyFile, keyVersion, maskKey, parseKeyFile } from '../../src/keys/key-file.js';

const KEY = 'DE51A7254739C0EDF1DCE13BBB308FF0';
const IV = 'A140A11A450DBC04E67F39B850C13D41';

/** Parses `text` expecting a KEY_FILE_INVALID error; returns its message after checking it hides the key. */
function refused(text: string): string {
  try {
    parseKeyFile(text, 'keys/x.key');
  } catch (err) {
    assert.ok(err instanceof HlsError);
    assert.equal(err.code, 'KEY_FILE_INVALID');
    assert.equal(err.statusCode, 503);
    assert.ok(!err.message.toUpperCase().includes(KEY), `message leaks the key: ${err.message}`);
    assert.ok(
      !err.message.toUpperCase().includes(KEY.slice(0, 30)),
      `message leaks key digits: ${err.message}`,
    );
    return err.message;
  }
  assert.fail('expected KEY_FILE_INVALID');
}

describe('parseKeyFile', () => {
  test('a minimal file gives the key and defaults', () => {
    const k = parseKeyFile(`cupertinostreaming-aes128-key: ${KEY}\n`, 'a.key');
    assert.equal(k.key.toString('hex').toUpperCase(), KEY);
    assert.equal(k.url, undefined);
    assert.equal(k.iv, undefined);
    assert.equal(k.ivInChunklist, true);
    assert.equal(k.method, 'AES-128');
  });

  test('all settings, comments, blank lines, CRLF and ignored lines', () => {
    const text = [
      '# key for sample.mp4',
      '',
      `cupertinostreaming-aes128-key: ${KEY.toLowerCase()}`,
      'cupertinostreaming-aes128-url: https://keys.example.com/key.php?x=1',
      `  cupertinostreaming-aes128-iv:${IV}  `,
      'cupertinostreaming-aes128-iv-include-in-chunklist: FALSE   # keep the IV out of playlists',
      'cupertinostreaming-aes128-method: aes-128',
      'cupertinostreaming-something-else: whatever: with colons',
      'mpegdashstreaming-cenc-key-id: 12345678-1234-1234-1234-123456789012',
      'mpegdashstreaming-cenc-content-key: 0123456789abcdef',
      '   # indented comment',
      '',
    ].join('\r\n');
    const k = parseKeyFile(text, 'a.key');
    assert.equal(k.key.toString('hex').toUpperCase(), KEY);
    assert.equal(k.url, 'https://keys.example.com/key.php?x=1');
    assert.equal(k.iv?.toString('hex').toUpperCase(), IV);
    assert.equal(k.ivInChunklist, false);
    assert.equal(k.method, 'AES-128');
  });

  test('upper- and lower-case hex give the same key; names are case-insensitive; BOM ignored', () => {
    const a = parseKeyFile(`cupertinostreaming-aes128-key: ${KEY}`, 'a.key');
    const b = parseKeyFile(`\uFEFFCupertinoStreaming-AES128-Key: ${KEY.toLowerCase()}`, 'b.key');
    assert.deepEqual(a.key, b.key);
  });

  test('iv-include-in-chunklist true and http URLs', () => {
    const k = parseKeyFile(
      `cupertinostreaming-aes128-key: ${KEY}\ncupertinostreaming-aes128-iv-include-in-chunklist: true\ncupertinostreaming-aes128-url: http://k.example/k`,
      'a.key',
    );
    assert.equal(k.ivInChunklist, true);
    assert.equal(k.url, 'http://k.example/k');
  });

  test('bad hex is refused with file and line', () => {
    const msg = refused(`# c\ncupertinostreaming-aes128-key: ${KEY.slice(0, 31)}G\n`);
    assert.match(msg, /^keys\/x\.key:2: key must be 32 hex digits/);
  });

  test('short and long keys are refused', () => {
    assert.match(
      refused(`cupertinostreaming-aes128-key: ${KEY.slice(0, 30)}`),
      /:1: key must be 32 hex digits \(found 30\)/,
    );
    assert.match(
      refused(`cupertinostreaming-aes128-key: ${KEY}00`),
      /:1: key must be 32 hex digits \(found 34\)/,
    );
    assert.match(refused('cupertinostreaming-aes128-key:'), /:1: key is empty/);
  });

  test('two key lines are refused', () => {
    const msg = refused(`cupertinostreaming-aes128-key: ${KEY}\n\ncupertinostreaming-aes128-key: ${KEY}\n`);
    assert.match(msg, /:3: second cupertinostreaming-aes128-key line/);
  });

  test('SAMPLE-AES is refused clearly', () => {
    const msg = refused(
      `cupertinostreaming-aes128-key: ${KEY}\ncupertinostreaming-aes128-method: SAMPLE-AES`,
    );
    assert.match(msg, /:2: method SAMPLE-AES is not supported/);
  });

  test('an unknown method is refused', () => {
    const msg = refused(`cupertinostreaming-aes128-method: AES-256\ncupertinostreaming-aes128-key: ${KEY}`);
    assert.match(msg, /:1: method "AES-256" is not supported, use AES-128/);
    // a key pasted into the wrong line is not echoed
    refused(`cupertinostreaming-aes128-key: ${KEY}\ncupertinostreaming-aes128-method: ${KEY}`);
  });

  test('a line that is not "name: value" is refused, without echoing it', () => {
    assert.match(
      refused(`cupertinostreaming-aes128-key: ${KEY}\njust some words`),
      /:2: expected "name: value"/,
    );
    assert.match(refused(`cupertinostreaming-aes128-key ${KEY}`), /:1: expected "name: value"/);
    assert.match(refused(`${KEY}`), /:1: expected "name: value"/);
  });

  test('bad iv, bad url, bad boolean, unknown setting and a missing key line are refused', () => {
    const base = `cupertinostreaming-aes128-key: ${KEY}\n`;
    assert.match(refused(base + 'cupertinostreaming-aes128-iv: 1234'), /:2: iv must be 32 hex digits/);
    assert.match(refused(base + 'cupertinostreaming-aes128-url: /key.php'), /:2: url must be an absolute/);
    assert.match(refused(base + 'cupertinostreaming-aes128-url: ftp://x/k'), /:2: url must be an absolute/);
    assert.match(
      refused(base + 'cupertinostreaming-aes128-iv-include-in-chunklist: yes'),
      /:2: .* must be true or false/,
    );
    assert.match(refused(base + 'cupertino-aes128-key: x'), /:2: unknown setting "cupertino-aes128-key"/);
    assert.match(refused('# nothing here\n'), /no cupertinostreaming-aes128-key line/);
    assert.match(refused(''), /no cupertinostreaming-aes128-key line/);
  });
});

describe('formatKeyFile, maskKey, keyVersion', () => {
  test('formatKeyFile writes Wowza lines that parse back', () => {
    const key = Buffer.from(KEY, 'hex');
    const iv = Buffer.from(IV, 'hex');
    const text = formatKeyFile({ key, url: 'https://k.example/key', iv });
    assert.equal(
      text,
      `cupertinostreaming-aes128-key: ${KEY}\ncupertinostreaming-aes128-url: https://k.example/key\ncupertinostreaming-aes128-iv: ${IV}\n`,
    );
    const back = parseKeyFile(text, 'a.key');
    assert.deepEqual(back, { key, url: 'https://k.example/key', iv, ivInChunklist: true, method: 'AES-128' });
  });

  test('maskKey shows * and the last four hex digits upper-case', () => {
    assert.equal(maskKey(Buffer.from(KEY, 'hex')), '*8FF0');
    assert.equal(maskKey(KEY.toLowerCase()), '*8FF0');
  });

  test('keyVersion is 8 hex digits and changes with key, iv and url', () => {
    const key = Buffer.from(KEY, 'hex');
    const v = keyVersion({ key });
    assert.match(v, /^[0-9a-f]{8}$/);
    assert.equal(keyVersion({ key }), v);
    assert.notEqual(keyVersion({ key, iv: Buffer.from(IV, 'hex') }), v);
    assert.notEqual(keyVersion({ key, url: 'https://k/' }), v);
    assert.notEqual(keyVersion({ key: Buffer.alloc(16) }), v);
  });
});
