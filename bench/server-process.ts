// Runs hls-origin in a child process for the benchmarks: writes a config under a temporary AppHome
// (a `vod` app on a media folder, a `live` app, keys generated on first use), starts
// `src/cli/main.ts serve` on a free 127.0.0.1 port, and stops it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/..). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
/** Keep only the tail of the server's output, for error messages. */
const OUTPUT_TAIL_CHARS = 4000;

/** What the benchmark server is configured with. */
export interface BenchServerOptions {
  /** The vod app's storageDir. */
  readonly mediaDir: string;
  /** Extra `hls` settings of the live app (e.g. a longer window). */
  readonly liveHls?: Record<string, number>;
}

/** A running server process. */
export interface BenchServer {
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Waits for `child` to exit, killing it when it outlives `ms`. */
export function waitForExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function writeConfig(home: string, port: number, opts: BenchServerOptions): string {
  const config = {
    server: { host: HOST, port, secret: 'bench-secret-0123456789', logLevel: 'info' },
    applications: {
      vod: { type: 'vod', storageDir: opts.mediaDir, encryption: { missingKey: 'generate' } },
      live: {
        type: 'live',
        encryption: { missingKey: 'generate' },
        ...(opts.liveHls ? { hls: opts.liveHls } : {}),
      },
    },
  };
  const file = path.join(home, 'conf', 'Application.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

let built = false;

/** Builds dist/ once per benchmark run, so the server measured is the current source. */
function ensureBuilt(): void {
  if (built) return;
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  built = true;
}

/** Starts hls-origin in a fresh temporary AppHome; resolves once it listens. */
export async function startBenchServer(opts: BenchServerOptions): Promise<BenchServer> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-bench-'));
  const port = await freePort();
  const configFile = writeConfig(home, port, opts);
  // The built server, as `npm start` runs it: figures then include no TypeScript loader.
  ensureBuilt();
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--config', configFile],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (text: string) => {
    output = (output + text).slice(-OUTPUT_TAIL_CHARS);
  };
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), START_TIMEOUT_MS);
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      keep(text);
      if (text.includes('hls-origin listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.setEncoding('utf8').on('data', keep);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  try {
    await listening;
  } catch (err) {
    child.kill('SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
    throw err;
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('server has no pid');
  return {
    pid,
    port,
    origin: `http://${HOST}:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await waitForExit(child, STOP_TIMEOUT_MS);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
