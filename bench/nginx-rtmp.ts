// nginx with the RTMP module as the live benchmark's reference: installs it when missing (root and
// apt-get only), writes a minimal HLS + AES-128 config in a temporary prefix, and runs it in the
// foreground as one process so its CPU time can be read.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { aptInstall, hasProgram } from './apt.js';
import { freePort, waitForExit } from './server-process.js';

const run = promisify(execFile);

const RTMP_PACKAGE = 'libnginx-mod-rtmp';
const MODULE_FILE = 'ngx_rtmp_module.so';
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_MS = 100;

/** A running nginx-rtmp. */
export interface NginxRtmp {
  readonly pid: number;
  readonly port: number;
  /** Where HLS fragments are written. */
  readonly hlsDir: string;
  /** Where HLS keys are written. */
  readonly keysDir: string;
  stop(): Promise<void>;
}

/** The installed RTMP module's path, or undefined. */
async function findRtmpModule(): Promise<string | undefined> {
  try {
    const { stdout } = await run('dpkg', ['-L', RTMP_PACKAGE]);
    return stdout.split('\n').find((line) => line.endsWith(`/${MODULE_FILE}`));
  } catch {
    return undefined;
  }
}

/**
 * Makes nginx and its RTMP module available. Resolves to the module path, or to a reason why
 * nginx-rtmp cannot run here.
 */
export async function ensureNginxRtmp(): Promise<{ module: string } | { skipped: string }> {
  let module = await findRtmpModule();
  if (module !== undefined && (await hasProgram('nginx', ['-v']))) return { module };
  // RUNLEVEL=1 keeps the package scripts from starting a system-wide nginx.
  const failed = await aptInstall(['nginx', RTMP_PACKAGE], { RUNLEVEL: '1' });
  if (failed !== undefined) return { skipped: failed };
  module = await findRtmpModule();
  return module === undefined ? { skipped: `${MODULE_FILE} not found after install` } : { module };
}

function nginxConf(prefix: string, module: string, port: number): string {
  return `load_module ${module};
daemon off;
master_process off;
worker_processes 1;
error_log ${prefix}/error.log;
pid ${prefix}/nginx.pid;
events {}
rtmp {
  server {
    listen ${HOST}:${port};
    application live {
      live on;
      hls on;
      hls_path ${prefix}/hls;
      hls_fragment 6s;
      hls_cleanup off;
      hls_keys on;
      hls_key_path ${prefix}/keys;
      hls_fragments_per_key 0;
    }
  }
}
`;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForListen(child: ChildProcess, errorLog: string, port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const log = fs.existsSync(errorLog) ? fs.readFileSync(errorLog, 'utf8') : '';
  throw new Error(`nginx did not start listening on ${port}:\n${log}`);
}

/** Starts nginx-rtmp in the foreground in a fresh temporary prefix. */
export async function startNginxRtmp(module: string): Promise<NginxRtmp> {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'hls-bench-nginx-'));
  for (const dir of ['hls', 'keys', 'logs']) fs.mkdirSync(path.join(prefix, dir));
  const port = await freePort();
  const conf = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(conf, nginxConf(prefix, module, port));
  const child = spawn('nginx', ['-c', conf, '-p', `${prefix}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await waitForListen(child, path.join(prefix, 'error.log'), port);
  } catch (err) {
    child.kill('SIGKILL');
    fs.rmSync(prefix, { recursive: true, force: true });
    throw err;
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('nginx has no pid');
  return {
    pid,
    port,
    hlsDir: path.join(prefix, 'hls'),
    keysDir: path.join(prefix, 'keys'),
    async stop() {
      // SIGQUIT is nginx's graceful shutdown.
      child.kill('SIGQUIT');
      await waitForExit(child, STOP_TIMEOUT_MS);
      fs.rmSync(prefix, { recursive: true, force: true });
    },
  };
}
