// Segments muxed one by one (VOD): PAT/PMT counters follow the media sequence number, and the first
// packet of each elementary PID carries discontinuity_indicator, so a demuxer reading the segments
// back to back sees no continuity error.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MediaSample } from '../../src/core/media.js';
import { TsMuxer } from '../../src/ts/segment-muxer.js';
import { AAC_90K, AUDIO, FRAME_90K, VIDEO } from './track-fixtures.js';
import { readPackets, type TsPacket } from './ts-reader.js';

const VIDEO_PID = 0x100;
const AUDIO_PID = 0x101;
/** discontinuity_indicator in the adaptation field's flags byte (ISO 13818-1 §2.4.3.5). */
const DISCONTINUITY = 0x80;

function videoSamples(count: number, start: number, firstIsKey = true): MediaSample[] {
  return Array.from({ length: count }, (_, i) => {
    const keyframe = i === 0 && firstIsKey;
    const size = keyframe ? 2500 : 300 + i * 41;
    const data = new Uint8Array(4 + size).fill(0x5a);
    new DataView(data.buffer).setUint32(0, size);
    data[4] = keyframe ? 0x65 : 0x41;
    const dts = start + i * FRAME_90K;
    return { dts, pts: dts + 2 * FRAME_90K, data, keyframe };
  });
}

function audioSamples(count: number, start: number): MediaSample[] {
  return Array.from({ length: count }, (_, i) => {
    const dts = start + i * AAC_90K;
    return { dts, pts: dts, data: new Uint8Array(250 + (i % 5)).fill(i & 0xff), keyframe: true };
  });
}

/** discontinuity_indicator of each packet (false when there is no flags byte). */
function discontinuities(buf: Uint8Array): boolean[] {
  return readPackets(buf).map((p) => {
    const at = p.index * 188;
    return p.adaptationLength !== undefined && p.adaptationLength > 0 && (buf[at + 5]! & DISCONTINUITY) !== 0;
  });
}

/** Continuity errors as ffmpeg's mpegts demuxer counts them: a jump without discontinuity_indicator. */
function continuityErrors(buffers: readonly Uint8Array[]): string[] {
  const errors: string[] = [];
  const last = new Map<number, number>();
  buffers.forEach((buf, segment) => {
    const flags = discontinuities(buf);
    for (const p of readPackets(buf)) {
      const prev = last.get(p.pid);
      const expected = prev === undefined ? p.cc : p.hasPayload ? (prev + 1) % 16 : prev;
      if (p.cc !== expected && !flags[p.index]) {
        errors.push(`segment ${segment} packet ${p.index} PID ${p.pid}: cc ${p.cc}, expected ${expected}`);
      }
      last.set(p.pid, p.cc);
    }
  });
  return errors;
}

/** The two segments of a VOD stream at `sequence` and the next, each from a fresh muxer. */
function vodPair(sequence: number): [Uint8Array, Uint8Array] {
  const a = new TsMuxer({ video: VIDEO, audio: AUDIO }).muxSegment(
    { video: videoSamples(6, 0), audio: audioSamples(12, 0) },
    { standaloneSequence: sequence },
  );
  const b = new TsMuxer({ video: VIDEO, audio: AUDIO }).muxSegment(
    { video: videoSamples(6, 6 * FRAME_90K), audio: audioSamples(12, 12 * AAC_90K) },
    { standaloneSequence: sequence + 1 },
  );
  return [a, b];
}

function firstOf(packets: readonly TsPacket[], pid: number): TsPacket {
  const p = packets.find((q) => q.pid === pid);
  assert.ok(p, `PID ${pid} present`);
  return p;
}

describe('TsMuxer standalone segments', () => {
  test('fresh muxers one segment apart read back to back without a continuity error', () => {
    const plain = [
      new TsMuxer({ video: VIDEO, audio: AUDIO }).muxSegment({ video: videoSamples(6, 0) }),
      new TsMuxer({ video: VIDEO, audio: AUDIO }).muxSegment({ video: videoSamples(6, 6 * FRAME_90K) }),
    ];
    assert.ok(continuityErrors(plain).length > 0, 'without the option the counters restart');
    assert.deepEqual(continuityErrors(vodPair(4)), []);
  });

  test('PAT and PMT counters are the media sequence number modulo 16', () => {
    for (const sequence of [0, 4, 15, 17, 1_000_003]) {
      const [a, b] = vodPair(sequence).map(readPackets);
      assert.deepEqual(
        [a![0]!.pid, a![0]!.cc, a![1]!.pid, a![1]!.cc],
        [0, sequence % 16, 0x1000, sequence % 16],
      );
      assert.deepEqual([b![0]!.cc, b![1]!.cc], [(sequence + 1) % 16, (sequence + 1) % 16]);
    }
  });

  test('only the first packet of each elementary PID carries discontinuity_indicator', () => {
    const [seg] = vodPair(3);
    const packets = readPackets(seg);
    const flagged = discontinuities(seg)
      .map((on, i) => (on ? packets[i]!.pid : -1))
      .filter((pid) => pid >= 0);
    assert.deepEqual(flagged.sort(), [VIDEO_PID, AUDIO_PID]);
    const firstVideo = firstOf(packets, VIDEO_PID);
    assert.equal(discontinuities(seg)[firstVideo.index], true);
    assert.equal(firstVideo.randomAccess, true, 'still marked as a random access point');
    assert.ok(firstVideo.pcr !== undefined, 'still carries the PCR');
    assert.equal(discontinuities(seg)[firstOf(packets, AUDIO_PID).index], true);
  });

  test('a segment opening on audio flags its PCR-only packet, and the video PES after it continues', () => {
    const seg = new TsMuxer({ video: VIDEO, audio: AUDIO }).muxSegment(
      { video: videoSamples(3, 100_000), audio: audioSamples(6, 99_000) },
      { standaloneSequence: 9 },
    );
    const packets = readPackets(seg);
    const flags = discontinuities(seg);
    const pcrOnly = packets[2]!;
    assert.deepEqual([pcrOnly.pid, pcrOnly.hasPayload, flags[2]], [VIDEO_PID, false, true]);
    const videoPes = packets.find((p) => p.pid === VIDEO_PID && p.hasPayload)!;
    assert.equal(flags[videoPes.index], false);
    assert.equal(videoPes.cc, (pcrOnly.cc + 1) % 16);
  });

  test('a first video packet with no other adaptation flag still gets room for the indicator', () => {
    const seg = new TsMuxer({ video: VIDEO }).muxSegment(
      { video: videoSamples(4, 50_000, false) },
      { standaloneSequence: 2 },
    );
    const packets = readPackets(seg);
    const first = firstOf(packets, VIDEO_PID);
    assert.equal(discontinuities(seg)[first.index], true);
    assert.equal(first.randomAccess, false);
  });

  test('without the option no packet carries discontinuity_indicator', () => {
    const muxer = new TsMuxer({ video: VIDEO, audio: AUDIO });
    const seg = muxer.muxSegment({ video: videoSamples(6, 0), audio: audioSamples(12, 0) });
    assert.ok(discontinuities(seg).every((on) => !on));
  });
});
