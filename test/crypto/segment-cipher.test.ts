// AES-128-CBC segment encryption, judged by openssl as an independent decrypter.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { decryptSegment, encryptSegment, ivFromSequence, ivHex } from '../../src/crypto/segment-cipher.js';

const run = promisify(execFile);

describe('segment cipher', () => {
  test('openssl decrypts what encryptSegment produced, for lengths around block boundaries', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-'));
    try {
      for (const length of [0, 1, 15, 16, 17, 188 * 7, 188 * 1000 + 5]) {
        const data = randomBytes(length);
        const key = randomBytes(16);
        const iv = ivFromSequence(1_700_000_000 + length);
        const encrypted = encryptSegment(data, key, iv);
        assert.equal(encrypted.length % 16, 0);
        assert.equal(encrypted.length, (Math.floor(length / 16) + 1) * 16);
        const inFile = path.join(dir, `seg-${length}.ts.enc`);
        fs.writeFileSync(inFile, encrypted);
        const { stdout } = await run(
          '/usr/bin/openssl',
          ['aes-128-cbc', '-d', '-K', key.toString('hex'), '-iv', iv.toString('hex'), '-in', inFile],
          { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
        );
        assert.ok(Buffer.compare(stdout, data) === 0, `length ${length}`);
        assert.deepEqual(decryptSegment(encrypted, key, iv), data);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('encryptSegment matches openssl encryption byte for byte', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-'));
    try {
      const data = randomBytes(1000);
      const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
      const iv = Buffer.from('A140A11A450DBC04E67F39B850C13D41', 'hex');
      const inFile = path.join(dir, 'plain.bin');
      fs.writeFileSync(inFile, data);
      const { stdout } = await run(
        '/usr/bin/openssl',
        ['aes-128-cbc', '-e', '-K', key.toString('hex'), '-iv', iv.toString('hex'), '-in', inFile],
        { encoding: 'buffer' },
      );
      assert.deepEqual(encryptSegment(data, key, iv), stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a wrong key fails padding or yields other bytes', () => {
    const data = randomBytes(64);
    const iv = ivFromSequence(3);
    const enc = encryptSegment(data, randomBytes(16), iv);
    let same = false;
    try {
      same = decryptSegment(enc, randomBytes(16), iv).equals(data);
    } catch {
      same = false;
    }
    assert.equal(same, false);
  });

  test('key and IV lengths are checked', () => {
    assert.throws(() => encryptSegment(Buffer.alloc(4), Buffer.alloc(15), Buffer.alloc(16)), RangeError);
    assert.throws(() => encryptSegment(Buffer.alloc(4), Buffer.alloc(16), Buffer.alloc(8)), RangeError);
  });

  test('ivFromSequence is the 128-bit big-endian sequence number (RFC 8216 §5.2)', () => {
    assert.equal(ivFromSequence(0).toString('hex'), '0'.repeat(32));
    assert.equal(ivFromSequence(1).toString('hex'), '0'.repeat(31) + '1');
    assert.equal(ivFromSequence(0x0102030405).toString('hex'), '0'.repeat(22) + '0102030405');
    assert.equal(ivFromSequence(Number.MAX_SAFE_INTEGER).toString('hex'), '0'.repeat(18) + '1fffffffffffff');
    assert.throws(() => ivFromSequence(-1), RangeError);
    assert.throws(() => ivFromSequence(1.5), RangeError);
  });

  test('ivHex writes 0x and 32 upper-case hex digits', () => {
    assert.equal(ivHex(ivFromSequence(0xabc)), '0x00000000000000000000000000000ABC');
    assert.equal(
      ivHex(Buffer.from('a140a11a450dbc04e67f39b850c13d41', 'hex')),
      '0xA140A11A450DBC04E67F39B850C13D41',
    );
    assert.equal(ivHex(new Uint8Array(Buffer.alloc(32, 1).buffer, 8, 16)), '0x' + '01'.repeat(16));
    assert.throws(() => ivHex(Buffer.alloc(4)), RangeError);
  });
});
