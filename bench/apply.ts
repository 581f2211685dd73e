// Apply: PUTs to an agent in a lab router namespace, from the lab's management
// namespace (as the orchestrator sends them), and the floor: the same rendered
// files and addresses applied by the fewest direct commands in another fresh
// router namespace, in the same run.
//
// Each repetition builds a fresh lab (labUp, push: false), so every cold push
// meets a router with nothing configured, then runs, in order:
//   cold push (the payload)  ->  identical re-push x N  ->  cycles of
//   [one allocation changed, one floating IP added, that floating IP removed,
//    the allocation changed back]
// and reads the agent's "apply" log line after every PUT for its counters.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bird6 } from '../features/bird6/index.ts';
import { dnsmasq } from '../features/dnsmasq/index.ts';
import { dnsmasqWanted } from '../features/dnsmasq/render.ts';
import { FIREWALL_FILES } from '../features/firewall/index.ts';
import { rootLayout } from '../features/kit/layout.ts';
import type { Step } from '../features/kit/step.ts';
import { renderAll } from '../features/render.ts';
import { checkSteps, planConfiguration } from '../handlers/plan/plan.ts';
import { runCheck } from '../runtime/executor.ts';
import { gatherFacts } from '../runtime/facts.ts';
import { RealHost as Host } from '../runtime/host/real.ts';
import { type Lab, labDown, labUp } from '../runtime/lab/lab.ts';
import { defaultInterfaceMap, parseConfiguration } from '../schema/parse.ts';
import { payloadPath } from './render.ts';
import { median, mode, PRODUCTION_ENTRY, progress, round, type Summary, sleep, summarize } from './stats.ts';

// biome-ignore lint/suspicious/noExplicitAny: payload JSON, walked by hand
type Body = Record<string, any>;

export const SCENARIOS = ['cold_push', 'noop_push', 'alloc_change', 'fip_add', 'fip_remove'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** One PUT as the orchestrator saw it and as the agent logged it. */
export interface PutSample {
  status: number;
  wall_ms: number;
  /** the agent's own duration_ms for the apply */
  agent_ms: number;
  spawns: number;
  files_written: number;
  restarts: number;
  reloads: number;
  iptables_reloads: number;
  plan: Record<string, number>;
  /** processes other than the agent and its daemons still running in the router namespace when the answer came */
  stragglers: number;
}

export interface ScenarioResult {
  samples: number;
  statuses: number[];
  wall_ms: Summary;
  agent_ms: Summary;
  /** the most frequent value over the samples (they should not vary) */
  spawns: number;
  files_written: number;
  restarts: number;
  reloads: number;
  iptables_reloads: number;
  stragglers_max: number;
  plan: Record<string, number>;
}

export interface FloorSample {
  /** the commands alone, timed inside the namespace */
  total_ms: number;
  /** including one `ip netns exec` and bash start-up, timed from the bench */
  wall_ms: number;
  ip_batch_ms: number;
  iptables_ms: number;
  dnsmasq_ms: number;
  bird6_ms: number;
  ip_commands: number;
  /** processes the floor starts: ip, iptables-restore, ip6tables-restore, dnsmasq (when wanted), bird6 */
  spawns: number;
  /** work the agent does and the floor does not, measured in the same namespace */
  checks_ms: number;
  facts_ms: number;
}

export interface ApplyCaseResult {
  cold_push_ms: number;
  floor_ms: number;
  cold_push_vs_floor: number;
  noop_push: {
    wall_ms: number;
    wall_p99_ms: number;
    agent_ms: number;
    spawns: number;
    files_written: number;
    restarts: number;
    reloads: number;
    iptables_reloads: number;
  };
  scenarios: Record<Scenario, ScenarioResult>;
  floor: {
    total_ms: Summary;
    wall_ms: Summary;
    ip_batch_ms: Summary;
    iptables_ms: Summary;
    dnsmasq_ms: Summary;
    bird6_ms: Summary;
    ip_commands: number;
    spawns: number;
    checks_ms: Summary;
    facts_ms: Summary;
  };
  /** VmRSS of the agent right after each cold push, in MiB */
  rss_after_cold_push_mb: Summary;
  repetitions: number;
  variants: { alloc_change: string; fip: string };
}

export interface ApplyOptions {
  prefix: string;
  repetitions: number;
  repushes: number;
  cycles: number;
  register: (prefix: string) => void;
}

// ---------- talking to the lab's agent ----------

/** A PUT from the management namespace with curl, timed by curl (connect to last byte). */
export async function timedPut(lab: Lab, bodyFile: string): Promise<{ status: number; wall_ms: number }> {
  const ns = lab.topo.mgmt?.ns ?? lab.topo.routerNs;
  const r = await lab.exec(
    ns,
    [
      'curl',
      '-sS',
      '-g',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{time_total}',
      '--max-time',
      '120',
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      `@${bodyFile}`,
      lab.apiUrl('/v1/system/config'),
    ],
    { timeoutMs: 125_000 },
  );
  const [code, seconds] = r.stdout.trim().split(' ');
  return { status: Number(code ?? 0), wall_ms: round(Number(seconds ?? Number.NaN) * 1000, 3) };
}

interface ApplyLine {
  status: number;
  duration_ms: number;
  plan: Record<string, number> | null;
  spawns: number;
  filesWritten?: number;
  restarts?: number;
  reloads?: number;
  iptablesReloads?: number;
}

export async function applyLines(lab: Lab): Promise<ApplyLine[]> {
  const text = await readFile(path.join(lab.topo.dir, 'agent.log'), 'utf8').catch(() => '');
  const out: ApplyLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"event":"apply"')) continue;
    try {
      out.push(JSON.parse(line) as ApplyLine);
    } catch {
      // a line cut by a crash
    }
  }
  return out;
}

/** The apply line logged after `before` lines were there (the agent logs it before it answers). */
async function nextApply(lab: Lab, before: number): Promise<ApplyLine | null> {
  for (let i = 0; i < 100; i++) {
    const lines = await applyLines(lab);
    if (lines.length > before) return lines[lines.length - 1] ?? null;
    await sleep(20);
  }
  return null;
}

const EXPECTED = new Set(['node', 'dnsmasq', 'bird6']);

/** Processes in the router namespace that are neither the agent nor its daemons (arping, checkers, ...). */
export async function stragglers(lab: Lab): Promise<string[]> {
  const pids = await lab.routerPids();
  const out: string[] = [];
  for (const pid of pids) {
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
    if (comm && !EXPECTED.has(comm)) out.push(comm);
  }
  return out;
}

/** Waits (bounded) until only the agent and its daemons run in the router namespace. */
export async function waitQuiet(lab: Lab, timeoutMs = 15_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if ((await stragglers(lab)).length === 0) break;
    await sleep(25);
  }
  return performance.now() - started;
}

export async function agentRssKb(lab: Lab): Promise<number> {
  const pid = await lab.agentPid();
  if (pid === null) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
}

export async function measuredPut(lab: Lab, bodyFile: string): Promise<PutSample> {
  const before = (await applyLines(lab)).length;
  const put = await timedPut(lab, bodyFile);
  const left = await stragglers(lab);
  const line = await nextApply(lab, before);
  return {
    status: put.status,
    wall_ms: put.wall_ms,
    agent_ms: line?.duration_ms ?? Number.NaN,
    spawns: line?.spawns ?? Number.NaN,
    files_written: line?.filesWritten ?? 0,
    restarts: line?.restarts ?? 0,
    reloads: line?.reloads ?? 0,
    iptables_reloads: line?.iptablesReloads ?? 0,
    plan: line?.plan ?? {},
    stragglers: left.length,
  };
}

// ---------- payload variants ----------

function v4ToInt(text: string): number {
  return text.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function intToV4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

const isV4 = (a: string) => /^\d+\.\d+\.\d+\.\d+$/.test(a);
const bare = (cidr: string) => cidr.split('/')[0] as string;

function usedAddresses(body: Body): Set<string> {
  const used = new Set<string>();
  for (const n of body.networks as Body[]) {
    for (const a of (n.interface?.addresses ?? []) as string[]) used.add(bare(a));
    for (const s of (n.subnets ?? []) as Body[]) if (s.gateway_ip) used.add(s.gateway_ip);
    for (const a of [...(n.allocations ?? []), ...(n.address_allocations ?? [])] as Body[]) {
      for (const ip of Object.keys(a.ip_addresses ?? {})) used.add(ip);
    }
  }
  for (const f of (body.floating_ips ?? []) as Body[]) used.add(f.floating_ip);
  if (body.default_v4_gateway) used.add(body.default_v4_gateway);
  return used;
}

/** A free IPv4 host address of the subnet, from `skip` addresses after the network address. */
function freeV4(cidr: string, used: Set<string>, skip: number): string {
  const [net, len] = cidr.split('/');
  const base = v4ToInt(net as string);
  const size = 2 ** (32 - Number(len));
  for (let i = skip; i < size - 1; i++) {
    const candidate = intToV4(base + i);
    if (!used.has(candidate)) return candidate;
  }
  throw new Error(`no free address in ${cidr}`);
}

/** A VM's allocation: not the router's own port and without a floating IP. */
function vmAllocations(body: Body): { network: Body; allocation: Body; v4: string }[] {
  const fixed = new Set(((body.floating_ips ?? []) as Body[]).map((f) => f.fixed_ip));
  const out: { network: Body; allocation: Body; v4: string }[] = [];
  for (const n of body.networks as Body[]) {
    if (n.network_type !== 'internal') continue;
    const own = new Set(((n.interface?.addresses ?? []) as string[]).map(bare));
    for (const a of (n.allocations ?? []) as Body[]) {
      const ips = Object.keys(a.ip_addresses ?? {});
      const v4 = ips.find(isV4);
      if (!v4 || ips.some((ip) => own.has(ip)) || fixed.has(v4)) continue;
      out.push({ network: n, allocation: a, v4 });
    }
  }
  return out;
}

export interface Variants {
  base: string;
  allocChanged: string;
  withFip: string;
  describe: { alloc_change: string; fip: string };
}

/**
 * base: the payload as is; allocChanged: one VM's IPv4 address moved to a free
 * address of its subnet; withFip: allocChanged plus one floating IP for another VM.
 */
export function makeVariants(text: string): Variants {
  const body = JSON.parse(text) as Body;
  const used = usedAddresses(body);
  const vms = vmAllocations(body);
  const first = vms[0];
  const second = vms[1];
  if (!first || !second) throw new Error('the payload needs two VM allocations on internal networks');
  const subnet = ((first.network.subnets ?? []) as Body[]).find((s) => isV4(bare(s.cidr)));
  if (!subnet) throw new Error('the VM network has no IPv4 subnet');
  const moved = freeV4(subnet.cidr, used, 2);
  used.add(moved);

  const changed = structuredClone(body);
  const cVm = vmAllocations(changed)[0] as (typeof vms)[number];
  const ips = cVm.allocation.ip_addresses as Record<string, boolean>;
  const dhcp = ips[first.v4] ?? true;
  delete ips[first.v4];
  ips[moved] = dhcp;

  const ext = (body.networks as Body[]).find((n) => n.network_type === 'external');
  const extSubnet = ((ext?.subnets ?? []) as Body[]).find((s) => isV4(bare(s.cidr)));
  if (!extSubnet) throw new Error('the payload has no external IPv4 subnet');
  const floating = freeV4(extSubnet.cidr, used, 10);
  const withFip = structuredClone(changed);
  withFip.floating_ips = [...((withFip.floating_ips ?? []) as Body[]), { floating_ip: floating, fixed_ip: second.v4 }];

  return {
    base: text,
    allocChanged: JSON.stringify(changed),
    withFip: JSON.stringify(withFip),
    describe: {
      alloc_change: `${first.allocation.hostname}: ${first.v4} -> ${moved}`,
      fip: `${floating} -> ${second.v4}`,
    },
  };
}

function parseOrThrow(text: string) {
  const parsed = parseConfiguration(JSON.parse(text), defaultInterfaceMap());
  if (!parsed.ok) throw new Error(`invalid payload: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return parsed.model;
}

// ---------- the floor ----------

/** bash, so that timing ($EPOCHREALTIME) and polling (read -t) spawn nothing. */
function floorScript(dir: string, root: string, withDnsmasq: boolean): string {
  const p = rootLayout(root);
  const dns = dnsmasq.daemon?.(p);
  const b6 = bird6.daemon?.(p);
  if (!dns || !b6) throw new Error('dnsmasq and bird6 declare their daemons');
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  return `#!/bin/bash
# the floor: the fewest direct commands that apply the rendered files and addresses
set -u
exec {sfd}<> <(:)
nap() { read -r -t 0.002 -u "$sfd" || true; }
t0=$EPOCHREALTIME
ip -batch ${q(path.join(dir, 'floor.batch'))} || exit 10
t1=$EPOCHREALTIME
iptables-restore ${q(p.file(FIREWALL_FILES.v4))} || exit 11
ip6tables-restore ${q(p.file(FIREWALL_FILES.v6))} || exit 12
t2=$EPOCHREALTIME
${
  withDnsmasq
    ? `${dns.argv.map(q).join(' ')} >>${q(dns.logFile)} 2>&1 </dev/null &
pid=$!
until [ -e ${q(dns.readyFile)} ]; do nap; kill -0 $pid 2>/dev/null || exit 13; done`
    : ':'
}
t3=$EPOCHREALTIME
${b6.argv.map(q).join(' ')} >>${q(b6.logFile)} 2>&1 </dev/null &
pid=$!
until [ -S ${q(b6.readyFile)} ]; do nap; kill -0 $pid 2>/dev/null || exit 14; done
t4=$EPOCHREALTIME
echo "$t0 $t1 $t2 $t3 $t4"
`;
}

/** In a fresh lab router namespace whose agent was stopped before it configured anything. */
async function floorOnce(lab: Lab, text: string): Promise<FloorSample> {
  const ns = lab.topo.routerNs;
  const dir = path.join(lab.topo.dir, 'floor');
  const root = path.join(dir, 'root');
  const p = rootLayout(root);
  for (const d of [root, p.runDir, p.logDir, p.varDir, p.tmpDir]) await mkdir(d, { recursive: true, mode: 0o755 });
  await chmod(root, 0o755);
  const model = parseOrThrow(text);
  const files = renderAll(model, root);
  for (const f of files) {
    await mkdir(path.dirname(p.file(f.path)), { recursive: true, mode: 0o755 });
    await writeFile(p.file(f.path), f.content, { mode: f.mode });
  }
  // the commands the agent's own plan would run against this namespace, in one batch
  const host = new Host(['ip', 'netns', 'exec', ns]);
  const facts = await gatherFacts(host, p, {});
  const plan = planConfiguration(model, files, facts, { root: p });
  const commands = plan.steps.flatMap((s) =>
    s.kind === 'run' && s.argv.join(' ') === 'ip -batch -' ? (s.input ?? '').trim().split('\n') : [],
  );
  await writeFile(path.join(dir, 'floor.batch'), `${commands.join('\n')}\n`);
  const script = path.join(dir, 'floor.sh');
  await writeFile(script, floorScript(dir, root, dnsmasqWanted(model)), { mode: 0o755 });

  const started = performance.now();
  const r = await lab.exec(ns, ['bash', script], { timeoutMs: 60_000 });
  const wall = performance.now() - started;
  if (r.exitCode !== 0) throw new Error(`the floor script failed (${r.exitCode}): ${r.stderr.trim().slice(0, 2000)}`);
  const t = r.stdout
    .trim()
    .split(/\s+/)
    .map((x) => Number(x) * 1000);
  const [t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0] = t;

  // what the agent does on top: the daemons' checkers and the host facts
  const c0 = performance.now();
  const checks = checkSteps(files, new Set(files.map((f) => f.path))).filter(
    (st): st is Extract<Step, { kind: 'check' }> => st.kind === 'check',
  );
  const failures = (await Promise.all(checks.map((c) => runCheck(host, p.tmpDir, c)))).filter((f) => f !== null);
  const c1 = performance.now();
  if (failures.length) progress(`floor: checker failures ${JSON.stringify(failures).slice(0, 500)}`);
  await gatherFacts(host, p, {});
  const c2 = performance.now();

  return {
    total_ms: round(t4 - t0, 3),
    wall_ms: round(wall, 3),
    ip_batch_ms: round(t1 - t0, 3),
    iptables_ms: round(t2 - t1, 3),
    dnsmasq_ms: round(t3 - t2, 3),
    bird6_ms: round(t4 - t3, 3),
    ip_commands: commands.length,
    spawns: dnsmasqWanted(model) ? 5 : 4,
    checks_ms: round(c1 - c0, 3),
    facts_ms: round(c2 - c1, 3),
  };
}

// ---------- the case ----------

function scenarioResult(samples: PutSample[]): ScenarioResult {
  const planKeys = samples[samples.length - 1]?.plan ?? {};
  return {
    samples: samples.length,
    statuses: [...new Set(samples.map((s) => s.status))],
    wall_ms: summarize(samples.map((s) => s.wall_ms)),
    agent_ms: summarize(samples.map((s) => s.agent_ms)),
    spawns: mode(samples.map((s) => s.spawns)),
    files_written: mode(samples.map((s) => s.files_written)),
    restarts: mode(samples.map((s) => s.restarts)),
    reloads: mode(samples.map((s) => s.reloads)),
    iptables_reloads: mode(samples.map((s) => s.iptables_reloads)),
    stragglers_max: Math.max(0, ...samples.map((s) => s.stragglers)),
    plan: planKeys,
  };
}

export async function benchApplyCase(name: string, opts: ApplyOptions): Promise<ApplyCaseResult> {
  const file = payloadPath(name);
  const text = await readFile(file, 'utf8');
  const variants = makeVariants(text);
  const samples: Record<Scenario, PutSample[]> = { cold_push: [], noop_push: [], alloc_change: [], fip_add: [], fip_remove: [] };
  const floors: FloorSample[] = [];
  const rss: number[] = [];
  const agentPrefix = `${opts.prefix}a`;
  const floorPrefix = `${opts.prefix}f`;
  opts.register(agentPrefix);
  opts.register(floorPrefix);
  // the agent as it runs in production: the bundle built by npm run build
  const labOpts = { payload: file, push: false, dhcp: false, maxVmsPerNetwork: 0, agentEntry: PRODUCTION_ENTRY } as const;

  for (let rep = 0; rep < opts.repetitions; rep++) {
    progress(`apply ${name}: repetition ${rep + 1}/${opts.repetitions}: agent lab`);
    try {
      const lab = await labUp({ ...labOpts, prefix: agentPrefix });
      const files = {
        base: path.join(lab.topo.dir, 'bench-base.json'),
        allocChanged: path.join(lab.topo.dir, 'bench-alloc.json'),
        withFip: path.join(lab.topo.dir, 'bench-fip.json'),
      };
      await writeFile(files.base, variants.base);
      await writeFile(files.allocChanged, variants.allocChanged);
      await writeFile(files.withFip, variants.withFip);
      const put = async (scenario: Scenario, bodyFile: string) => {
        const s = await measuredPut(lab, bodyFile);
        if (s.status !== 200) progress(`apply ${name}: ${scenario} answered ${s.status}`);
        samples[scenario].push(s);
        // announcements (arping) run on after the answer: let them finish before the next PUT
        await waitQuiet(lab);
        return s;
      };
      await put('cold_push', files.base);
      rss.push((await agentRssKb(lab)) / 1024);
      for (let i = 0; i < opts.repushes; i++) await put('noop_push', files.base);
      for (let c = 0; c < opts.cycles; c++) {
        await put('alloc_change', files.allocChanged);
        await put('fip_add', files.withFip);
        await put('fip_remove', files.allocChanged);
        await put('alloc_change', files.base);
      }
    } finally {
      await labDown(agentPrefix);
    }
    progress(`apply ${name}: repetition ${rep + 1}/${opts.repetitions}: floor lab`);
    try {
      const lab = await labUp({ ...labOpts, prefix: floorPrefix });
      // the agent there must not touch anything: it has nothing persisted, and is stopped before the floor
      await lab.killAgent();
      floors.push(await floorOnce(lab, text));
    } finally {
      await labDown(floorPrefix);
    }
  }

  const scenarios = Object.fromEntries(SCENARIOS.map((s) => [s, scenarioResult(samples[s])])) as Record<Scenario, ScenarioResult>;
  const cold = median(samples.cold_push.map((s) => s.wall_ms));
  const floorMs = median(floors.map((f) => f.total_ms));
  const noop = scenarios.noop_push;
  const fs = (k: keyof FloorSample) => summarize(floors.map((f) => f[k]));
  return {
    cold_push_ms: round(cold),
    floor_ms: round(floorMs),
    cold_push_vs_floor: round(cold / floorMs),
    noop_push: {
      wall_ms: noop.wall_ms.median,
      wall_p99_ms: noop.wall_ms.p99,
      agent_ms: noop.agent_ms.median,
      spawns: noop.spawns,
      files_written: noop.files_written,
      restarts: noop.restarts,
      reloads: noop.reloads,
      iptables_reloads: noop.iptables_reloads,
    },
    scenarios,
    floor: {
      total_ms: fs('total_ms'),
      wall_ms: fs('wall_ms'),
      ip_batch_ms: fs('ip_batch_ms'),
      iptables_ms: fs('iptables_ms'),
      dnsmasq_ms: fs('dnsmasq_ms'),
      bird6_ms: fs('bird6_ms'),
      ip_commands: floors[0]?.ip_commands ?? 0,
      spawns: floors[0]?.spawns ?? 0,
      checks_ms: fs('checks_ms'),
      facts_ms: fs('facts_ms'),
    },
    rss_after_cold_push_mb: summarize(rss, 1),
    repetitions: opts.repetitions,
    variants: variants.describe,
  };
}
