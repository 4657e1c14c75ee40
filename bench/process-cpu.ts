// CPU time of another process, read from /proc/<pid>/stat (Linux): user + system time of all its
// threads, so a server's work can be measured apart from the benchmark driving it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** proc(5): utime and stime are fields 14 and 15, counted after the `(comm)` field. */
const UTIME_FIELD = 14;
const STIME_FIELD = 15;
/** proc(5): cutime and cstime, the CPU time of waited-for children, are fields 16 and 17. */
const CUTIME_FIELD = 16;
const CSTIME_FIELD = 17;
/** Clock ticks a second when `getconf CLK_TCK` cannot tell (Linux's USER_HZ). */
const DEFAULT_CLK_TCK = 100;

/** Clock ticks a second (`getconf CLK_TCK`). */
export function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : DEFAULT_CLK_TCK;
  } catch {
    return DEFAULT_CLK_TCK;
  }
}

/** The numeric fields of a /proc stat file, by their 1-based number in proc(5). */
function statFields(file: string): (field: number) => number {
  const stat = fs.readFileSync(file, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (field) => Number(fields[field - 3]);
}

/** A reader of one process's CPU seconds (user + system) so far. */
export function processCpuReader(pid: number, ticksPerSecond = clockTicksPerSecond()): () => number {
  return () => {
    const at = statFields(`/proc/${pid}/stat`);
    return (at(UTIME_FIELD) + at(STIME_FIELD)) / ticksPerSecond;
  };
}

/**
 * A reader of the CPU seconds of this process's finished children (they count once Node has
 * reaped them), so a child's CPU time is the difference across its run.
 */
export function childrenCpuReader(ticksPerSecond = clockTicksPerSecond()): () => number {
  return () => {
    const at = statFields('/proc/self/stat');
    return (at(CUTIME_FIELD) + at(CSTIME_FIELD)) / ticksPerSecond;
  };
}
