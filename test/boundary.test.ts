// The architecture boundary: schema/, renderers/ and handlers/ are pure code
// (body -> model -> files -> plan). Processes, the file system and the
// network belong to runtime/. Test files and the golden-case loader are exempt.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const PURE_DIRS = ['schema', 'renderers', 'handlers'];
const OPTIONAL_DIRS = new Set(['handlers']);
const EXEMPT = new Set<string>();

const FORBIDDEN = [
  'execa',
  'node:fs',
  'fs',
  'node:fs/promises',
  'fs/promises',
  'node:child_process',
  'child_process',
  'node:net',
  'net',
  'node:http',
  'http',
  'node:https',
  'https',
  'node:http2',
  'http2',
  'node:dgram',
  'dgram',
];

function isForbidden(specifier: string): boolean {
  return FORBIDDEN.some((f) => specifier === f || specifier.startsWith(`${f}/`));
}

/** Drops comments so that prose mentioning a module is not an import. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Every module specifier a file imports: static, side-effect, re-export, dynamic, require. */
export function importsOf(source: string): string[] {
  const code = stripComments(source);
  const out: string[] = [];
  const patterns = [
    // import x from 'm'; import { a, b } from 'm'; import type T from 'm'; export * from 'm' (multi-line too)
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
    // import 'm';
    /\bimport\s*(['"])([^'"]+)\1/g,
    // import('m'), require('m')
    /\b(?:import|require)\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
    // require.resolve('m')
    /\brequire\s*\.\s*resolve\s*\(\s*(['"`])([^'"`]+)\1/g,
  ];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) out.push(m[2] as string);
  }
  return out;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(full));
    else if ((entry.isFile() || entry.isSymbolicLink()) && /\.(?:ts|mts|cts|tsx)$/.test(entry.name)) out.push(full);
  }
  return out;
}

function scanned(): string[] {
  const files: string[] = [];
  for (const dir of PURE_DIRS) {
    const abs = path.join(root, dir);
    if (!existsSync(abs)) {
      if (OPTIONAL_DIRS.has(dir)) continue;
      assert.unreachable(`${dir}/ does not exist`);
    }
    assert.ok(statSync(abs).isDirectory(), `${dir} is not a directory`);
    files.push(...tsFiles(abs));
  }
  return files
    .map((f) => path.relative(root, f).split(path.sep).join('/'))
    .filter((f) => !/\.test\.[cm]?tsx?$/.test(f) && !EXEMPT.has(f))
    .sort();
}

test('the import scanner recognises every import form', () => {
  const src = [
    "import { execa } from 'execa';",
    'import * as fs from "node:fs";',
    "import type { Server } from 'node:http';",
    'import {\n  spawn,\n  exec,\n} from "node:child_process";',
    "import 'node:net';",
    "export { readFile } from 'node:fs/promises';",
    "export * from 'dgram';",
    "const m = await import('http');",
    "const cp = require('child_process');",
    "import def, { named } from './local.ts';",
    "// import { nope } from 'node:fs'  (a comment)",
    "/* import 'net'; */",
    "const url = 'https://example.com'; // not an import",
  ].join('\n');
  const found = importsOf(src).sort();
  assert.equal(
    found,
    [
      'execa',
      'node:fs',
      'node:http',
      'node:child_process',
      './local.ts',
      'node:fs/promises',
      'dgram',
      'node:net',
      'http',
      'child_process',
    ].sort(),
  );
  assert.equal(
    found.filter(isForbidden),
    ['execa', 'node:fs', 'node:http', 'node:child_process', 'node:fs/promises', 'dgram', 'node:net', 'http', 'child_process'].sort(),
  );
  for (const ok of ['node:path', 'node:url', 'node:crypto', 'zod', 'eta', '../schema/model.ts', 'fsx', 'network', 'httpx', 'execa-like']) {
    assert.not.ok(isForbidden(ok), ok);
  }
});

test('the scan finds the pure modules (it cannot pass vacuously)', () => {
  const files = scanned();
  assert.ok(files.length >= 10, `only ${files.length} files scanned: ${files.join(', ')}`);
  for (const must of ['schema/parse.ts', 'schema/payload.ts', 'schema/normalise.ts', 'renderers/index.ts', 'renderers/dnsmasq.ts']) {
    assert.ok(files.includes(must), `${must} was not scanned`);
  }
  assert.ok(files.some((f) => f.startsWith('schema/')));
  assert.ok(files.some((f) => f.startsWith('renderers/')));
  assert.not.ok(
    files.some((f) => f.endsWith('golden-cases.ts')),
    'the golden-case loader lives with the tests',
  );
  assert.not.ok(
    files.some((f) => f.endsWith('.test.ts')),
    'test files are exempt',
  );
  // the scanner must see the imports of a known file
  assert.ok(importsOf(readFileSync(path.join(root, 'schema/parse.ts'), 'utf8')).includes('./payload.ts'));
});

test('schema/, renderers/ and handlers/ import no process, file system or network module', () => {
  const violations: string[] = [];
  for (const file of scanned()) {
    const source = readFileSync(path.join(root, file), 'utf8');
    for (const spec of importsOf(source)) {
      if (isForbidden(spec)) violations.push(`${file} imports ${spec}`);
    }
  }
  assert.equal(violations, [], violations.join('\n'));
});

test.run();
