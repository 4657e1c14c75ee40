// An in-memory pino destination, so tests can read every log line a run wrote.

import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/** One parsed pino JSON line. */
export type LogRecord = Record<string, unknown> & { level: number; msg?: string };

/** pino's numeric levels. */
export const LOG_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A debug-level pino logger writing into memory, and readers of what it wrote. */
export interface LogCapture {
  readonly logger: Logger;
  /** Everything written so far, as raw text. */
  text(): string;
  /** Every line so far, parsed. */
  records(): LogRecord[];
}

/** Creates a logger at `debug` whose output stays in memory. */
export function captureLogs(): LogCapture {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  const text = () => chunks.join('');
  return {
    logger,
    text,
    records: () =>
      text()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as LogRecord),
  };
}
