#!/usr/bin/env node
// Bundles the agent into dist/appliance.mjs (one file, no tsx at run time; the
// templates are strings inside it): the production form of `appliance`.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
await rm(dist, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'runtime', 'main.ts')],
  outfile: path.join(dist, 'appliance.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies inside an ES module bundle need a require
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
process.stdout.write(`built ${path.relative(root, path.join(dist, 'appliance.mjs'))}\n`);
