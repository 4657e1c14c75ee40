// A small deterministic pseudo-random generator (mulberry32) for the fuzz and property tests, so a
// failure replays from its seed.

/** Numbers in [0, 1) from `seed`, the same sequence every time. */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
