import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ContinuityCounter } from '../../src/ts/continuity-counter.js';
import {
  pesPacketCount,
  TS_PACKET_SIZE,
  writePcrPacket,
  writePesPackets,
  writeSectionPacket,
} from '../../src/ts/packetizer.js';

const PID = 0x100;

function pesOf(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i % 250) + 1);
}

function packetize(pes: Uint8Array, pcr?: number, randomAccess = false, counter = new ContinuityCounter()) {
  const count = pesPacketCount(pes.length, pcr !== undefined, randomAccess);
  const out = new Uint8Array(count * TS_PACKET_SIZE);
  const end = writePesPackets(out, 0, pes, { pid: PID, counter, pcr, randomAccess });
  assert.equal(end, out.length);
  return out;
}

describe('writePesPackets', () => {
  test('a PES of exactly 184 bytes fills one packet with no adaptation field', () => {
    const out = packetize(pesOf(184));
    // biome-ignore format: one line per field
    assert.deepEqual(
      [...out.subarray(0, 4)],
      [
        0x47, // sync_byte
        0x41, // payload_unit_start_indicator, PID bits 12..8 = 0x01
        0x00, // PID bits 7..0
        0x10, // not scrambled, adaptation_field_control '01' payload only, continuity_counter 0
      ],
    );
    assert.deepEqual(out.subarray(4), pesOf(184));
  });

  test('one spare byte is adaptation_field_length 0 with no flags byte', () => {
    const out = packetize(pesOf(183));
    // biome-ignore format: one line per field
    assert.deepEqual(
      [...out.subarray(0, 5)],
      [
        0x47, 0x41, 0x00, // sync_byte, payload_unit_start_indicator, PID 0x100
        0x30, // adaptation_field_control '11' adaptation field and payload, continuity_counter 0
        0x00, // adaptation_field_length 0: the single stuffing byte
      ],
    );
    assert.deepEqual(out.subarray(5), pesOf(183));
  });

  test('two spare bytes are a length byte and a flags byte', () => {
    const out = packetize(pesOf(182));
    assert.deepEqual([...out.subarray(3, 6)], [0x30, 0x01, 0x00]); // length 1, no flags
    assert.deepEqual(out.subarray(6), pesOf(182));
  });

  test('several spare bytes are a length byte, a flags byte and 0xFF fill', () => {
    const out = packetize(pesOf(10));
    // biome-ignore format: one line per field
    assert.deepEqual(
      [...out.subarray(3, 7)],
      [
        0x30, // adaptation field and payload
        0xad, // adaptation_field_length 173 = 184 - 10 - 1
        0x00, // no flags
        0xff, // stuffing...
      ],
    );
    assert.ok(out.subarray(6, 178).every((b) => b === 0xff));
    assert.deepEqual(out.subarray(178), pesOf(10));
  });

  test('splits a longer PES, stuffing only the last packet and counting each packet', () => {
    const pes = pesOf(185);
    const out = packetize(pes, undefined, false, new ContinuityCounter(15));
    assert.equal(out.length, 2 * TS_PACKET_SIZE);
    assert.equal(out[3], 0x1f); // payload only, continuity_counter 15
    assert.deepEqual(out.subarray(4, 188), pes.subarray(0, 184));
    // biome-ignore format: one line per field
    assert.deepEqual(
      [...out.subarray(188, 193)],
      [
        0x47, // sync_byte
        0x01, 0x00, // no payload_unit_start on continuation packets, PID 0x100
        0x30, // adaptation field and payload, continuity_counter wrapped to 0
        0xb6, // adaptation_field_length 182: one payload byte remains
      ],
    );
    assert.equal(out[375], pes[184]);
  });

  test('the first packet carries PCR and random_access_indicator', () => {
    const out = packetize(pesOf(400), 63_000, true);
    // biome-ignore format: one line per field
    assert.deepEqual(
      [...out.subarray(0, 12)],
      [
        0x47, 0x41, 0x00, // sync_byte, payload_unit_start_indicator, PID 0x100
        0x30, // adaptation field and payload, continuity_counter 0
        0x07, // adaptation_field_length 7
        0x50, // random_access_indicator | PCR_flag
        0x00, 0x00, 0x7b, 0x0c, // program_clock_reference_base 63000, bits 32..1
        0x7e, // base bit 0, six reserved '1' bits, extension bit 8
        0x00, // extension bits 7..0
      ],
    );
    assert.deepEqual(out.subarray(12, 188), pesOf(400).subarray(0, 176));
    assert.equal(out[188 + 3], 0x11); // second packet: payload only, continuity_counter 1
  });

  test('random_access_indicator alone takes two bytes', () => {
    const out = packetize(pesOf(300), undefined, true);
    assert.deepEqual([...out.subarray(3, 6)], [0x30, 0x01, 0x40]);
  });

  test('writes 33-bit PCR bases', () => {
    const out = packetize(pesOf(10), 2 ** 33 - 1);
    assert.deepEqual([...out.subarray(6, 12)], [0xff, 0xff, 0xff, 0xff, 0xfe, 0x00]);
  });

  test('counts packets', () => {
    assert.equal(pesPacketCount(0, false, false), 1);
    assert.equal(pesPacketCount(184, false, false), 1);
    assert.equal(pesPacketCount(185, false, false), 2);
    assert.equal(pesPacketCount(176, true, false), 1);
    assert.equal(pesPacketCount(177, true, false), 2);
    assert.equal(pesPacketCount(182, false, true), 1);
    assert.equal(pesPacketCount(183, false, true), 2);
  });
});

describe('writePcrPacket', () => {
  test('adaptation field only, counter not advanced', () => {
    const counter = new ContinuityCounter();
    counter.next();
    counter.next(); // last packet with payload carried 1
    const out = new Uint8Array(TS_PACKET_SIZE);
    writePcrPacket(out, 0, PID, counter, 90_000);
    // biome-ignore format: one line per field
    assert.deepEqual(
      [...out.subarray(0, 12)],
      [
        0x47, 0x01, 0x00, // sync_byte, no payload_unit_start, PID 0x100
        0x21, // adaptation_field_control '10' adaptation only, continuity_counter repeats 1
        0xb7, // adaptation_field_length 183
        0x10, // PCR_flag
        0x00, 0x00, 0xaf, 0xc8, 0x7e, 0x00, // PCR base 90000
      ],
    );
    assert.ok(out.subarray(12).every((b) => b === 0xff));
    assert.equal(counter.next(), 2);
  });
});

describe('writeSectionPacket', () => {
  test('pointer_field 0, the section, 0xFF padding', () => {
    const out = new Uint8Array(TS_PACKET_SIZE);
    const section = Uint8Array.of(0x00, 0xb0, 0x0d);
    writeSectionPacket(out, 0, 0, new ContinuityCounter(), section);
    // biome-ignore format: one line per field
    assert.deepEqual(
      [...out.subarray(0, 9)],
      [
        0x47, 0x40, 0x00, // sync_byte, payload_unit_start_indicator, PID 0
        0x10, // payload only, continuity_counter 0
        0x00, // pointer_field
        0x00, 0xb0, 0x0d, // the section
        0xff, // padding
      ],
    );
    assert.ok(out.subarray(8).every((b) => b === 0xff));
  });
});
