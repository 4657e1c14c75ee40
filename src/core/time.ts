// MPEG-TS clocks: 90 kHz timestamps (33-bit in PES headers) and the 27 MHz PCR.

/** The MPEG-TS presentation clock rate (ISO 13818-1 §2.4.2.2). */
export const TS_CLOCK_HZ = 90_000;

/** PTS and DTS are 33-bit counters of the 90 kHz clock. */
export const PTS_WRAP = 2 ** 33;

/** Converts `value` ticks of a `timescale` Hz clock to 90 kHz ticks, rounding to the nearest. */
export function to90k(value: number, timescale: number): number {
  return timescale === TS_CLOCK_HZ ? value : Math.round((value * TS_CLOCK_HZ) / timescale);
}

/** Reduces a 90 kHz timestamp into the 33-bit range carried by PES headers. */
export function wrap33(ts: number): number {
  const r = ts % PTS_WRAP;
  return r < 0 ? r + PTS_WRAP : r;
}
