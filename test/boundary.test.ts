// The architecture boundary (rules: .dependency-cruiser.mjs and test/boundary-globals.ts).
// The real tree must be clean, and a copy of it with leaks planted must report
// each leak: a handler importing the runtime, a handler calling process.kill, a
// feature importing node:os, schema/ importing handlers/, a runtime module
// importing a test helper, and every import and global form in
// test/planted-leaks.txt. A missing or empty pure folder fails too.
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { againstKnown, type BoundaryConfig, type BoundaryReport, CONFIG_FILE, checkBoundary, loadConfig, REPO } from './boundary.ts';

const SKIP_TOP = new Set(['node_modules', '.git', 'dist']);
const temps: string[] = [];
let config: BoundaryConfig;
let real: BoundaryReport;

/** A copy of the tree (node_modules linked, not copied). */
function copyTree(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'boundary-'));
  temps.push(dir);
  cpSync(REPO, dir, { recursive: true, filter: (src) => !SKIP_TOP.has(path.relative(REPO, src).split(path.sep)[0]!) });
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

const layerFolders = (name: string) => config.LAYERS.find((l) => l.name === name)?.folders ?? [];
const firstPureFile = (folders: string[]) => real.pureFiles.find((f) => folders.some((d) => f.startsWith(`${d}/`)) && f.endsWith('.ts'));
const relImport = (from: string, to: string) => {
  const rel = path.posix.relative(path.posix.dirname(from), to);
  return rel.startsWith('.') ? rel : `./${rel}`;
};
const lineCount = (file: string) => readFileSync(file, 'utf8').split('\n').length - 1;

/** Appends lines to a file of the copy; returns the line number of the first. */
function plant(dir: string, rel: string, lines: string): number {
  const at = lineCount(path.join(dir, rel)) + 1;
  appendFileSync(path.join(dir, rel), `${lines}\n`);
  return at;
}

interface Planted {
  report: BoundaryReport;
  handler: string;
  runtimeImport: string;
  runtimeTarget: string;
  killLine: number;
  feature: string;
  schemaFile: string;
  schemaImport: string;
  runtimeFile: string;
}
let planted: Planted;

test.before(async () => {
  config = await loadConfig(REPO);
  real = await checkBoundary(REPO);
  const dir = copyTree();
  const handler = firstPureFile(layerFolders('handlers'))!;
  const feature = firstPureFile(layerFolders('features'))!;
  const schemaFile = firstPureFile(layerFolders('schema'))!;
  const runtimeFile = real.cruised.find((f) => f.startsWith('runtime/') && f.endsWith('.ts') && !f.endsWith('.test.ts'))!;
  assert.ok(handler && feature && schemaFile && runtimeFile, 'files to plant into');
  // the host port if it is still runtime/host.ts, else any runtime module
  const runtimeTarget = real.cruised.includes('runtime/host.ts') ? 'runtime/host.ts' : runtimeFile;
  const runtimeImport = relImport(handler, runtimeTarget);
  plant(dir, handler, `import { Host } from '${runtimeImport}';`);
  const killLine = plant(dir, handler, 'export function plantedKill(): void {\n  process.kill(1, 0);\n}') + 1;
  plant(dir, feature, `import os from 'node:os';`);
  const target = real.pureFiles.find((f) => f.startsWith('handlers/'))!;
  const schemaImport = relImport(schemaFile, target);
  plant(dir, schemaFile, `import * as planted from '${schemaImport}';`);
  writeFileSync(path.join(dir, 'test/planted-helper.ts'), 'export const helper = 1;\n');
  plant(dir, runtimeFile, `import '${relImport(runtimeFile, 'test/planted-helper.ts')}';`);
  writeFileSync(path.join(dir, 'handlers/planted-forms.ts'), readFileSync(path.join(REPO, 'test/planted-leaks.txt')));
  writeFileSync(
    path.join(dir, 'handlers/planted.test.ts'),
    "import fs from 'node:fs';\nexport const fixture = fs.readFileSync('x');\nprocess.exit(0);\n",
  );
  mkdirSync(path.join(dir, 'util'));
  writeFileSync(path.join(dir, 'util/launder.ts'), "export { hostname as laundered } from 'node:os';\n");
  planted = {
    report: await checkBoundary(dir),
    handler,
    runtimeImport,
    runtimeTarget,
    killLine,
    feature,
    schemaFile,
    schemaImport,
    runtimeFile,
  };
});

test.after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

test('the pure folders exist and every pure file is checked (no vacuous pass)', () => {
  for (const f of config.REQUIRED_FOLDERS) {
    assert.ok(
      real.pureFiles.some((p) => p.startsWith(`${f}/`)),
      `${f}/ holds no checked file`,
    );
  }
  assert.ok(real.pureFiles.length >= 10, `only ${real.pureFiles.length} pure files: ${real.pureFiles.join(', ')}`);
  assert.not.ok(
    real.pureFiles.some((f) => f.endsWith('.test.ts')),
    'test files are outside the stack',
  );
  const missed = real.pureFiles.filter((f) => !real.cruised.includes(f));
  assert.equal(missed, [], `dependency-cruiser did not look at ${missed.join(', ')}`);
  assert.ok(
    real.cruised.some((f) => f.startsWith('runtime/')),
    'runtime/ is cruised',
  );
});

test('the real tree has no leak beyond KNOWN_LEAKS, and every known leak still occurs', () => {
  const { unexpected, stale } = againstKnown(real.violations, config.KNOWN_LEAKS);
  assert.equal(unexpected, [], `boundary violations:\n${unexpected.join('\n')}`);
  assert.equal(stale, [], `fixed, remove from KNOWN_LEAKS in ${CONFIG_FILE}:\n${stale.join('\n')}`);
});

/** The violations of the planted copy that the real tree does not have. */
const fresh = () => planted.report.violations.filter((v) => !real.violations.includes(v));

test('planted: a handler importing the runtime', () => {
  const { handler, runtimeImport, runtimeTarget } = planted;
  const hit = fresh().filter((v) => v.startsWith(`${handler} imports ${runtimeImport} `));
  assert.equal(hit, [`${handler} imports ${runtimeImport} (${runtimeTarget}) [pure-imports-only-pure]`]);
});

test('planted: process.kill in a handler', () => {
  assert.ok(fresh().includes(`${planted.handler}:${planted.killLine} uses process`), fresh().join('\n'));
});

test('planted: node:os in a feature', () => {
  assert.ok(fresh().includes(`${planted.feature} imports node:os [pure-imports-only-pure]`), fresh().join('\n'));
});

test('planted: schema/ importing handlers/', () => {
  const hit = fresh().filter((v) => v.startsWith(`${planted.schemaFile} imports ${planted.schemaImport} `));
  assert.equal(hit.length, 1, fresh().join('\n'));
  assert.match(hit[0]!, /\(handlers\/[^)]+\) \[pure-imports-only-pure\]$/);
});

test('planted: the runtime importing a test helper', () => {
  const want = `${planted.runtimeFile} imports ${relImport(planted.runtimeFile, 'test/planted-helper.ts')} (test/planted-helper.ts) [no-test-code-in-production]`;
  assert.ok(fresh().includes(want), fresh().join('\n'));
});

test('planted: every import and global form is reported, and nothing else', () => {
  const file = 'handlers/planted-forms.ts';
  const lines = readFileSync(path.join(REPO, 'test/planted-leaks.txt'), 'utf8').split('\n');
  const expected: (string | RegExp)[] = [];
  lines.forEach((line, i) => {
    const m = line.match(/\/\/ expect: (.*)$/);
    for (const what of m ? m[1]!.split(' | ') : []) {
      const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (what.startsWith('uses ')) expected.push(`${file}:${i + 1} ${what}`);
      else expected.push(new RegExp(`^${escaped(`${file} ${what}`)}(?: \\([^)]*\\))? \\[[a-z-]+\\]$`));
    }
  });
  assert.ok(expected.length >= 30, `only ${expected.length} expectations`);
  const got = fresh().filter((v) => v.startsWith(file));
  const matches = (e: string | RegExp, v: string) => (typeof e === 'string' ? v === e : e.test(v));
  const missing = expected.filter((e) => !got.some((v) => matches(e, v)));
  const extra = got.filter((v) => !expected.some((e) => matches(e, v)));
  assert.equal(missing.map(String), [], `not reported:\n${missing.join('\n')}`);
  assert.equal(extra, [], `reported but not expected:\n${extra.join('\n')}`);
  assert.not.ok(
    planted.report.violations.some((v) => v.startsWith('handlers/planted.test.ts')),
    'a test file may use the host',
  );
  assert.ok(
    planted.report.violations.some((v) =>
      v.startsWith(`${file} imports ./planted.test.ts (handlers/planted.test.ts) [no-test-code-in-production]`),
    ),
    'production code may not import a test file',
  );
});

test('planted: nothing else changed, and the known leaks still show', () => {
  const explained = [planted.handler, planted.feature, planted.schemaFile, planted.runtimeFile, 'handlers/planted-forms.ts'];
  const other = fresh().filter((v) => !explained.some((f) => v.startsWith(`${f} `) || v.startsWith(`${f}:`)));
  assert.equal(other, []);
  for (const k of config.KNOWN_LEAKS) assert.ok(planted.report.violations.includes(k), k);
});

test('a missing required folder or an empty pure folder fails the check', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'boundary-empty-'));
  temps.push(dir);
  for (const f of [CONFIG_FILE, 'tsconfig.json']) cpSync(path.join(REPO, f), path.join(dir, f));
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  const [first, ...others] = config.REQUIRED_FOLDERS;
  mkdirSync(path.join(dir, first!));
  writeFileSync(path.join(dir, first!, 'README.md'), 'no source here\n');
  const report = await checkBoundary(dir);
  assert.ok(report.violations.includes(`${first}/ holds no source file (edit LAYERS in ${CONFIG_FILE})`), report.violations.join('\n'));
  for (const f of others) assert.ok(report.violations.includes(`${f}/ is missing (a required pure folder)`), report.violations.join('\n'));
});

test.run();
