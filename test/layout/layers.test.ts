// SPEC §10: dependencies point one way, core ← formats ← services ← http ← cli. This reads every
// import in src/ and fails on one that points up a layer (import cycles are checked by dpdm).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const SRC = path.resolve('src');

const LAYER: Record<string, number> = {
  core: 0,
  codecs: 1,
  mp4: 1,
  ts: 1,
  crypto: 1,
  hls: 1,
  config: 1,
  keys: 2,
  packager: 2,
  live: 2,
  ingest: 2,
  edge: 2,
  http: 3,
  cli: 4,
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function folderOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

test('every src folder has a layer', () => {
  for (const file of files(SRC)) assert.ok(folderOf(file) in LAYER, `no layer for ${folderOf(file)}`);
});

test('no import points to a higher layer', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const from = folderOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
      const target = path.resolve(path.dirname(file), m[1]!);
      const to = folderOf(target);
      if ((LAYER[to] ?? 0) > (LAYER[from] ?? 0)) violations.push(`${path.relative(SRC, file)} → ${m[1]}`);
    }
  }
  assert.deepEqual(violations, []);
});
