// Writes conf/Application.schema.json from the zod config schema (`npm run schema`).
// A test fails when the committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonSchemaText } from '../src/config/json-schema.js';

const target = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'conf',
  'Application.schema.json',
);
writeFileSync(target, jsonSchemaText());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
