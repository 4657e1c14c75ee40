// The benchmarks' shared result shape and printing: figures as `name value` lines, and one summary
// table of figure, ours, reference, ratio, target and whether the target is met.

/** One line of the summary table. */
export interface SummaryRow {
  readonly figure: string;
  readonly ours: string;
  readonly reference: string;
  /** How the two compare, e.g. `ffmpeg/ours 2.4x`; empty when there is no reference. */
  readonly ratio: string;
  readonly target: string;
  /** Whether the target is met; undefined when it could not be measured. */
  readonly met: boolean | undefined;
}

/** What one benchmark returns: its raw figures and its summary rows. */
export interface BenchResult {
  readonly figures: Record<string, number | string>;
  readonly rows: SummaryRow[];
}

/** `value` with `digits` decimals. */
export function fixed(value: number, digits = 2): string {
  return value.toFixed(digits);
}

/** Prints figures one a line, names padded into a column. */
export function printFigures(title: string, figures: Record<string, number | string>): void {
  console.log(`\n${title}`);
  const width = Math.max(...Object.keys(figures).map((k) => k.length)) + 2;
  for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(width)}${value}`);
}

/** Prints `rows` as an aligned table. */
export function printSummary(rows: readonly SummaryRow[]): void {
  const header = ['figure', 'ours', 'reference', 'ratio', 'target', 'met?'];
  const cells = rows.map((r) => [
    r.figure,
    r.ours,
    r.reference,
    r.ratio,
    r.target,
    r.met === undefined ? 'n/a' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  console.log(`\n${line(header)}`);
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const c of cells) console.log(line(c));
}
