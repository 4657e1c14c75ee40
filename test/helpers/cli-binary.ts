// The built command line, `node dist/cli/main.js`: built once when missing or older than src/,
// then run as a child process the way users run it.

import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './server-fixture.js';

const run = promisify(execFile);

/** The built entry point. */
export const MAIN_JS = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** A lock folder so that test files running in parallel do not build at the same time. */
const BUILD_LOCK = path.join(os.tmpdir(), 'hls-origin-test-build.lock');
/** A lock older than this is left over from a killed run. */
const STALE_LOCK_MS = 5 * 60 * 1000;
const LOCK_POLL_MS = 200;

/** Newest modification time of any file under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      newest = Math.max(newest, fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  return fs.existsSync(MAIN_JS) && fs.statSync(MAIN_JS).mtimeMs >= newestMtime(path.join(REPO_ROOT, 'src'));
}

async function takeLock(): Promise<void> {
  for (;;) {
    try {
      fs.mkdirSync(BUILD_LOCK);
      return;
    } catch {
      const age = Date.now() - (fs.statSync(BUILD_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) fs.rmSync(BUILD_LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }
}

/** Runs `npm run build` unless dist/cli/main.js is newer than every file in src/. */
export async function ensureBuilt(): Promise<void> {
  if (isFresh()) return;
  await takeLock();
  try {
    if (isFresh()) return;
    try {
      await run('npm', ['run', 'build'], { cwd: REPO_ROOT });
    } catch (err) {
      // tsc still emits when files elsewhere in src/ do not type-check; only a missing entry point is fatal.
      if (!fs.existsSync(MAIN_JS)) throw err;
    }
  } finally {
    fs.rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** How a CLI run ended. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI with `args` to completion. */
export function runCli(args: readonly string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN_JS, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** True when `text` holds a stack-trace line. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at /m.test(text);
}
