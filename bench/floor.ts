// The floor of an apply: the same rendered files and addresses applied by the
// fewest direct commands (one ip -batch, iptables-restore, the daemons
// started by hand) in a fresh lab router namespace, timed inside it; and what
// the agent does on top (checkers, host facts), measured there too.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { planConfiguration } from '../handlers/plan.ts';
import type { Lab } from '../lab/lab.ts';
import { dnsmasqWanted } from '../renderers/dnsmasq.ts';
import { FILES, renderAll } from '../renderers/index.ts';
import { checkAll, renderedSet } from '../runtime/checkers.ts';
import { gatherFacts } from '../runtime/facts.ts';
import { Host } from '../runtime/host.ts';
import { rootPaths } from '../runtime/paths.ts';
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
  const p = rootPaths(root);
  const conf = p.file(FILES.dnsmasqConf);
  const bird = p.file(FILES.bird6);
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  return `#!/bin/bash
# the floor: the fewest direct commands that apply the rendered files and addresses
set -u
exec {sfd}<> <(:)
nap() { read -r -t 0.002 -u "$sfd" || true; }
t0=$EPOCHREALTIME
ip -batch ${q(path.join(dir, 'floor.batch'))} || exit 10
t1=$EPOCHREALTIME
iptables-restore ${q(p.file(FILES.rulesV4))} || exit 11
ip6tables-restore ${q(p.file(FILES.rulesV6))} || exit 12
t2=$EPOCHREALTIME
${
  withDnsmasq
    ? `dnsmasq --keep-in-foreground ${q(`--conf-file=${conf}`)} ${q(`--pid-file=${p.dnsmasqPid}`)} ${q(`--dhcp-leasefile=${p.dnsmasqLeases}`)} --log-facility=- --log-dhcp >>${q(p.dnsmasqLog)} 2>&1 </dev/null &
pid=$!
until [ -e ${q(p.dnsmasqPid)} ]; do nap; kill -0 $pid 2>/dev/null || exit 13; done`
    : ':'
}
t3=$EPOCHREALTIME
bird6 -f -c ${q(bird)} -s ${q(p.bird6Ctl)} -P ${q(p.bird6Pid)} >>${q(p.bird6Log)} 2>&1 </dev/null &
pid=$!
until [ -S ${q(p.bird6Ctl)} ]; do nap; kill -0 $pid 2>/dev/null || exit 14; done
t4=$EPOCHREALTIME
echo "$t0 $t1 $t2 $t3 $t4"
`;
}

/** In a fresh lab router namespace whose agent was stopped before it configured anything. */
export async function floorOnce(lab: Lab, text: string): Promise<FloorSample> {
  const ns = lab.topo.routerNs;
  const dir = path.join(lab.topo.dir, 'floor');
  const root = path.join(dir, 'root');
  const p = rootPaths(root);
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
  const facts = await gatherFacts(host, root, {});
  const plan = planConfiguration(model, files, facts);
  const commands = plan.steps.flatMap((s) => (s.kind === 'ip-batch' && !s.tolerant ? s.commands : []));
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
  const failures = await checkAll(renderedSet(files), { wrap: ['ip', 'netns', 'exec', ns], tmpDir: p.tmpDir });
  const c1 = performance.now();
  if (failures.length) progress(`floor: checker failures ${JSON.stringify(failures).slice(0, 500)}`);
  await gatherFacts(host, root, {});
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
