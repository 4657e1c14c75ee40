// A throw-away server home for HTTP and CLI tests: conf/Application.json, content/ with the
// sample MP4, keys/, and the real app wired by createApp with captured logs and a test clock.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, type WiredApp } from '../../src/cli/wiring.js';
import { parseConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/schema.js';
import { formatKeyFile } from '../../src/keys/key-file.js';
import { captureLogs, type LogCapture } from './log-capture.js';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The shipped 30 s H.264 + AAC sample. */
export const SAMPLE_MP4 = path.join(REPO_ROOT, 'content', 'sample.mp4');

/** A server secret long enough for the schema; fixed so tests can sign and check session ids. */
export const TEST_SECRET = 'test-secret-0123456789abcdef';

/** A folder layout like the repository's: `conf/`, `content/`, `keys/`. */
export interface ServerHome {
  /** AppHome: the folder holding `conf/`. */
  readonly home: string;
  readonly configFile: string;
  readonly storageDir: string;
  readonly keyDir: string;
  /** Removes the whole folder. */
  remove(): void;
}

/** What a server home holds. */
export interface HomeOptions {
  /** Applications as written in the config; `storageDir` and `keyDir` default to `content/` and `keys/`. */
  readonly applications?: Record<string, Record<string, unknown>>;
  /** Extra `server` settings (secret and logLevel are set unless given). */
  readonly server?: Record<string, unknown>;
  /** Copy content/sample.mp4 into storageDir as sample.mp4 (default true). */
  readonly sample?: boolean;
}

/** One VOD application refusing streams without keys, as most tests want it. */
export const DEFAULT_APPLICATIONS = { vod: { type: 'vod', encryption: { missingKey: 'refuse' } } };

/** Makes a temp folder under the OS temp dir. */
export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hls-'));
}

/** Creates a server home with a config file, the sample MP4 and an empty keys folder. */
export function createServerHome(opts: HomeOptions = {}): ServerHome {
  const home = makeTempDir();
  const storageDir = path.join(home, 'content');
  const keyDir = path.join(home, 'keys');
  const configFile = path.join(home, 'conf', 'Application.json');
  fs.mkdirSync(path.dirname(configFile));
  fs.mkdirSync(storageDir);
  fs.mkdirSync(keyDir);
  if (opts.sample !== false) fs.copyFileSync(SAMPLE_MP4, path.join(storageDir, 'sample.mp4'));
  const config = {
    server: { secret: TEST_SECRET, logLevel: 'debug', ...opts.server },
    applications: opts.applications ?? DEFAULT_APPLICATIONS,
  };
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return {
    home,
    configFile,
    storageDir,
    keyDir,
    remove: () => fs.rmSync(home, { recursive: true, force: true }),
  };
}

/** Writes a key file for `stream` (name without prefix) at keys/<app>/_definst_/<stream>.key. */
export function writeStreamKey(
  keyDir: string,
  app: string,
  stream: string,
  k: { key: Buffer; url?: string; iv?: Buffer },
  extraLines = '',
): string {
  const file = path.join(keyDir, app, '_definst_', `${stream}.key`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, formatKeyFile(k) + extraLines, { mode: 0o600 });
  return file;
}

/** A server home with the real app built on it. */
export interface Fixture extends ServerHome {
  readonly config: Config;
  readonly app: WiredApp;
  readonly log: LogCapture;
  /** Closes the app and removes the folder. */
  close(): Promise<void>;
}

/** Options of createFixture: the home's contents and the clock (ms) given to every service. */
export interface FixtureOptions extends HomeOptions {
  readonly now?: () => number;
}

/** Parses a config file of a server home the way the loader does, with an empty environment. */
export function readHomeConfig(h: ServerHome): Config {
  const parsed = parseConfig(fs.readFileSync(h.configFile, 'utf8'), { appHome: h.home, env: {} });
  if (!parsed.config) {
    throw new Error(
      `test config invalid: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  }
  return parsed.config;
}

/** Creates a server home and builds the real app on it with captured debug logs. */
export async function createFixture(opts: FixtureOptions = {}): Promise<Fixture> {
  const home = createServerHome(opts);
  const config = readHomeConfig(home);
  const log = captureLogs();
  const app = await createApp({ config, logger: log.logger, now: opts.now });
  return {
    ...home,
    config,
    app,
    log,
    async close() {
      await app.close();
      home.remove();
    },
  };
}
