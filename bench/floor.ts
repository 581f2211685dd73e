// The floor of an apply: the same rendered files and addresses applied by the
// fewest direct commands (one ip -batch, iptables-restore, the daemons
// started by hand) in a fresh lab router namespace, timed inside it; and what
// the agent does on top (checkers, host facts), measured there too.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bird6 } from '../features/bird6/index.ts';
import { dnsmasq } from '../features/dnsmasq/index.ts';
import { dnsmasqWanted } from '../features/dnsmasq/render.ts';
import { FIREWALL_FILES } from '../features/firewall/index.ts';
import { rootLayout } from '../features/kit/layout.ts';
import type { Step } from '../features/kit/step.ts';
import { renderAll } from '../features/render.ts';
import { checkSteps, planConfiguration } from '../handlers/plan/plan.ts';
import type { Lab } from '../lab/lab.ts';
import { runCheck } from '../runtime/executor.ts';
import { gatherFacts } from '../runtime/facts.ts';
import { RealHost as Host } from '../runtime/host/real.ts';
import { defaultInterfaceMap, parseConfiguration } from '../schema/parse.ts';
import { progress, round } from './stats.ts';

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

function parseOrThrow(text: string) {
  const parsed = parseConfiguration(JSON.parse(text), defaultInterfaceMap());
  if (!parsed.ok) throw new Error(`invalid payload: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return parsed.model;
}

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

/** Where the floor keeps its files and its root in a lab. */
export const floorDir = (lab: Lab) => path.join(lab.topo.dir, 'floor');

/** In a fresh lab router namespace whose agent was stopped before it configured anything. */
export async function floorOnce(lab: Lab, text: string): Promise<FloorSample> {
  const ns = lab.topo.routerNs;
  const dir = floorDir(lab);
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
