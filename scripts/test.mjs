#!/usr/bin/env node
// Runs every *.test.ts suite with uvu under tsx, then prints one closing
// "N passed, N failed" line. uvu exits 0 when no test ran, so this counts.
// Usage: node scripts/test.mjs [pattern]   (pattern: a regex over file paths; only
// *.test.ts files are ever loaded, so `metadata` does not pick up docs or sources)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const filter = process.argv[2] ?? process.env.TEST_PATTERN;
const pattern = filter ? `^(?=.*(?:${filter})).*\\.test\\.ts$` : '\\.test\\.ts$';
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 45 * 60 * 1000);

const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', '.', pattern, '--no-color', '-i', 'test/cases'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});

let out = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  out += chunk.toString();
  if (out.length > 1_000_000) out = out.slice(-100_000);
});

const timer = setTimeout(() => {
  console.error(`test run exceeded ${timeoutMs} ms, killing it`);
  child.kill('SIGKILL');
}, timeoutMs);

child.on('close', (code, signal) => {
  clearTimeout(timer);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strip ANSI colours
  const plain = out.replace(/\u001b\[[0-9;]*m/g, '');
  const num = (label) => {
    const m = plain.match(new RegExp(`${label}:\\s+(\\d+)`));
    return m ? Number(m[1]) : null;
  };
  const total = num('Total');
  const passed = num('Passed') ?? 0;
  const skipped = num('Skipped') ?? 0;
  let failed = total === null ? 0 : total - passed;
  if (total === null || code !== 0 || signal) failed = Math.max(failed, 1);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  // a run whose every test was skipped (suites that need root, run as another user) is not a failure
  const none = !total && !skipped;
  if (none) console.error('no test ran');
  process.exit(failed > 0 || none ? 1 : 0);
});
