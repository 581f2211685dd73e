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
// The floor lab runs the same sequence: the cold floor, then each change's
// floor (bench/floor-change.ts) from the state the one before left.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { labDown, labUp } from '../lab/lab.ts';
import { agentRssKb, measuredPut, type PutSample, waitQuiet } from './apply-agent.ts';
import { type FloorSample, floorDir, floorOnce } from './floor.ts';
import { ChangeFloor, type ChangeFloorResult, type ChangeFloorSample, changeFloorResult } from './floor-change.ts';
import { payloadPath } from './render.ts';
import { median, mode, PRODUCTION_ENTRY, progress, round, type Summary, summarize } from './stats.ts';
import { makeVariants } from './variants.ts';

export const SCENARIOS = ['cold_push', 'noop_push', 'alloc_change', 'fip_add', 'fip_remove'] as const;
export type Scenario = (typeof SCENARIOS)[number];
/** the scenarios with a floor of their own commands */
export const CHANGES = ['alloc_change', 'fip_add', 'fip_remove'] as const;
export type Change = (typeof CHANGES)[number];

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
  /** the agent's event-loop delay p99 during each PUT (monitorEventLoopDelay), over the samples */
  loop_p99_ms: Summary;
  loop_max_ms: Summary;
  plan: Record<string, number>;
  /** change scenarios: the median of their own floor, the median wall time over it, and the floor's detail */
  floor_ms?: number;
  vs_floor?: number;
  floor?: ChangeFloorResult;
}

export interface ApplyCaseResult {
  cold_push_ms: number;
  floor_ms: number;
  cold_push_vs_floor: number;
  alloc_change_vs_floor: number;
  fip_add_vs_floor: number;
  fip_remove_vs_floor: number;
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
    loop_p99_ms: summarize(samples.map((s) => s.loop_p99_ms).filter(Number.isFinite)),
    loop_max_ms: summarize(samples.map((s) => s.loop_max_ms).filter(Number.isFinite)),
    plan: planKeys,
  };
}

export async function benchApplyCase(name: string, opts: ApplyOptions): Promise<ApplyCaseResult> {
  const file = payloadPath(name);
  const text = await readFile(file, 'utf8');
  const variants = makeVariants(text);
  const samples: Record<Scenario, PutSample[]> = { cold_push: [], noop_push: [], alloc_change: [], fip_add: [], fip_remove: [] };
  const floors: FloorSample[] = [];
  const changeFloors: Record<Change, ChangeFloorSample[]> = { alloc_change: [], fip_add: [], fip_remove: [] };
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
      const dir = floorDir(lab);
      const floor = new ChangeFloor(lab, dir, path.join(dir, 'root'));
      try {
        const pending = await floor.pending(variants.base);
        if (pending.length) progress(`apply ${name}: the floor namespace still wants ${pending.join(', ')} after the cold floor`);
        for (let c = 0; c < opts.cycles; c++) {
          changeFloors.alloc_change.push(await floor.apply(variants.base, variants.allocChanged));
          changeFloors.fip_add.push(await floor.apply(variants.allocChanged, variants.withFip));
          changeFloors.fip_remove.push(await floor.apply(variants.withFip, variants.allocChanged));
          changeFloors.alloc_change.push(await floor.apply(variants.allocChanged, variants.base));
        }
      } finally {
        floor.close();
      }
    } finally {
      await labDown(floorPrefix);
    }
  }

  const scenarios = Object.fromEntries(SCENARIOS.map((s) => [s, scenarioResult(samples[s])])) as Record<Scenario, ScenarioResult>;
  const cold = median(samples.cold_push.map((s) => s.wall_ms));
  const floorMs = median(floors.map((f) => f.total_ms));
  const noop = scenarios.noop_push;
  for (const c of CHANGES) {
    const r = scenarios[c];
    const f = changeFloorResult(changeFloors[c]);
    if (!f) continue;
    r.floor_ms = f.total_ms.median;
    r.vs_floor = round(r.wall_ms.median / f.total_ms.median);
    r.floor = f;
  }
  const vs = (c: Change) => scenarios[c].vs_floor ?? Number.NaN;
  const fs = (k: keyof FloorSample) => summarize(floors.map((f) => f[k]));
  return {
    cold_push_ms: round(cold),
    floor_ms: round(floorMs),
    cold_push_vs_floor: round(cold / floorMs),
    alloc_change_vs_floor: vs('alloc_change'),
    fip_add_vs_floor: vs('fip_add'),
    fip_remove_vs_floor: vs('fip_remove'),
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
