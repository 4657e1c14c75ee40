import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aacCodecString, adtsHeader, adtsParams, parseAudioSpecificConfig } from '../../src/codecs/aac.js';

const asc = (hex: string) => Buffer.from(hex, 'hex');

describe('parseAudioSpecificConfig', () => {
  test('1210: AAC-LC, 44100 Hz, stereo', () => {
    // 00010 (AAC-LC) | 0100 (44100) | 0010 (stereo) | 000
    assert.deepEqual(parseAudioSpecificConfig(asc('1210')), {
      objectType: 2,
      coreObjectType: 2,
      sampleRate: 44100,
      samplingFrequencyIndex: 4,
      channelConfiguration: 2,
      channels: 2,
    });
  });

  test('1190: AAC-LC, 48000 Hz, stereo', () => {
    const c = parseAudioSpecificConfig(asc('1190'));
    assert.deepEqual([c.objectType, c.sampleRate, c.samplingFrequencyIndex, c.channels], [2, 48000, 3, 2]);
  });

  test("138856e500: ffmpeg's mono 22050 Hz config with a trailing SBR sync extension", () => {
    const c = parseAudioSpecificConfig(asc('138856e500'));
    assert.deepEqual([c.objectType, c.sampleRate, c.samplingFrequencyIndex, c.channels], [2, 22050, 7, 1]);
  });

  test('explicit 24-bit sampling frequency (index 15)', () => {
    // 00010 | 1111 | 0x00BB80 (48000) in 24 bits | 0001 (mono) | 000
    const c = parseAudioSpecificConfig(asc('17805dc008'));
    assert.deepEqual([c.samplingFrequencyIndex, c.sampleRate, c.channels], [15, 48000, 1]);
  });

  test('escaped object type 31 reads 32 + 6 bits', () => {
    // 11111 | 000010 (type 34) | 0011 (48000) | 0010 | 0
    const c = parseAudioSpecificConfig(asc('f84640'));
    assert.deepEqual([c.objectType, c.sampleRate, c.channels], [34, 48000, 2]);
  });

  test('explicit HE-AAC (SBR) reports object type 5 over an AAC-LC core', () => {
    // 00101 (SBR) | 0110 (24000 core) | 0010 | 0011 (48000 ext) | 00010 (AAC-LC) | 00
    const c = parseAudioSpecificConfig(asc('2b1188'));
    assert.deepEqual([c.objectType, c.coreObjectType, c.sampleRate, c.channels], [5, 2, 24000, 2]);
    assert.equal(aacCodecString(c), 'mp4a.40.5');
  });

  test('7.1 channel configuration counts 8 channels', () => {
    assert.equal(parseAudioSpecificConfig(asc('11b8')).channels, 8);
  });

  test('rejects short, truncated and reserved configs', () => {
    assert.throws(() => parseAudioSpecificConfig(asc('12')), { code: 'MEDIA_INVALID' });
    assert.throws(() => parseAudioSpecificConfig(asc('1780')), { code: 'MEDIA_INVALID' });
    assert.throws(() => parseAudioSpecificConfig(asc('1690')), { code: 'MEDIA_INVALID' }); // index 13
  });
});

describe('aacCodecString', () => {
  test('mp4a.40.<object type>', () => {
    assert.equal(aacCodecString(asc('1210')), 'mp4a.40.2');
    assert.equal(aacCodecString(asc('0a10')), 'mp4a.40.1');
  });
});

describe('ADTS header', () => {
  test('AAC-LC 44100 Hz stereo, 100-byte payload', () => {
    const header = adtsHeader(adtsParams(parseAudioSpecificConfig(asc('1210'))), 100);
    // biome-ignore format: one line per field
    assert.deepEqual([...header], [
      0xff, //  syncword bits 11..4
      0xf1, //  syncword bits 3..0, ID 0 (MPEG-4), layer 00, protection_absent 1
      0x50, //  profile 01 (LC), sampling_frequency_index 0100 (44100), private 0, channel_configuration bit 2 = 0
      0x80, //  channel_configuration bits 1..0 = 10, four zero flags, frame_length bits 12..11 = 00
      0x0d, //  frame_length bits 10..3: 107 = 7 + 100
      0x7f, //  frame_length bits 2..0 = 011, adts_buffer_fullness bits 10..6 = 11111
      0xfc, //  adts_buffer_fullness bits 5..0 = 111111, number_of_raw_data_blocks_in_frame 0
    ]);
  });

  test("matches ffmpeg's ADTS header for mono 44100 Hz with a 258-byte payload", () => {
    const header = adtsHeader(adtsParams(parseAudioSpecificConfig(asc('1208'))), 258);
    assert.equal(Buffer.from(header).toString('hex'), 'fff15040213ffc');
  });

  test('HE-AAC is framed with its AAC-LC core profile', () => {
    const params = adtsParams(parseAudioSpecificConfig(asc('2b1188')));
    assert.deepEqual(params, { profile: 1, samplingFrequencyIndex: 6, channelConfiguration: 2 });
  });

  test('an explicit frequency maps back to its index; one without an index is refused', () => {
    assert.equal(adtsParams(parseAudioSpecificConfig(asc('17805dc008'))).samplingFrequencyIndex, 3);
    // 00010 | 1111 | 0x00AC45 (44101) | 0001
    assert.throws(() => adtsParams(parseAudioSpecificConfig(asc('1780562288'))), {
      code: 'UNSUPPORTED_MEDIA',
    });
  });

  test('refuses what ADTS cannot carry', () => {
    assert.throws(() => adtsParams(parseAudioSpecificConfig(asc('f84640'))), { code: 'UNSUPPORTED_MEDIA' });
    assert.throws(() => adtsParams(parseAudioSpecificConfig(asc('1200'))), { code: 'UNSUPPORTED_MEDIA' });
    const params = adtsParams(parseAudioSpecificConfig(asc('1210')));
    assert.throws(() => adtsHeader(params, 8185), { code: 'MEDIA_INVALID' });
    assert.equal(adtsHeader(params, 8184).length, 7);
  });
});
