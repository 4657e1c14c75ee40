// The process logger: pino JSON lines, pretty-printed when stdout is a terminal.

import pino, { type Logger } from 'pino';

/** Creates the server's logger at `level`. */
export function createLogger(level: string): Logger {
  const pretty = process.stdout.isTTY === true;
  return pino({
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}
