// Repetition for noisy machines: each benchmark runs several times and reports its best run, as
// other work on the same cores only ever makes a run slower.

/** Default number of runs; `BENCH_RUNS=<n>` overrides it. */
const DEFAULT_RUNS = 3;

/** How many times each measurement runs (`BENCH_RUNS`, default 3). */
export function benchRuns(): number {
  const n = Number(process.env.BENCH_RUNS ?? DEFAULT_RUNS);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_RUNS;
}

/** Runs `measure` `runs` times in sequence and returns every result. */
export async function repeat<T>(runs: number, measure: (run: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < runs; i++) results.push(await measure(i));
  return results;
}

/** The smallest of `values` (the best run of a time or a CPU figure). */
export function best(values: readonly number[]): number {
  return Math.min(...values);
}

/** `values` as `a / b / c` with `digits` decimals, for printing every run. */
export function listRuns(values: readonly number[], digits = 2): string {
  return values.map((v) => v.toFixed(digits)).join(' / ');
}
