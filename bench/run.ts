// The benchmarks, side by side in one run: `npm run bench [-- --json FILE]`.
//
//   render   parse + normalise + render of the shared payloads, in-process
//   apply    PUTs to the agent in lab router namespaces (seed-example, large-scale)
//            and the floor: the same files and addresses by the fewest direct commands
//   api      GETs under load and the liveness probe during applies (large-scale)
//   startup  `node dist/appliance.mjs serve` (the production bundle) to its first 200, and its memory
//   metadata the metadata proxy against its upstream called directly (bench/metadata-proxy.ts)
//
// Options: --json FILE (write the figures), --quick (fewer repetitions),
// --only render,apply,api,startup,metadata. Needs root (network namespaces).
// Targets are printed beside the figures and never asserted: the exit status
// is 0 unless a section could not run.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { labDown } from '../lab/lab.ts';
import { type ApiBench, benchApi } from './api.ts';
import { type ApplyCaseResult, benchApplyCase, SCENARIOS } from './apply.ts';
import { benchMetadataProxy, type MetadataProxyBench } from './metadata-proxy.ts';
import { benchRender, type RenderBench } from './render.ts';
import { benchStartup, type StartupBench } from './startup.ts';
import { ms, num, progress, round, type Summary, table } from './stats.ts';

const SECTIONS = ['render', 'apply', 'api', 'startup', 'metadata'] as const;
type Section = (typeof SECTIONS)[number];
const APPLY_CASES = ['seed-example', 'large-scale'] as const;

const TARGETS = {
  noop_push_ms: 20,
  cold_push_vs_floor: 1.5,
  render_large_ms: 50,
  liveness_p99_ms: 100,
  startup_ms: 300,
  rss_mb: 80,
};

interface TargetRow {
  name: string;
  target: string;
  value: string;
  met: boolean | null;
}

interface Results {
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
  errors: Record<string, string>;
  duration_s?: number;
}

function machine(): Record<string, unknown> {
  const version = (argv: string[]) => {
    const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]?.trim() || null;
  };
  return {
    date: new Date().toISOString(),
    node: process.version,
    kernel: os.release(),
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
    memory_mb: Math.round(os.totalmem() / 2 ** 20),
    // other work on the machine shows here: the figures are only as quiet as the machine
    loadavg_start: os.loadavg().map((x) => round(x, 2)),
    iptables: version(['iptables', '--version']),
    dnsmasq: version(['dnsmasq', '--version']),
    bird6: version(['bird6', '--version']),
  };
}

// ---------- cleanup ----------

const prefixes = new Set<string>();
const register = (p: string) => {
  prefixes.add(p);
};
async function cleanup(): Promise<void> {
  for (const p of prefixes) await labDown(p).catch(() => {});
}
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    progress(`${sig}: removing the bench's namespaces`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------- printing ----------

const sumCells = (s: Summary | undefined) => [num(s?.n), ms(s?.median), ms(s?.p99), ms(s?.max)];

function printRender(r: RenderBench): void {
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

function printApply(name: string, a: ApplyCaseResult): void {
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
    ];
  });
  const f = a.floor;
  rows.push(['floor', ...sumCells(f.total_ms), '-', num(f.spawns), '-', num(f.spawns - 3), '-', '2', '-']);
  console.log(
    table(
      ['scenario', 'n', 'median', 'p99', 'max', 'agent ms', 'spawns', 'files', 'restarts', 'reloads', 'ipt reloads', 'left running'],
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
}

function printApi(a: ApiBench): void {
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

function printStartup(s: NonNullable<Results['startup']>): void {
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

function printMetadata(m: MetadataProxyBench, requests: number): void {
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

function targets(r: Results): TargetRow[] {
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

function printTargets(rows: TargetRow[]): void {
  console.log('\n## Targets (reported, not asserted)');
  const cells = rows.map((t) => [t.name, t.target, t.value, t.met === null ? '-' : t.met ? 'met' : 'MISSED']);
  console.log(table(['figure', 'target', 'this run', ''], cells, [0, 1, 2, 3]));
}

// ---------- main ----------

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npm run bench -- [--json FILE] [--quick] [--only render,apply,api,startup,metadata]');
    return 0;
  }
  const only = new Set(
    (values.only ?? SECTIONS.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const s of only) if (!SECTIONS.includes(s as Section)) throw new Error(`unknown section ${s}; known: ${SECTIONS.join(', ')}`);
  const want = (s: Section) => only.has(s);
  const quick = values.quick === true;
  const needsRoot = want('apply') || want('api') || want('startup');
  if (needsRoot && process.getuid?.() !== 0) throw new Error('the apply, api and startup benchmarks need root (network namespaces)');

  const metadataRequests = quick ? 500 : 2000;
  const started = performance.now();
  // a short prefix of its own for every lab, so runs never meet other labs or each other
  const base = `b${(process.pid % 36 ** 4).toString(36).padStart(4, '0')}`;
  const results: Results = {
    machine: machine(),
    options: { quick, sections: [...only], prefix: base },
    targets: [],
    errors: {},
  };
  const section = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      results.errors[name] = (err as Error).stack ?? String(err);
      progress(`${name} failed: ${(err as Error).message}`);
    }
  };

  try {
    if (want('render')) {
      await section('render', async () => {
        progress('render');
        results.render = await benchRender({ quick });
        results.render_large_ms = results.render.cases['large-scale']?.total_ms.median;
      });
    }
    if (want('apply')) {
      const plan: Record<string, { repetitions: number; repushes: number; cycles: number; suffix: string }> = {
        'seed-example': { repetitions: quick ? 1 : 5, repushes: 5, cycles: quick ? 1 : 2, suffix: 's' },
        'large-scale': { repetitions: quick ? 1 : 3, repushes: 5, cycles: quick ? 1 : 2, suffix: 'l' },
      };
      for (const c of APPLY_CASES) {
        const p = plan[c] as (typeof plan)[string];
        await section(`apply ${c}`, async () => {
          results[c] = await benchApplyCase(c, {
            prefix: `${base}${p.suffix}`,
            repetitions: p.repetitions,
            repushes: p.repushes,
            cycles: p.cycles,
            register,
          });
        });
      }
    }
    if (want('api')) {
      await section('api', async () => {
        results.api = await benchApi({ prefix: `${base}p`, quick, register });
      });
    }
    if (want('startup')) {
      await section('startup', async () => {
        register(`${base}u`);
        const s = await benchStartup({ prefix: `${base}u`, runs: quick ? 3 : 8 });
        const rss = results['large-scale']?.rss_after_cold_push_mb.median ?? results.api?.rss_after_cold_push_mb ?? null;
        results.startup = { ...s, rss_after_large_cold_push_mb: rss };
      });
    }
    if (want('metadata')) {
      await section('metadata', async () => {
        progress('metadata proxy');
        results.metadata_proxy = await benchMetadataProxy({ requests: metadataRequests, concurrency: 20 });
      });
    }
  } finally {
    await cleanup();
  }
  results.duration_s = round((performance.now() - started) / 1000, 1);
  results.machine.loadavg_end = os.loadavg().map((x) => round(x, 2));
  results.targets = targets(results);

  const m = results.machine;
  console.log(
    `# Router appliance agent benchmarks: ${m.date}, node ${m.node}, ${m.cpus} x ${m.cpu_model}, kernel ${m.kernel}, ${m.iptables}`,
  );
  if (results.render) printRender(results.render);
  for (const c of APPLY_CASES) {
    const a = results[c];
    if (a) printApply(c, a);
  }
  if (results.api) printApi(results.api);
  if (results.startup) printStartup(results.startup);
  if (results.metadata_proxy) printMetadata(results.metadata_proxy, metadataRequests);
  printTargets(results.targets);
  console.log(
    `\nwhole run: ${results.duration_s} s; load average (1, 5, 15 min) at the start ${m.loadavg_start}, at the end ${m.loadavg_end}`,
  );
  for (const [name, err] of Object.entries(results.errors)) console.log(`\n${name} could not run:\n${err}`);

  if (values.json) {
    await writeFile(values.json, `${JSON.stringify(results, null, 1)}\n`);
    progress(`figures written to ${values.json}`);
  }
  return Object.keys(results.errors).length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (err) => {
    await cleanup();
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exitCode = 2;
  },
);
