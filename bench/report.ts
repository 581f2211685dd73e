// The benchmark's report: one table per section, and the targets beside the figures.
import type { ApiBench } from './api.ts';
import { type ApplyCaseResult, CHANGES, SCENARIOS } from './apply.ts';
import type { MetadataProxyBench } from './metadata-proxy.ts';
import type { RenderBench } from './render.ts';
import type { ScalingPoint } from './scaling.ts';
import type { StartupBench } from './startup.ts';
import { ms, num, type Summary, table } from './stats.ts';

export const APPLY_CASES = ['seed-example', 'large-scale'] as const;

export const TARGETS = {
  noop_push_ms: 15,
  cold_push_vs_floor: 1.5,
  change_vs_floor: 2,
  render_large_ms: 50,
  liveness_p99_ms: 100,
  startup_ms: 300,
  rss_mb: 80,
};

export interface TargetRow {
  name: string;
  target: string;
  value: string;
  met: boolean | null;
}

export interface Results {
  machine: Record<string, unknown>;
  options: Record<string, unknown>;
  targets: TargetRow[];
  render_large_ms?: number;
  'seed-example'?: ApplyCaseResult;
  'large-scale'?: ApplyCaseResult;
  render?: RenderBench;
  api?: ApiBench;
  startup?: StartupBench & { rss_after_large_cold_push_mb: number | null };
  metadata_proxy?: MetadataProxyBench;
  vpn?: import('./vpn.ts').VpnBench;
  ha?: import('./ha.ts').HaBench;
  scaling?: ScalingPoint[];
  errors: Record<string, string>;
  duration_s?: number;
}

// ---------- printing ----------

const sumCells = (s: Summary | undefined) => [num(s?.n), ms(s?.median), ms(s?.p99), ms(s?.max)];

export function printRender(r: RenderBench): void {
  console.log('\n## Render: JSON.parse + parseConfiguration (schema, normalise) + renderAll, in-process (ms)');
  const rows = Object.entries(r.cases).map(([name, c]) => [
    name,
    `${Math.round(c.bytes / 1024)} KiB`,
    num(c.total_ms.n),
    ms(c.json_ms.median),
    ms(c.parse_ms.median),
    ms(c.render_ms.median),
    ms(c.total_ms.median),
    ms(c.total_ms.p99),
    ms(c.cold_ms),
  ]);
  console.log(table(['payload', 'size', 'n', 'json', 'parse+norm', 'render', 'total med', 'total p99', 'first run'], rows));
}

export function printApply(name: string, a: ApplyCaseResult): void {
  console.log(`\n## Apply: ${name} (${a.repetitions} fresh lab(s); wall = the PUT as curl in the management namespace times it, ms)`);
  const rows = SCENARIOS.map((s) => {
    const r = a.scenarios[s];
    return [
      s,
      ...sumCells(r.wall_ms),
      ms(r.agent_ms.median),
      num(r.spawns),
      num(r.files_written),
      num(r.restarts),
      num(r.reloads),
      num(r.iptables_reloads),
      num(r.stragglers_max),
      ms(r.loop_p99_ms?.median),
    ];
  });
  const f = a.floor;
  rows.push(['floor', ...sumCells(f.total_ms), '-', num(f.spawns), '-', num(f.spawns - 3), '-', '2', '-', '-']);
  console.log(
    table(
      [
        'scenario',
        'n',
        'median',
        'p99',
        'max',
        'agent ms',
        'spawns',
        'files',
        'restarts',
        'reloads',
        'ipt reloads',
        'left running',
        'loop p99',
      ],
      rows,
    ),
  );
  console.log(
    `floor: one ip -batch of ${f.ip_commands} commands ${ms(f.ip_batch_ms.median)} ms, iptables-restore + ip6tables-restore ${ms(f.iptables_ms.median)} ms, ` +
      `dnsmasq to its pid file ${ms(f.dnsmasq_ms.median)} ms, bird6 to its socket ${ms(f.bird6_ms.median)} ms (medians; ${ms(f.wall_ms.median)} ms with ip netns exec + bash)`,
  );
  console.log(
    `cold push / floor: ${num(a.cold_push_vs_floor)}x (${ms(a.cold_push_ms)} / ${ms(a.floor_ms)} ms, medians; target <= ${TARGETS.cold_push_vs_floor}x)`,
  );
  console.log(
    `agent-only work, timed in the floor namespace: the four checkers ${ms(f.checks_ms.median)} ms, host facts ${ms(f.facts_ms.median)} ms; ` +
      `agent RSS after the cold push ${num(a.rss_after_cold_push_mb.median)} MiB`,
  );
  console.log(`changes: allocation ${a.variants.alloc_change}; floating IP ${a.variants.fip}`);
  printChangeFloors(a);
}

const counts = (c: Record<string, number> | undefined) =>
  Object.entries(c ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'nothing';

/** Each change beside the floor of its own commands, and what both ran. */
export function printChangeFloors(a: ApplyCaseResult): void {
  const rows = CHANGES.flatMap((c) => {
    const r = a.scenarios[c];
    const f = r.floor;
    if (!f) return [];
    return [
      [
        c,
        num(r.wall_ms.n),
        ms(r.wall_ms.median),
        num(f.total_ms.n),
        ms(f.total_ms.median),
        ms(f.wall_ms.median),
        `${num(r.vs_floor)}x`,
        `< ${TARGETS.change_vs_floor}x`,
        num(r.spawns),
        num(f.spawns),
        ms(f.checks_ms.median),
      ],
    ];
  });
  if (!rows.length) return;
  console.log(`
### Changes against the floor of their own commands (${a.repetitions} floor lab(s), ms)`);
  console.log(
    table(['scenario', 'n', 'median', 'floor n', 'floor', 'floor+exec', 'ratio', 'target', 'spawns', 'floor spawns', 'its checks'], rows),
  );
  for (const c of CHANGES) {
    const r = a.scenarios[c];
    const f = r.floor;
    if (!f) continue;
    console.log(`${c}:`);
    console.log(`  agent's plan: ${counts(r.plan)}`);
    const sorted = (c: Record<string, number>) => JSON.stringify(Object.entries(c).sort());
    const same = sorted(f.plan) === sorted(r.plan) ? 'the same steps' : 'DIFFERENT steps';
    console.log(`  floor's plan: ${counts(f.plan)} (${same})`);
    console.log(
      `  floor ran: ${f.ran.map((x) => `${x.label} ${ms(x.ms)} ms`).join('; ') || 'nothing'}` +
        ` (ip commands: ${f.ip_commands}; files written before, untimed: ${f.files}; not run: ${counts(f.skipped)})`,
    );
  }
}

export function printApi(a: ApiBench): void {
  console.log(`\n## API under load (${a.payload} applied; keep-alive node:http clients in the management namespace; ms)`);
  const rows: string[][] = [];
  for (const [endpoint, byConc] of Object.entries(a.load)) {
    for (const [c, r] of Object.entries(byConc)) {
      rows.push([
        `GET ${endpoint}`,
        c.slice(1),
        num(r.requests),
        num(r.errors),
        ms(r.latency_ms.median),
        ms(r.latency_ms.p99),
        ms(r.latency_ms.max),
        num(r.rps),
      ]);
    }
  }
  const d = (label: string, x: ApiBench['liveness_during_cold_push']) => [
    label,
    '1',
    num(x.probes),
    num(x.errors),
    ms(x.latency_ms.median),
    ms(x.latency_ms.p99),
    ms(x.latency_ms.max),
    '-',
  ];
  rows.push(d('liveness probe during the cold push', a.liveness_during_cold_push));
  rows.push(d(`liveness probe during ${a.liveness_during_changes.puts.length} change PUTs`, a.liveness_during_changes));
  console.log(table(['request', 'clients', 'n', 'errors', 'median', 'p99', 'max', 'req/s'], rows));
  console.log(
    `PUTs under the probe: cold ${a.liveness_during_cold_push.puts.map((p) => ms(p.wall_ms)).join(', ')} ms; ` +
      `changes ${a.liveness_during_changes.puts.map((p) => ms(p.wall_ms)).join(', ')} ms. ` +
      `Agent RSS ${num(a.rss_after_cold_push_mb)} MiB after the cold push, ${num(a.rss_after_load_mb)} MiB after the load`,
  );
}

export function printStartup(s: NonNullable<Results['startup']>): void {
  console.log('\n## Start-up: `node dist/appliance.mjs serve --root EMPTY --listen 127.0.0.1:5000` in its own namespace (ms)');
  const rows = [
    ['spawn to first 200 of GET /v1/firewall/rules', ...sumCells(s.first_200_ms)],
    ['spawn to first answer', ...sumCells(s.first_answer_ms)],
    ['node -e (bare node, for comparison)', ...sumCells(s.breakdown.node_bare_ms)],
    ['node importing runtime/cli.ts through tsx', ...sumCells(s.breakdown.import_cli_ms)],
  ];
  console.log(table(['', 'n', 'median', 'p99', 'max'], rows));
  console.log(
    `first run (not in the figures above): ${ms(s.first_run_ms)} ms. RSS at the first 200: ${num(s.idle_rss_mb.median)} MiB; ` +
      `bare node ${num(s.breakdown.node_bare_rss_mb.median)} MiB; after importing the CLI ${num(s.breakdown.import_cli_rss_mb.median)} MiB; ` +
      `after the large-scale cold push in the lab: ${num(s.rss_after_large_cold_push_mb)} MiB`,
  );
}

export function printMetadata(m: MetadataProxyBench, requests: number): void {
  console.log(`\n## Metadata proxy (loopback; bench/metadata-proxy.ts, ${requests} requests per measurement, 20 clients for throughput)`);
  console.log(
    table(
      ['path', 'p50 ms', 'p99 ms', 'req/s'],
      [
        ['direct', ms(m.direct.p50_ms), ms(m.direct.p99_ms), num(m.direct.rps)],
        ['proxied', ms(m.proxied.p50_ms), ms(m.proxied.p99_ms), num(m.proxied.rps)],
      ],
    ),
  );
  console.log(`added latency: p50 ${ms(m.added_p50_ms)} ms, p99 ${ms(m.added_p99_ms)} ms; throughput ratio ${num(m.throughput_ratio)}`);
}

export function targets(r: Results): TargetRow[] {
  const rows: TargetRow[] = [];
  const add = (name: string, target: string, value: number | null | undefined, met: (v: number) => boolean, unit = 'ms') => {
    const ok = value === null || value === undefined || !Number.isFinite(value) ? null : met(value);
    rows.push({ name, target, value: ok === null ? '-' : `${unit === 'x' ? num(value as number) : ms(value as number)} ${unit}`, met: ok });
  };
  for (const c of APPLY_CASES) {
    const a = r[c];
    if (!a) continue;
    const n = a.noop_push;
    rows.push({
      name: `identical re-push, ${c} (median wall, files, restarts)`,
      target: `< ${TARGETS.noop_push_ms} ms, 0 files, 0 restarts`,
      value: `${ms(n.wall_ms)} ms, ${n.files_written} files, ${n.restarts} restarts`,
      met: n.wall_ms < TARGETS.noop_push_ms && n.files_written === 0 && n.restarts === 0,
    });
    add(`cold push / floor, ${c}`, `<= ${TARGETS.cold_push_vs_floor}x`, a.cold_push_vs_floor, (v) => v <= TARGETS.cold_push_vs_floor, 'x');
    for (const s of CHANGES) {
      add(`${s} / its floor, ${c}`, `< ${TARGETS.change_vs_floor}x`, a[`${s}_vs_floor`], (v) => v < TARGETS.change_vs_floor, 'x');
    }
  }
  add('large-scale render (median)', `< ${TARGETS.render_large_ms} ms`, r.render_large_ms, (v) => v < TARGETS.render_large_ms);
  if (r.api) {
    add(
      'liveness probe p99 during the large-scale cold push',
      `< ${TARGETS.liveness_p99_ms} ms`,
      r.api.liveness_during_cold_push.latency_ms.p99,
      (v) => v < TARGETS.liveness_p99_ms,
    );
    add(
      'liveness probe p99 during large-scale change PUTs',
      `< ${TARGETS.liveness_p99_ms} ms`,
      r.api.liveness_during_changes.latency_ms.p99,
      (v) => v < TARGETS.liveness_p99_ms,
    );
  }
  if (r.startup) {
    add('start-up to the first 200 (median)', `< ${TARGETS.startup_ms} ms`, r.startup.first_200_ms.median, (v) => v < TARGETS.startup_ms);
    add(
      'agent RSS after the large-scale cold push',
      `< ${TARGETS.rss_mb} MiB`,
      r.startup.rss_after_large_cold_push_mb,
      (v) => v < TARGETS.rss_mb,
      'MiB',
    );
  }
  return rows;
}

export function printTargets(rows: TargetRow[]): void {
  console.log('\n## Targets (reported, not asserted)');
  const cells = rows.map((t) => [t.name, t.target, t.value, t.met === null ? '-' : t.met ? 'met' : 'MISSED']);
  console.log(table(['figure', 'target', 'this run', ''], cells, [0, 1, 2, 3]));
}
