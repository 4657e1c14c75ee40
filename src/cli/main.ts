#!/usr/bin/env node
// Entry point of `npx hls-origin`.

import { errorMessage } from '../core/errors.js';
import { runCli } from './run.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`hls-origin: internal error: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
