// Hostile input as a permanent property: the shared payloads, mutated by
// fast-check (type flips, missing and extra keys, huge and unicode strings,
// injected lines and metacharacters, out-of-range numbers, deep nesting, huge
// arrays), each PUT through the whole API in-process (the real Agent over the
// simulated host). Either a 4xx {error, issues} naming a path of the body, no
// stack trace, and the host exactly as before (no command run); or a 200 that
// carried no injected line into a file, an ip batch or a command's arguments.
// HOSTILE_RUNS (default 10000) and HOSTILE_SEED repeat a run; the seed is printed.
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_BODY_BYTES } from '../../handlers/http.ts';
import type { DaemonProcess, RunOptions } from '../../runtime/host/port.ts';
import { FakeHost, fakeNic } from '../fake-host/fake-host.ts';
import { goldenCases } from '../golden-cases.ts';
import { applyMutations, type Json, mutations, type Shape, shapeOf } from '../hostile/mutate.ts';
import { hostileSeed } from '../hostile/seed.ts';
import { badArgument, injectableLines, injectedLine, namesBodyPath, refusalProblem, stackTraceIn } from '../hostile/verdict.ts';
import { type Kit, makeKit, payload, ROOT } from './kit.ts';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 10_000);
const SEED = hostileSeed();

/** The simulated host, with every command and daemon started, and an ip batch's stdin, recorded. */
class RecordingHost extends FakeHost {
  ran: { argv: string[]; input?: string }[] = [];
  override run(argv: string[], opts: RunOptions = {}) {
    this.ran.push({ argv: [...argv], input: opts.input });
    return super.run(argv, opts);
  }
  override spawnDaemon(argv: string[]): Promise<DaemonProcess> {
    this.ran.push({ argv: [...argv] });
    return super.spawnDaemon(argv);
  }
}

interface Base {
  body: Json;
  shape: Shape;
}

interface Site {
  kit: Kit;
  host: RecordingHost;
  /** file contents after the unmutated payload was applied */
  files: Map<string, string>;
}

const CASES = goldenCases();
const bases = new Map<string, Base>(
  CASES.map((name) => {
    const body = payload(name);
    return [name, { body, shape: shapeOf(body) }];
  }),
);
/** one router per payload, with that payload applied; replaced after it accepts a mutated body */
const sites = new Map<string, Site>();

async function siteFor(name: string): Promise<Site> {
  const known = sites.get(name);
  if (known) return known;
  // enough NICs for every payload (large-scale names ge0..ge21)
  const host = new RecordingHost(Array.from({ length: 24 }, (_, i) => fakeNic(i + 2, `eth${i}`)));
  const kit = await makeKit({ host });
  const r = await kit.put(bases.get(name)?.body);
  assert.is(r.status, 200, `${name} itself is applied: ${await r.text()}`);
  await quiet(host);
  const site = { kit, host, files: new Map([...host.files].map(([p, f]) => [p, f.content])) };
  sites.set(name, site);
  return site;
}

/** Waits until the gratuitous ARPs an apply sends after its answer are all sent. */
async function quiet(host: RecordingHost): Promise<void> {
  for (let still = 0; still < 5; ) {
    const n = host.ran.length;
    await new Promise((r) => setImmediate(r));
    still = host.ran.length === n ? still + 1 : 0;
  }
}

const cut = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
const describe = (name: string, applied: string[]) => `${name}: ${applied.join('; ')}`;

const stats = { statuses: new Map<number, number>(), unreal: new Map<string, number>() };

/** The host's lines as text, for a diff in a failure message. */
function diff(before: string, after: string): string {
  const a = new Set(before.split('\n'));
  const b = new Set(after.split('\n'));
  return [...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`), ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`)].join('\n');
}

async function checkAccepted(name: string, site: Site, written: string[], text: string): Promise<void> {
  const { host, kit } = site;
  const answer = JSON.parse(text);
  assert.type(answer.configuration, 'object', 'a 200 carries the configuration');
  const injectable = injectableLines(written);
  for (const [file, f] of host.files) {
    const line = injectedLine(f.content, site.files.get(file) ?? '', injectable);
    assert.not.ok(line, `an injected line reached ${file}: ${JSON.stringify(line)}`);
  }
  for (const c of host.ran) {
    const arg = badArgument(c.argv);
    assert.not.ok(arg, `a line break reached an argument of ${c.argv[0]}: ${JSON.stringify(cut(arg ?? ''))}`);
    const line = c.input ? injectedLine(c.input, '', injectable) : null;
    assert.not.ok(line, `an injected line reached the input of ${c.argv.join(' ')}: ${JSON.stringify(line)}`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  assert.not.match(host.name, /[\s\u0000-\u001f]/, `the host name is ${JSON.stringify(cut(host.name))}`);
  if (answer.configuration.vpn === undefined) {
    const got = await (await kit.fetch('GET', '/v1/system/config')).text();
    assert.is(got, JSON.stringify({ configuration: answer.configuration }), `${name}: GET answers what the PUT applied`);
  }
}

test('the checks themselves: paths with dotted and cut keys, a smuggled line, a stack trace', () => {
  const body = { networks: [{ ip_addresses: { '10.0.0.3': true }, [`${'k'.repeat(70)}`]: 1 }] };
  assert.ok(namesBodyPath(body, 'networks.0.ip_addresses.10.0.0.3'));
  assert.ok(namesBodyPath(body, `networks.0.${'k'.repeat(64)}`));
  assert.ok(namesBodyPath(body, 'networks.0.network_id'), 'a required key left out');
  assert.not.ok(namesBodyPath(body, 'networks.1'));
  assert.not.ok(namesBodyPath(body, 'configuration.networks.0'));
  assert.not.ok(namesBodyPath(body, 'networks.0.interface.ifname'));
  const lines = injectableLines(['ge0\nserver=/INJ/203.0.113.66', 'plain']);
  assert.equal(lines, ['server=/INJ/203.0.113.66']);
  assert.is(injectedLine('a\n  server=/INJ/203.0.113.66 x\n', 'a\n', lines), '  server=/INJ/203.0.113.66 x');
  assert.is(injectedLine('a\nserver=/INJ/203.0.113.66\n', 'a\nserver=/INJ/203.0.113.66\n', lines), null, 'a line that was there before');
  assert.ok(stackTraceIn('Error: x\n    at run (file:///srv/a.js:1:2)'));
  assert.is(stackTraceIn('{"error":"the configuration is invalid"}'), null);
});

test('defects the property found, pinned: paths of a wrapped body, and a 500 for many invalid values', async () => {
  const k = await makeKit();
  const wrapped = { configuration: payload('seed-example') };
  wrapped.configuration.networks[2].subnets[0].cidr = 'nope';
  const r1 = await k.put(wrapped);
  assert.is(r1.status, 422);
  assert.equal(
    (await r1.json()).issues.map((i: { path: string }) => i.path),
    ['configuration.networks.2.subnets.0.cidr'],
  );
  // two lists of 65,536 bad addresses (515 KiB): zod's issues overflowed the stack, answered 500
  const many = payload('seed-example');
  const subnet = many.networks[2].subnets[0];
  many.networks[2].subnets = [1, 2].map(() => ({ ...subnet, dns_nameservers: Array(65_536).fill('x') }));
  const before = k.host.dump(ROOT);
  const r2 = await k.put(many);
  assert.is(r2.status, 422, await r2.clone().text());
  assert.ok((await r2.json()).issues.length > 0);
  assert.is(k.host.dump(ROOT), before);
});

const caseName = fc.oneof(
  { arbitrary: fc.constantFrom(...CASES.filter((c) => c !== 'large-scale')), weight: 199 },
  { arbitrary: fc.constantFrom(...CASES.filter((c) => c === 'large-scale')), weight: 1 },
);

test(`${RUNS} mutated payloads: a 4xx naming a path with the host unchanged, or a 200 that injected nothing`, async () => {
  console.log(`hostile property: ${RUNS} runs, seed ${SEED} (HOSTILE_RUNS=${RUNS} HOSTILE_SEED=${SEED} repeats it)`);
  const started = performance.now();
  const property = fc.asyncProperty(caseName, mutations, async (name, muts) => {
    const base = bases.get(name) as Base;
    const m = applyMutations(base.body, base.shape, muts);
    const site = await siteFor(name);
    const { host, kit } = site;
    const before = host.dump(ROOT);
    const tables = kit.metadata.tables.length;
    host.ran.length = 0;
    const r = await kit.fetch('PUT', '/v1/system/config', { raw: m.text });
    const text = await r.text();
    stats.statuses.set(r.status, (stats.statuses.get(r.status) ?? 0) + 1);
    const where = describe(name, m.applied);
    if (r.status >= 400 && r.status < 500) {
      const unreal: string[] = [];
      const problem = refusalProblem(r.status, text, m.body, Buffer.byteLength(m.text), MAX_BODY_BYTES, unreal);
      for (const p of unreal) stats.unreal.set(p.replace(/\d+/g, 'N'), (stats.unreal.get(p.replace(/\d+/g, 'N')) ?? 0) + 1);
      assert.not.ok(problem, `${r.status} ${problem}\n${where}\n${cut(text, 600)}`);
      const after = host.dump(ROOT);
      if (after !== before) sites.delete(name);
      assert.is(after, before, `a refused body changed the host:\n${diff(before, after)}\n${where}`);
      const ran = host.ran.map((c) => cut(c.argv.join(' '), 120));
      assert.is(ran.length, 0, `a refused body ran commands: ${ran.slice(0, 5).join('; ')}\n${where}`);
      assert.is(kit.metadata.tables.length, tables, `a refused body changed the metadata listeners\n${where}`);
      return;
    }
    // accepted: the host changed, the next case of this payload starts on a fresh router
    sites.delete(name);
    assert.is(r.status, 200, `status ${r.status}\n${where}\n${cut(text, 600)}`);
    assert.not.ok(stackTraceIn(text), `a stack trace in a 200\n${where}`);
    await checkAccepted(name, site, m.written, text).catch((err) => {
      (err as Error).message += `\n${where}`;
      throw err;
    });
  });
  await fc.assert(property, { numRuns: RUNS, seed: SEED, includeErrorInReport: true });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const statuses = [...stats.statuses].map(([s, n]) => `${n} × ${s}`).join(', ');
  console.log(`hostile property: ${RUNS} bodies in ${seconds} s: ${statuses}`);
  if (stats.unreal.size) {
    const top = [...stats.unreal].sort((a, b) => b[1] - a[1]).slice(0, 8);
    console.log(`  issue paths that name nothing in the body (beside one that does): ${top.map(([p, n]) => `${p} (${n})`).join(', ')}`);
  }
});

test.run();
