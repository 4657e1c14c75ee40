// A small, independent MPEG-TS reader for tests: splits packets, reads adaptation fields and
// reassembles PES packets, so assertions do not go through the muxer's own code.

/** One transport packet as the tests see it. */
export interface TsPacket {
  readonly index: number;
  readonly pid: number;
  readonly unitStart: boolean;
  readonly hasPayload: boolean;
  readonly cc: number;
  readonly adaptationLength: number | undefined;
  readonly randomAccess: boolean;
  /** PCR base (90 kHz), when the packet carries one. */
  readonly pcr: number | undefined;
  readonly payload: Uint8Array;
}

/** A reassembled PES packet. */
export interface TsPes {
  readonly pid: number;
  readonly firstPacket: number;
  readonly streamId: number;
  readonly declaredLength: number;
  readonly pts: number;
  readonly dts: number;
  readonly hasDts: boolean;
  /** The bytes after the PES header. */
  readonly payload: Uint8Array;
}

/** Splits a buffer into packets; throws when a packet is not 188 bytes opening with 0x47. */
export function readPackets(buf: Uint8Array): TsPacket[] {
  if (buf.length % 188 !== 0) throw new Error(`length ${buf.length} is not a multiple of 188`);
  const packets: TsPacket[] = [];
  for (let off = 0; off < buf.length; off += 188) {
    const p = buf.subarray(off, off + 188);
    if (p[0] !== 0x47) throw new Error(`packet ${off / 188} has no sync byte`);
    const pid = ((p[1]! & 0x1f) << 8) | p[2]!;
    const afc = (p[3]! >> 4) & 3;
    let pos = 4;
    let adaptationLength: number | undefined;
    let randomAccess = false;
    let pcr: number | undefined;
    if (afc & 2) {
      adaptationLength = p[4]!;
      if (adaptationLength > 0) {
        randomAccess = (p[5]! & 0x40) !== 0;
        if (p[5]! & 0x10)
          pcr = p[6]! * 2 ** 25 + p[7]! * 2 ** 17 + p[8]! * 2 ** 9 + p[9]! * 2 + (p[10]! >> 7);
      }
      pos = 5 + adaptationLength;
    }
    packets.push({
      index: off / 188,
      pid,
      unitStart: (p[1]! & 0x40) !== 0,
      hasPayload: (afc & 1) !== 0,
      cc: p[3]! & 0x0f,
      adaptationLength,
      randomAccess,
      pcr,
      payload: afc & 1 ? p.subarray(pos) : new Uint8Array(0),
    });
  }
  return packets;
}

/** Reads a 33-bit timestamp with marker bits. */
export function readTimestamp(b: Uint8Array, at: number): number {
  const high = (b[at]! >> 1) & 7;
  const mid = (b[at + 1]! << 7) | (b[at + 2]! >> 1);
  const low = (b[at + 3]! << 7) | (b[at + 4]! >> 1);
  return high * 2 ** 30 + mid * 2 ** 15 + low;
}

/** Reassembles the PES packets of every PID except PSI (PID 0 and the PMT PID). */
export function readPes(packets: readonly TsPacket[], psiPids: readonly number[] = [0, 0x1000]): TsPes[] {
  const open = new Map<number, { first: number; chunks: Uint8Array[] }>();
  const done: TsPes[] = [];
  const finish = (pid: number) => {
    const cur = open.get(pid);
    if (!cur) return;
    const all = Buffer.concat(cur.chunks);
    const hasDts = (all[7]! & 0xc0) === 0xc0;
    const headerLength = 9 + all[8]!;
    done.push({
      pid,
      firstPacket: cur.first,
      streamId: all[3]!,
      declaredLength: (all[4]! << 8) | all[5]!,
      pts: readTimestamp(all, 9),
      dts: hasDts ? readTimestamp(all, 14) : readTimestamp(all, 9),
      hasDts,
      payload: new Uint8Array(all.subarray(headerLength)),
    });
    open.delete(pid);
  };
  for (const p of packets) {
    if (psiPids.includes(p.pid) || !p.hasPayload) continue;
    if (p.unitStart) {
      finish(p.pid);
      open.set(p.pid, { first: p.index, chunks: [] });
    }
    open.get(p.pid)?.chunks.push(p.payload);
  }
  for (const pid of [...open.keys()]) finish(pid);
  return done.sort((a, b) => a.firstPacket - b.firstPacket);
}
