// Reads a Prometheus text exposition with the official Python client's parser
// (prometheus_client.parser, which rejects malformed lines). scripts/ensure-tools.sh installs it
// as Debian's python3-prometheus-client, for Debian's python3: another python3 may come first on PATH.

import { execFile } from 'node:child_process';

/** One sample as the parser reads it. */
export interface PromSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** One metric family: its name (counters without `_total`), type and samples. */
export interface PromFamily {
  readonly name: string;
  readonly type: string;
  readonly samples: readonly PromSample[];
}

/** The interpreter Debian's python3-* packages install for. */
const DEBIAN_PYTHON = '/usr/bin/python3';

const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = [
    {"name": f.name, "type": f.type,
     "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
    for f in text_string_to_metric_families(sys.stdin.read())
]
print(json.dumps(families))
`;

/** Parses `text`; rejects with the parser's message when it is not valid exposition format. */
export function parsePrometheus(text: string): Promise<PromFamily[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      DEBIAN_PYTHON,
      ['-c', PARSE],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`prometheus_client rejected the exposition: ${stderr.trim() || err.message}`));
        else resolve(JSON.parse(stdout) as PromFamily[]);
      },
    );
    child.stdin?.end(text);
  });
}

/** The value of the first sample named `name` whose labels include `labels`, or undefined. */
export function sampleValue(
  families: readonly PromFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const f of families) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
