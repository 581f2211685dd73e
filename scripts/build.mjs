#!/usr/bin/env node
// Bundles the agent into dist/appliance.mjs (no tsx at run time; the templates
// are strings inside it): the production form of `appliance`. What the agent
// imports dynamically (zod and the schema on the first PUT, prom-client on the
// first observation, execa, the lab and image commands) goes into
// dist/chunks/*.mjs, read only when first imported, so start-up neither
// compiles nor evaluates it. The package installs dist/ as a whole.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
/**
 * zod re-exports its 64 message locales as a namespace (`z.locales`), which keeps them all in
 * the bundle: half of the schema's chunk, read and compiled when the first PUT loads it. The
 * agent's messages are zod's English ones, so zod's locale index is built as English only.
 */
const englishZod = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`)
        ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-english' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english' }, (args) => ({
      contents: "export { default as en } from './en.js';\n",
      resolveDir: path.dirname(args.path),
    }));
  },
};

await rm(dist, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'runtime', 'main.ts')],
  outdir: dist,
  entryNames: 'appliance',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies inside an ES module bundle need a require
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
  plugins: [englishZod],
});
// esbuild escapes strings but keeps a few comments with non-ASCII characters (a dash in
// zod's), and one such character makes V8 hold the whole file's source as two bytes a
// character (1.5 MB for the schema chunk): escaped here, the sources stay one byte a character
for (const file of [
  path.join(dist, 'appliance.mjs'),
  ...(await readdir(path.join(dist, 'chunks'))).map((f) => path.join(dist, 'chunks', f)),
]) {
  const text = await readFile(file, 'utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range itself
  const ascii = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== text) await writeFile(file, ascii);
}
process.stdout.write(`built ${path.relative(root, path.join(dist, 'appliance.mjs'))}\n`);
