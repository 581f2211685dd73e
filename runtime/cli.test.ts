// `appliance` help, version and usage errors, through the real entry script.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AGENT_ENV, AGENT_NODE_FLAGS } from '../lab/agent.ts';

const REPO = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/appliance.mjs', ...args], { cwd: REPO, encoding: 'utf8' });
const COMMANDS = ['serve', 'plan', 'render', 'diff', 'configure-management', 'lab', 'image'];
const version = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version as string;

test('--help lists every command and exits 0', () => {
  for (const args of [['--help'], ['-h'], []]) {
    const r = run(...args);
    assert.is(r.status, 0, r.stderr);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c} +\\S`, 'm'), `${c} in ${args}`);
    assert.is(r.stderr, '');
  }
});

test('<command> --help prints that command usage with its flags, exit 0, nothing started', () => {
  const flags: Record<string, string[]> = {
    serve: ['--listen', '--root', '--status-target', '--metadata-rate-limit'],
    plan: ['--config', '--state', '--root'],
    render: ['--config', '--out', '--ifmap'],
    diff: ['--from', '--to', '--ifmap'],
    'configure-management': ['--mac', '--address', '--mtu'],
    lab: ['--payload', '--prefix'],
    image: ['--out', '--cache', '--mirror', '--size'],
  };
  for (const c of COMMANDS) {
    const r = run(c, '--help');
    assert.is(r.status, 0, `${c}: ${r.stderr}`);
    assert.ok(r.stdout.startsWith(`usage: appliance ${c}`), `${c}: ${r.stdout}`);
    for (const f of flags[c] ?? []) assert.ok(r.stdout.includes(f), `${c} --help names ${f}`);
  }
});

test('a bad flag: one line naming it, then the command usage on stderr, exit 2', () => {
  for (const c of ['serve', 'plan', 'render', 'diff', 'configure-management', 'image']) {
    const args = c === 'image' ? ['image', 'deb'] : [c];
    const r = run(...args, '--bogus-flag');
    assert.is(r.status, 2, `${c}: ${r.stderr}`);
    const [first, second] = r.stderr.split('\n');
    assert.match(first ?? '', new RegExp(`^appliance ${c}: .*--bogus-flag`));
    assert.ok(second?.startsWith(`usage: appliance ${c}`), `${c}: ${r.stderr}`);
    assert.is(r.stdout, '');
  }
});

test('a flag without its value and a bad serve option are usage errors too', () => {
  const r = run('render', '--config');
  assert.is(r.status, 2);
  assert.match(r.stderr, /^appliance render: .*--config/);
  const s = run('serve', '--metadata-rate-limit', 'lots');
  assert.is(s.status, 2);
  assert.match(s.stderr, /^appliance serve: --metadata-rate-limit must be/);
  const d = run('diff', '--from', 'a.json');
  assert.is(d.status, 2);
  assert.match(d.stderr, /^appliance diff: needs --from and --to\nusage: appliance diff/);
});

test('an unknown command: one line, then the summary usage, exit 2', () => {
  const r = run('frobnicate');
  assert.is(r.status, 2);
  assert.match(r.stderr, /^appliance: unknown command "frobnicate"\nusage: appliance <command>/);
  const l = run('lab', 'sideways');
  assert.is(l.status, 2);
  assert.match(l.stderr, /^appliance lab: unknown lab command "sideways"\nusage: appliance lab/);
});

test('--version prints the version from package.json, in the sources and in the bundle', () => {
  const r = run('--version');
  assert.is(r.status, 0);
  assert.is(r.stdout, `${version}\n`);
  const bundle = path.join(REPO, 'dist', 'appliance.mjs');
  if (!existsSync(bundle)) {
    console.log('skip: no dist/appliance.mjs (npm run build)');
    return;
  }
  const b = spawnSync(process.execPath, [bundle, '--version'], { encoding: 'utf8' });
  assert.is(b.stdout, `${version}\n`, b.stderr);
});

test('the bundle: render loads the schema from its chunks and refuses what the sources refuse; serve flags match the unit', () => {
  const bundle = path.join(REPO, 'dist', 'appliance.mjs');
  if (!existsSync(bundle)) {
    console.log('skip: no dist/appliance.mjs (npm run build)');
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'appliance-bundle-'));
  try {
    const good = path.join(REPO, 'test', 'cases', 'seed-example', 'input.json');
    const ok = spawnSync(process.execPath, [bundle, 'render', '--config', good, '--out', path.join(dir, 'out')], { encoding: 'utf8' });
    assert.is(ok.status, 0, ok.stderr);
    assert.ok(readdirSync(path.join(dir, 'out'), { recursive: true }).length > 3, 'files rendered');
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ networks: 'none' }));
    const refused = spawnSync(process.execPath, [bundle, 'render', '--config', bad, '--out', path.join(dir, 'bad')], { encoding: 'utf8' });
    assert.is.not(refused.status, 0);
    assert.match(refused.stderr + refused.stdout, /networks/);
    // zod's own English messages, with its other locales left out of the bundle (scripts/build.mjs)
    assert.match(refused.stderr + refused.stdout, /expected array, received string/);
    const chunks = readdirSync(path.join(REPO, 'dist', 'chunks')).map((f) => readFileSync(path.join(REPO, 'dist', 'chunks', f), 'utf8'));
    assert.ok(chunks.some((c) => c.includes('node_modules/zod/v4/locales/en.js')));
    assert.not.ok(chunks.some((c) => c.includes('node_modules/zod/v4/locales/fr.js')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // the lab starts the agent with the node flags production uses
  const unit = readFileSync(path.join(REPO, 'image', 'deb', 'lib', 'systemd', 'system', 'appliance-agent.service'), 'utf8');
  const exec = unit.split('\n').find((l) => l.startsWith('ExecStart=')) ?? '';
  assert.ok(exec.includes(`/node ${AGENT_NODE_FLAGS.join(' ')} /usr/lib/appliance-agent/appliance.mjs serve`), exec);
  // and its environment
  const env = unit.split('\n').find((l) => l.startsWith('Environment=')) ?? '';
  assert.is(
    env,
    `Environment=${Object.entries(AGENT_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  const probe = readFileSync(path.join(REPO, 'bench', 'startup-probe.mjs'), 'utf8');
  for (const [k, v] of Object.entries(AGENT_ENV)) assert.ok(probe.includes(`${k}: '${v}'`), `startup-probe.mjs sets ${k}`);
  for (const flag of AGENT_NODE_FLAGS) assert.ok(probe.includes(`'${flag}'`), `startup-probe.mjs passes ${flag}`);
});

test('the bundle: the command helper main.ts starts says it is ready and runs a command in its own process', async () => {
  const chunks = path.join(REPO, 'dist', 'chunks');
  if (!existsSync(chunks)) {
    console.log('skip: no dist/chunks (npm run build)');
    return;
  }
  const file = readdirSync(chunks).find((f) => f.startsWith('early-') && f.endsWith('.mjs'));
  assert.ok(file, 'the early chunk');
  const early = (await import(path.join(chunks, file as string))) as { startHelperEarly(): void; takeEarlyHelper(): ChildProcess | null };
  early.startHelperEarly();
  const helper = early.takeEarlyHelper();
  assert.ok(helper?.pid, 'a helper process');
  const child = helper as ChildProcess;
  try {
    child.stdout?.setEncoding('utf8');
    let text = '';
    const lines: Record<string, unknown>[] = [];
    const next = () =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer from the helper: ${text}`)), 10_000);
        const take = () => {
          const nl = text.indexOf('\n');
          if (nl < 0) return false;
          lines.push(JSON.parse(text.slice(0, nl)));
          text = text.slice(nl + 1);
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(lines.at(-1) as Record<string, unknown>);
          return true;
        };
        const onData = (d: string) => {
          text += d;
          take();
        };
        if (!take()) child.stdout?.on('data', onData);
      });
    assert.equal(await next(), { id: 0 });
    child.stdin?.write(`${JSON.stringify({ id: 7, argv: ['sh', '-c', 'echo $PPID; exit 4'], timeoutMs: 5000, nice: 0 })}\n`);
    const reply = await next();
    assert.equal(reply, { id: 7, exitCode: 4, stdout: `${child.pid}\n`, stderr: '', timedOut: false });
  } finally {
    child.kill();
  }
});

test('the bundle: prom-client\u2019s chunk gives its classes through the default export runtime/metrics.ts reads', async () => {
  const chunks = path.join(REPO, 'dist', 'chunks');
  if (!existsSync(chunks)) {
    console.log('skip: no dist/chunks (npm run build)');
    return;
  }
  const file = readdirSync(chunks).find((f) => f.startsWith('prom-client-') && f.endsWith('.mjs'));
  assert.ok(file, 'prom-client is in a chunk of its own');
  const mod = (await import(path.join(chunks, file as string))) as { default?: { Registry?: unknown }; Registry?: unknown };
  assert.is(typeof (mod.default ?? mod).Registry, 'function');
});

test.run();
