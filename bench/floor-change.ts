// The floor of a change, in the floor lab after the cold floor: the planner's
// steps from the previous configuration to the next one, against the facts of
// the floor namespace, run as direct commands (bench/floor-plan.ts) and timed
// inside the namespace; the checks the agent runs on top are timed after.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Facts, ServiceFact } from '../features/kit/facts.ts';
import type { RenderedFile } from '../features/kit/feature.ts';
import { rootLayout } from '../features/kit/layout.ts';
import type { Step } from '../features/kit/step.ts';
import { FEATURES } from '../features/registry.ts';
import { renderAll } from '../features/render.ts';
import { planConfiguration, summarise } from '../handlers/plan/plan.ts';
import type { Lab } from '../lab/lab.ts';
import { runCheck } from '../runtime/executor.ts';
import { gatherFacts } from '../runtime/facts.ts';
import { RealHost } from '../runtime/host/real.ts';
import type { Model } from '../schema/model.ts';
import { defaultInterfaceMap, parseConfiguration } from '../schema/parse.ts';
import { floorCommands, floorTimes } from './floor-plan.ts';
import { median, mode, round, type Summary, summarize } from './stats.ts';

export interface ChangeFloorSample {
  /** the commands alone, timed inside the namespace */
  total_ms: number;
  /** including one `ip netns exec` and bash start-up, timed from the bench */
  wall_ms: number;
  /** the checks the agent runs on the changed files first, in parallel, in the same namespace */
  checks_ms: number;
  spawns: number;
  ip_commands: number;
  /** summarise() of the floor's plan: the same keys as the agent's apply line */
  plan: Record<string, number>;
  /** what the script ran, with each command's time (ms) */
  ran: { label: string; ms: number }[];
  skipped: Record<string, number>;
  files: number;
}

function parse(text: string): Model {
  const parsed = parseConfiguration(JSON.parse(text), defaultInterfaceMap());
  if (!parsed.ok) throw new Error(`invalid payload: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return parsed.model;
}

/**
 * The facts of the floor namespace as a router in the previous state shows them.
 * Its links, routes and files are read from it; two things the floor cannot read
 * there are taken as the previous configuration set them: the sysctls (the bench
 * reads /proc/sys in its own namespace) and the hostname (the floor namespace
 * shares the machine's, which the floor never changes).
 */
export function asApplied(raw: Facts, previous: Model, previousFiles: readonly RenderedFile[]): Facts {
  const wanted = planConfiguration(previous, previousFiles, { ...raw, sysctls: {} }).steps.filter(
    (s): s is Extract<Step, { kind: 'sysctl' }> => s.kind === 'sysctl',
  );
  return {
    ...raw,
    hostname: previous.hostname,
    sysctls: { ...raw.sysctls, ...Object.fromEntries(wanted.map((s) => [s.key, s.value])) },
  };
}

/** One floor lab's change floors, one after another, each from the state the last left. */
export class ChangeFloor {
  private readonly host: RealHost;
  private readonly layout;
  private count = 0;

  constructor(
    private readonly lab: Lab,
    private readonly dir: string,
    root: string,
  ) {
    this.host = new RealHost(['ip', 'netns', 'exec', lab.topo.routerNs]);
    this.layout = rootLayout(root);
  }

  /** dnsmasq and bird6 from their pid files; the metadata proxy lives in the agent, so it counts as running. */
  private async services(): Promise<Record<string, ServiceFact>> {
    const out: Record<string, ServiceFact> = { metadata: { running: true, pid: null } };
    for (const f of FEATURES) {
      const spec = f.daemon?.(this.layout);
      if (!spec) continue;
      const pid = Number((await readFile(spec.pidFile, 'utf8').catch(() => '')).trim());
      const alive = pid > 0 && (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(spec.marker);
      out[spec.name] = { running: alive, pid: alive ? pid : null };
    }
    return out;
  }

  private async facts(previous: Model): Promise<Facts> {
    const raw = await gatherFacts(this.host, this.layout, await this.services());
    return asApplied(raw, previous, renderAll(previous, this.layout));
  }

  /** What the planner still wants for `text` on this namespace: nothing once it is in that state. */
  async pending(text: string): Promise<string[]> {
    const model = parse(text);
    const plan = planConfiguration(model, renderAll(model, this.layout), await this.facts(model), { root: this.layout, previous: model });
    return floorCommands(plan, this.layout, this.dir).ran;
  }

  async apply(previousText: string, nextText: string): Promise<ChangeFloorSample> {
    const previous = parse(previousText);
    const next = parse(nextText);
    const files = renderAll(next, this.layout);
    const plan = planConfiguration(next, files, await this.facts(previous), { root: this.layout, previous });
    const dir = path.join(this.dir, `change-${this.count++}`);
    const cmds = floorCommands(plan, this.layout, dir);
    await mkdir(dir, { recursive: true });
    for (const f of cmds.files) await writeFile(this.layout.file(f.path), f.content, { mode: f.mode });
    for (const i of cmds.inputs) await writeFile(path.join(dir, i.name), i.content);
    const script = path.join(dir, 'floor.sh');
    await writeFile(script, cmds.script, { mode: 0o755 });

    const started = performance.now();
    const r = await this.lab.exec(this.lab.topo.routerNs, ['bash', script], { timeoutMs: 60_000 });
    const wall = performance.now() - started;
    if (r.exitCode !== 0) throw new Error(`the change floor failed (${r.exitCode}): ${r.stderr.trim().slice(0, 2000)}`);
    const t = floorTimes(r.stdout);

    const checks = plan.steps.filter((s): s is Extract<Step, { kind: 'check' }> => s.kind === 'check');
    const c0 = performance.now();
    const failures = (await Promise.all(checks.map((c) => runCheck(this.host, this.layout.tmpDir, c)))).filter((f) => f !== null);
    const c1 = performance.now();
    if (failures.length) throw new Error(`checker failures in the change floor: ${JSON.stringify(failures).slice(0, 500)}`);
    return {
      total_ms: round(t.total_ms, 3),
      wall_ms: round(wall, 3),
      checks_ms: round(c1 - c0, 3),
      spawns: cmds.spawns,
      ip_commands: cmds.ipCommands,
      plan: summarise(plan),
      ran: t.parts.map((p) => ({ label: p.label, ms: round(p.ms, 3) })),
      skipped: cmds.skipped,
      files: cmds.files.length,
    };
  }

  close(): void {
    this.host.close();
  }
}

/** A change scenario's floor over its samples, for the JSON and the report: the times summarised, the rest of the last sample. */
export type ChangeFloorResult = Omit<ChangeFloorSample, 'total_ms' | 'wall_ms' | 'checks_ms'> & {
  total_ms: Summary;
  wall_ms: Summary;
  checks_ms: Summary;
};

export function changeFloorResult(samples: readonly ChangeFloorSample[]): ChangeFloorResult | null {
  const last = samples.at(-1);
  if (!last) return null;
  const key = (s: ChangeFloorSample) => s.ran.map((r) => r.label).join('\n');
  const same = samples.filter((s) => key(s) === key(last));
  const over = (pick: (s: ChangeFloorSample) => number) => summarize(samples.map(pick), 3);
  return {
    total_ms: over((s) => s.total_ms),
    wall_ms: over((s) => s.wall_ms),
    checks_ms: over((s) => s.checks_ms),
    spawns: mode(samples.map((s) => s.spawns)),
    ip_commands: mode(samples.map((s) => s.ip_commands)),
    files: mode(samples.map((s) => s.files)),
    plan: last.plan,
    ran: last.ran.map((r, i) => ({ label: r.label, ms: round(median(same.map((s) => s.ran[i]?.ms ?? Number.NaN)), 3) })),
    skipped: last.skipped,
  };
}
