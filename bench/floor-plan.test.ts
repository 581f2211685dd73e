// The change floors' commands come from the planner's steps between two
// configurations: the bench's own changes of seed-example, planned against a
// simulated host in the previous state (test/plan-facts.ts), no root.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIREWALL_FILES } from '../features/firewall/index.ts';
import type { Facts } from '../features/kit/facts.ts';
import { rootLayout } from '../features/kit/layout.ts';
import type { Plan, Step } from '../features/kit/step.ts';
import { renderAll } from '../features/render.ts';
import { planConfiguration } from '../handlers/plan/plan.ts';
import { applyPlan, bareHost, build } from '../test/plan-facts.ts';
import { asApplied } from './floor-change.ts';
import { floorCommands, floorTimes, mergeIpBatches } from './floor-plan.ts';
import { makeVariants } from './variants.ts';

const ROOT = '/srv/floor/root';
const layout = rootLayout(ROOT);
const DIR = '/srv/floor/change-0';
const text = readFileSync(new URL('../test/cases/seed-example/input.json', import.meta.url), 'utf8');
const v = makeVariants(text);
const [base, allocChanged, withFip] = [v.base, v.allocChanged, v.withFip].map((t) => build(JSON.parse(t), ROOT)) as [
  ReturnType<typeof build>,
  ReturnType<typeof build>,
  ReturnType<typeof build>,
];
const fip = v.describe.fip.split(' ')[0] as string;
const extIf = base.model.networks.find((n) => n.type === 'external')?.ifname as string;

/** The host after the cold push of base, then each change in the bench's order; the plan of every change. */
function changes(): Record<'alloc_change' | 'fip_add' | 'fip_remove' | 'alloc_back', { plan: Plan; prev: typeof base; next: typeof base }> {
  let facts: Facts = bareHost(base.model);
  facts = applyPlan(facts, planConfiguration(base.model, base.files, facts, { root: layout }));
  const step = (prev: typeof base, next: typeof base) => {
    const plan = planConfiguration(next.model, next.files, facts, { root: layout, previous: prev.model });
    facts = applyPlan(facts, plan);
    return { plan, prev, next };
  };
  return {
    alloc_change: step(base, allocChanged),
    fip_add: step(allocChanged, withFip),
    fip_remove: step(withFip, allocChanged),
    alloc_back: step(allocChanged, base),
  };
}
const plans = changes();
const changedFiles = (prev: typeof base, next: typeof base) =>
  next.files.filter((f) => prev.files.find((p) => p.path === f.path)?.digest !== f.digest).map((f) => f.path);

test('a floating IP added: one ip -batch adding it on the external NIC, and only the IPv4 firewall restored', () => {
  const { plan, prev, next } = plans.fip_add;
  const f = floorCommands(plan, layout, DIR);
  const changed = changedFiles(prev, next);
  assert.ok(changed.includes(FIREWALL_FILES.v4), 'the DNAT/SNAT rules are in the IPv4 file');
  const families = (['v4', 'v6'] as const).filter((k) => changed.includes(FIREWALL_FILES[k]));
  assert.equal(f.ran, [
    'ip (links and addresses)',
    ...families.map((k) => `${k === 'v4' ? 'iptables' : 'ip6tables'}-restore (firewall ${k})`),
  ]);
  assert.is(f.inputs.length, 1);
  assert.match(f.inputs[0]?.content ?? '', new RegExp(`^address add ${fip.replaceAll('.', '\\.')}/\\d+ .*dev ${extIf}$`, 'm'));
  assert.is(f.ipCommands, (f.inputs[0]?.content ?? '').trim().split('\n').length);
  assert.ok(f.script.includes(`'ip' '-batch' '-' <'${DIR}/input-0'`));
  assert.ok(f.script.includes(`'iptables-restore' '-w' '5' '${layout.file(FIREWALL_FILES.v4)}'`));
  assert.is(f.spawns, f.ran.length);
  assert.equal(
    f.files.map((x) => x.path),
    changed,
  );
});

test('an allocation moved (both ways): dnsmasq re-reads its hosts file on SIGHUP, nothing is spawned', () => {
  for (const { plan, prev, next } of [plans.alloc_change, plans.alloc_back]) {
    const f = floorCommands(plan, layout, DIR);
    assert.equal(f.ran, ['kill -HUP dnsmasq']);
    assert.is(f.spawns, 0);
    assert.ok(f.script.includes(`read -r pid <'${layout.file('run/dnsmasq.pid')}'`));
    assert.ok(f.script.includes('kill -SIGHUP "$pid"'));
    assert.ok(changedFiles(prev, next).includes('etc/dnsmasq/dhcp-hosts'));
    assert.ok(
      f.files.some((x) => x.path === 'etc/dnsmasq/dhcp-hosts'),
      'the hosts file is written before the signal',
    );
  }
});

test('a floating IP removed: the address deleted, the routes of its link re-asserted, its connections flushed both ways', () => {
  const f = floorCommands(plans.fip_remove.plan, layout, DIR);
  const batch = f.inputs[0]?.content ?? '';
  assert.match(batch, new RegExp(`^address del ${fip.replaceAll('.', '\\.')}/\\d+ dev ${extIf}$`, 'm'));
  assert.ok(f.script.includes(`'conntrack' '-D' '-d' '${fip}' || true`));
  assert.ok(f.script.includes(`'conntrack' '-D' '-q' '${fip}' || true`));
  // addresses and routes are neighbours in the plan: one ip -batch, the delete first
  assert.is(f.ran.filter((r) => r.startsWith('ip ')).length, 1);
  assert.ok(batch.indexOf('address del') < batch.indexOf('route '));
});

test('every change: checks, the metadata proxy and announcements are left out, every other step is run', () => {
  for (const [name, { plan }] of Object.entries(plans)) {
    const f = floorCommands(plan, layout, DIR);
    const of = (kind: Step['kind']) => plan.steps.filter((s) => s.kind === kind).length;
    assert.ok(of('check') > 0, `${name}: the agent checks what changed`);
    assert.equal(
      f.skipped,
      Object.fromEntries(['check', 'metadata', 'announce'].filter((k) => of(k as Step['kind'])).map((k) => [k, of(k as Step['kind'])])),
    );
    assert.not.ok(/--test|bird6' '-p'|arping/.test(f.script), `${name}: a check or an announcement in the script`);
    const runs = mergeIpBatches(plan.steps).filter(
      (s) => s.kind === 'run' || s.kind === 'signal' || s.kind === 'daemon' || s.kind === 'sysctl',
    );
    assert.is(f.ran.length, runs.length, name);
    assert.is(f.files.length, of('write-file'), name);
  }
});

test('only neighbouring ip batches with the same argv merge, in plan order', () => {
  const run = (phase: Step['phase'], argv: string[], input: string, okExit?: 'any'): Step => ({
    phase,
    kind: 'run',
    reason: phase,
    argv,
    input,
    okExit,
  });
  const merged = mergeIpBatches([
    run('addresses', ['ip', '-batch', '-'], 'address add 10.0.0.1/24 dev eth2\n'),
    run('routes', ['ip', '-batch', '-'], 'route replace default via 10.0.0.254 dev eth2 proto static\n'),
    run('conntrack', ['ip', '-force', '-batch', '-'], 'neigh replace 10.0.0.5 lladdr fa:16:3e:00:00:01 dev eth2 nud stale\n', 'any'),
    run('conntrack', ['ip', '-batch', '-'], 'address add 10.0.0.2/24 dev eth2\n'),
  ]);
  assert.is(merged.length, 3);
  const first = merged[0] as Extract<Step, { kind: 'run' }>;
  assert.is(first.input, 'address add 10.0.0.1/24 dev eth2\nroute replace default via 10.0.0.254 dev eth2 proto static\n');
  assert.is((merged[1] as Extract<Step, { kind: 'run' }>).okExit, 'any');
});

test('a daemon restart stops the old process before starting, and polls without a process', () => {
  const argv = ['dnsmasq', '--keep-in-foreground', `--conf-file=${layout.file('etc/dnsmasq/dnsmasq.conf')}`];
  const f = floorCommands({ steps: [{ phase: 'services', kind: 'daemon', name: 'dnsmasq', action: 'restart', argv }] }, layout, DIR);
  assert.equal(f.ran, ['dnsmasq restart']);
  assert.is(f.spawns, 1);
  const kill = f.script.indexOf('kill "$old"');
  const start = f.script.indexOf("'dnsmasq' '--keep-in-foreground'");
  assert.ok(kill > 0 && start > kill, f.script);
  assert.ok(f.script.includes('nap() {'));
});

test('what the floor must never do is refused: the hostname, a sysctl outside the network namespace', () => {
  assert.throws(() => floorCommands({ steps: [{ phase: 'system', kind: 'hostname', name: 'x' }] }, layout, DIR), /hostname/);
  assert.throws(
    () => floorCommands({ steps: [{ phase: 'sysctl', kind: 'sysctl', key: 'kernel/hostname', value: 'x' }] }, layout, DIR),
    /net\//,
  );
});

test('the facts of a router in the previous state: no sysctl or hostname left to do', () => {
  let facts: Facts = bareHost(base.model);
  facts = applyPlan(facts, planConfiguration(base.model, base.files, facts, { root: layout }));
  const raw = { ...facts, sysctls: {}, hostname: 'the-build-machine' };
  const kinds = (f: Facts) =>
    planConfiguration(base.model, renderAll(base.model, layout), f, { root: layout, previous: base.model }).steps.map((s) => s.kind);
  assert.ok(kinds(raw).includes('sysctl') && kinds(raw).includes('hostname'));
  assert.equal(kinds(asApplied(raw, base.model, base.files)), []);
});

test('the script output gives the total and each command its time', () => {
  const t = floorTimes('start 100.000000\nip (links and addresses) 100.001500\niptables-restore (firewall v4) 100.004000\n');
  assert.equal(
    t.parts.map((p) => [p.label, Math.round(p.ms * 1000) / 1000]),
    [
      ['ip (links and addresses)', 1.5],
      ['iptables-restore (firewall v4)', 2.5],
    ],
  );
  assert.is(Math.round(t.total_ms * 1000) / 1000, 4);
  assert.throws(() => floorTimes('ip 1.0\n'), /unexpected/);
});

test.run();
