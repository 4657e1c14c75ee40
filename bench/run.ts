// `npm run bench`: the MP4 index, VOD packaging and live ingest benchmarks in sequence, then one
// summary table. Benchmarks print figures and assert nothing; they are not part of `npm test`.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { benchLive } from './live.js';
import { benchMp4Index } from './mp4-index.js';
import { type BenchResult, fixed, printFigures, printSummary, type SummaryRow } from './summary.js';
import { benchVod } from './vod.js';

/** Exposes `gc()` (as --expose-gc would) so the MP4 index bench can measure heap growth exactly. */
function exposeGc(): void {
  const g = globalThis as { gc?: unknown };
  if (typeof g.gc === 'function') return;
  setFlagsFromString('--expose-gc');
  // A new context picks up the flag and gets its own `gc`, which collects the whole isolate.
  g.gc = runInNewContext('gc');
}

/** The MP4 index figures as summary rows: our typed-array index against mp4box's sample objects. */
async function mp4IndexResult(): Promise<BenchResult> {
  const f = await benchMp4Index();
  const num = (name: string) => Number(f[name]);
  const ourBytes = num('bytesPerSample');
  const boxBytes = num('mp4boxBytesPerSample');
  const ourMs = num('parseMs') + num('planMs');
  const boxMs = num('mp4boxFullParseMs');
  const rows: SummaryRow[] = [
    {
      figure: 'MP4 index 2 h movie, bytes/sample',
      ours: fixed(ourBytes, 1),
      reference: `${boxBytes} (mp4box samples)`,
      ratio: `mp4box/ours ${fixed(boxBytes / ourBytes, 1)}x`,
      target: 'less than mp4box',
      met: ourBytes < boxBytes,
    },
    {
      figure: 'MP4 index 2 h movie, parse + plan (ms)',
      ours: String(ourMs),
      reference: `${boxMs} (mp4box full parse)`,
      ratio: `mp4box/ours ${fixed(boxMs / ourMs, 1)}x`,
      target: 'faster than mp4box',
      met: ourMs < boxMs,
    },
  ];
  return { figures: f, rows };
}

const benches: [string, () => Promise<BenchResult>][] = [
  ['MP4 index', mp4IndexResult],
  ['VOD packaging', benchVod],
  ['Live ingest', benchLive],
];
exposeGc();
const rows: SummaryRow[] = [];
for (const [title, bench] of benches) {
  console.log(`\n== ${title}`);
  const result = await bench();
  printFigures(title, result.figures);
  rows.push(...result.rows);
}
printSummary(rows);
