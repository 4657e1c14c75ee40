import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MediaSample } from '../../src/core/media.js';
import { muxTsSegment, PCR_LEAD_90K, TsMuxer } from '../../src/ts/segment-muxer.js';
import { AAC_90K, AUDIO, FRAME_90K, VIDEO } from './track-fixtures.js';
import { readPackets, readPes, type TsPacket } from './ts-reader.js';

function videoSamples(count: number, start: number): MediaSample[] {
  return Array.from({ length: count }, (_, i) => {
    const keyframe = i === 0;
    const size = keyframe ? 3000 : 200 + i * 37;
    const nal = new Uint8Array(size).fill(0xab);
    nal[0] = keyframe ? 0x65 : 0x41;
    const data = new Uint8Array(4 + size);
    new DataView(data.buffer).setUint32(0, size);
    data.set(nal, 4);
    const dts = start + i * FRAME_90K;
    return { dts, pts: dts + 2 * FRAME_90K, data, keyframe };
  });
}

function audioSamples(count: number, start: number): MediaSample[] {
  return Array.from({ length: count }, (_, i) => {
    const dts = start + i * AAC_90K;
    return { dts, pts: dts, data: new Uint8Array(300 + (i % 7)).fill(i & 0xff), keyframe: true };
  });
}

/** Checks what every segment must satisfy and returns its packets. */
function checkSegment(buf: Uint8Array, pcrPid: number): TsPacket[] {
  const packets = readPackets(buf);
  assert.equal(packets[0]!.pid, 0, 'PAT first');
  assert.equal(packets[1]!.pid, 0x1000, 'PMT second');
  const pes = readPes(packets);
  let lastPcr = -1;
  for (const p of packets) {
    if (p.pcr === undefined) continue;
    assert.equal(p.pid, pcrPid, 'PCR only on the PCR PID');
    assert.ok(p.pcr >= lastPcr, 'PCR is monotonic');
    lastPcr = p.pcr;
    const next = pes.find((e) => e.firstPacket >= p.index);
    if (next) assert.ok(p.pcr <= next.dts, `PCR ${p.pcr} not after the next DTS ${next.dts}`);
  }
  for (let i = 1; i < pes.length; i++) assert.ok(pes[i]!.dts >= pes[i - 1]!.dts, 'PES in DTS order');
  return packets;
}

describe('TsMuxer', () => {
  test('muxes video and audio: PSI first, PCR on video, interleaved by DTS, true audio lengths', () => {
    const start = 900_000;
    const video = videoSamples(10, start);
    const audio = audioSamples(21, start);
    const buf = new TsMuxer({ video: VIDEO, audio: AUDIO }).muxSegment({ video, audio });
    const packets = checkSegment(buf, 0x100);
    const pes = readPes(packets);
    const firstVideo = packets.find((p) => p.pid === 0x100)!;
    assert.equal(firstVideo.pcr, start - PCR_LEAD_90K);
    assert.equal(firstVideo.randomAccess, true);
    const videoPes = pes.filter((p) => p.pid === 0x100);
    assert.equal(videoPes.length, 10);
    assert.ok(videoPes.every((p) => p.streamId === 0xe0 && p.declaredLength === 0 && p.hasDts));
    assert.deepEqual(
      videoPes.map((p) => [p.dts, p.pts]),
      video.map((s) => [s.dts, s.pts]),
    );
    // Only keyframes start with random_access_indicator.
    const rai = packets.filter((p) => p.pid === 0x100 && p.unitStart).map((p) => p.randomAccess);
    assert.deepEqual(rai, [true, ...Array(9).fill(false)]);

    const audioPes = pes.filter((p) => p.pid === 0x101);
    let frames = 0;
    for (const p of audioPes) {
      assert.equal(p.streamId, 0xc0);
      assert.equal(p.hasDts, false);
      assert.equal(p.declaredLength, 8 + p.payload.length, 'audio PES length is its true length');
      assert.deepEqual([p.payload[0], p.payload[1]], [0xff, 0xf1], 'audio PES starts with an ADTS header');
      let off = 0;
      let inPes = 0;
      while (off < p.payload.length) {
        const len =
          ((p.payload[off + 3]! & 3) << 11) | (p.payload[off + 4]! << 3) | (p.payload[off + 5]! >> 5);
        assert.equal(len, 7 + audio[frames]!.data.length);
        assert.deepEqual(p.payload.subarray(off + 7, off + len), audio[frames]!.data);
        off += len;
        frames++;
        inPes++;
      }
      assert.ok(inPes <= 5);
      assert.equal(p.pts, audio[frames - inPes]!.pts);
    }
    assert.equal(frames, audio.length);
  });

  test('continuity counters carry over from one segment to the next on every PID', () => {
    const muxer = new TsMuxer({ video: VIDEO, audio: AUDIO });
    const a = muxer.muxSegment({ video: videoSamples(5, 0), audio: audioSamples(10, 0) });
    const b = muxer.muxSegment({ video: videoSamples(5, 18_000), audio: audioSamples(10, 19_200) });
    const last = new Map<number, number>();
    for (const p of [...readPackets(a), ...readPackets(b)]) {
      const prev = last.get(p.pid);
      if (p.hasPayload) {
        if (prev !== undefined) assert.equal(p.cc, (prev + 1) % 16, `PID ${p.pid} packet ${p.index}`);
        last.set(p.pid, p.cc);
      } else {
        assert.equal(p.cc, prev, 'a packet without payload repeats the counter');
      }
    }
    assert.deepEqual([...last.keys()].sort(), [0, 0x100, 0x101, 0x1000]);
    assert.equal(readPackets(b)[0]!.cc, 1, 'second PAT');
  });

  test('a segment opening on audio gets a PCR-only packet before the first PES', () => {
    const buf = new TsMuxer({ video: VIDEO, audio: AUDIO }).muxSegment({
      video: videoSamples(3, 100_000),
      audio: audioSamples(6, 99_000),
    });
    const packets = checkSegment(buf, 0x100);
    assert.deepEqual(
      { pid: packets[2]!.pid, hasPayload: packets[2]!.hasPayload, pcr: packets[2]!.pcr },
      { pid: 0x100, hasPayload: false, pcr: 99_000 - PCR_LEAD_90K },
    );
    assert.equal(packets[3]!.pid, 0x101);
    assert.equal(packets.find((p) => p.pid === 0x100 && p.hasPayload)!.pcr, 100_000 - PCR_LEAD_90K);
  });

  test('audio only: PCR rides on the audio PID at most 100 ms apart', () => {
    const buf = new TsMuxer({ audio: AUDIO }).muxSegment({ audio: audioSamples(100, 500_000) });
    const packets = checkSegment(buf, 0x101);
    const pcrs = packets.flatMap((p) => (p.pcr === undefined ? [] : [p.pcr]));
    assert.ok(pcrs.length >= 20);
    for (let i = 1; i < pcrs.length; i++) assert.ok(pcrs[i]! - pcrs[i - 1]! <= 9000);
    assert.equal(readPackets(buf).filter((p) => p.pid === 0x100).length, 0);
  });

  test('video only: one PES per access unit, each with a PCR', () => {
    const buf = muxTsSegment({ video: { info: VIDEO, samples: videoSamples(4, 0) } });
    const packets = checkSegment(buf, 0x100);
    assert.equal(packets.filter((p) => p.pcr !== undefined).length, 4);
    assert.ok(packets.every((p) => p.pid !== 0x101));
    // PCR never goes negative: DTS 0 minus the lead clamps to 0.
    assert.equal(packets[2]!.pcr, 0);
  });

  test('wraps timestamps and PCR to 33 bits', () => {
    const start = 2 ** 33 - 2 * FRAME_90K;
    const buf = muxTsSegment({ video: { info: VIDEO, samples: videoSamples(4, start) } });
    const pes = readPes(readPackets(buf));
    assert.deepEqual(
      pes.map((p) => p.dts),
      [start, start + FRAME_90K, 0, FRAME_90K],
    );
  });

  test('PES payloads are the Annex B access units', () => {
    const buf = muxTsSegment({ video: { info: VIDEO, samples: videoSamples(2, 0) } });
    const [idr, slice] = readPes(readPackets(buf));
    // AUD, SPS, PPS, then the IDR slice
    assert.deepEqual([...idr!.payload.subarray(0, 6)], [0, 0, 0, 1, 0x09, 0xf0]);
    assert.deepEqual([...idr!.payload.subarray(6, 14)], [0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x0d]);
    assert.equal(idr!.payload[26], 0x65);
    assert.deepEqual([...slice!.payload.subarray(6, 11)], [0, 0, 0, 1, 0x41]);
  });

  test('an empty segment is PAT and PMT only', () => {
    const buf = new TsMuxer({ video: VIDEO, audio: AUDIO }).muxSegment({});
    assert.equal(buf.length, 2 * 188);
  });

  test('refuses samples for a track it was not given, and a muxer with no tracks', () => {
    const muxer = new TsMuxer({ video: VIDEO });
    assert.throws(() => muxer.muxSegment({ audio: audioSamples(1, 0) }), { code: 'INTERNAL' });
    assert.throws(() => new TsMuxer({}), { code: 'UNSUPPORTED_MEDIA' });
  });

  test('a malformed video sample fails with MEDIA_INVALID', () => {
    const bad: MediaSample = { dts: 0, pts: 0, data: Uint8Array.of(0, 0, 1, 0, 0x65), keyframe: true };
    assert.throws(() => muxTsSegment({ video: { info: VIDEO, samples: [bad] } }), { code: 'MEDIA_INVALID' });
  });
});
