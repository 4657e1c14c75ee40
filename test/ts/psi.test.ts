import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AUDIO_PID, buildPatSection, buildPmtSection, StreamType, VIDEO_PID } from '../../src/ts/psi.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('PAT', () => {
  test("equals ffmpeg's PAT section", () => {
    // biome-ignore format: one line per field
    const expected = [
      0x00, //       table_id: program_association_section
      0xb0, 0x0d, // section_syntax_indicator 1, '0', reserved '11', section_length 13
      0x00, 0x01, // transport_stream_id 1
      0xc1, //       reserved '11', version_number 0, current_next_indicator 1
      0x00, //       section_number
      0x00, //       last_section_number
      0x00, 0x01, // program_number 1
      0xf0, 0x00, // reserved '111', program_map_PID 0x1000
      0x2a, 0xb1, 0x04, 0xb2, // CRC_32
    ];
    assert.deepEqual([...buildPatSection()], expected);
  });
});

describe('PMT', () => {
  test('video and audio: the bytes ffmpeg writes for H.264 + AAC without descriptors', () => {
    // biome-ignore format: one line per field
    const expected = [
      0x02, //       table_id: TS_program_map_section
      0xb0, 0x17, // section_syntax_indicator 1, '0', reserved '11', section_length 23
      0x00, 0x01, // program_number 1
      0xc1, //       reserved, version_number 0, current_next_indicator 1
      0x00, 0x00, // section_number, last_section_number
      0xe1, 0x00, // reserved '111', PCR_PID 0x100 (video)
      0xf0, 0x00, // reserved '1111', program_info_length 0
      0x1b, //       stream_type: H.264
      0xe1, 0x00, // reserved '111', elementary_PID 0x100
      0xf0, 0x00, // reserved '1111', ES_info_length 0
      0x0f, //       stream_type: AAC in ADTS
      0xe1, 0x01, // reserved '111', elementary_PID 0x101
      0xf0, 0x00, // reserved '1111', ES_info_length 0
      0x2f, 0x44, 0xb9, 0x9b, // CRC_32
    ];
    const pmt = buildPmtSection(VIDEO_PID, [
      { streamType: StreamType.H264, pid: VIDEO_PID },
      { streamType: StreamType.AAC_ADTS, pid: AUDIO_PID },
    ]);
    assert.deepEqual([...pmt], expected);
  });

  test("video only equals ffmpeg's PMT", () => {
    const pmt = buildPmtSection(VIDEO_PID, [{ streamType: StreamType.H264, pid: VIDEO_PID }]);
    // section_length 18, PCR_PID 0x100, one H.264 stream on 0x100, CRC 15bd4d56
    assert.equal(hex(pmt), '02b0120001c10000e100f0001be100f000' + '15bd4d56');
  });

  test("audio only takes the audio PID as PCR_PID and equals ffmpeg's PMT", () => {
    const pmt = buildPmtSection(AUDIO_PID, [{ streamType: StreamType.AAC_ADTS, pid: AUDIO_PID }]);
    // section_length 18, PCR_PID 0x101, one AAC stream on 0x101, CRC ece2b094
    assert.equal(hex(pmt), '02b0120001c10000e101f0000fe101f000' + 'ece2b094');
  });
});
