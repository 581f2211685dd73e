// The benchmarks, side by side in one run: `npm run bench [-- --json FILE]`.
//
//   render   parse + normalise + render of the shared payloads, in-process
//   apply    PUTs to the agent in lab router namespaces (seed-example, large-scale)
//            and the floor: the same files and addresses by the fewest direct commands
//   api      GETs under load and the liveness probe during applies (large-scale)
//   startup  `node dist/appliance.mjs serve` (the production bundle) to its first 200, and its memory
//   metadata the metadata proxy against its upstream called directly (bench/metadata-proxy.ts)
//   vpn      PUT to the first packet through a site-to-site tunnel (bench/vpn.ts)
//   ha       the failover outage of an HA pair, over repeated failovers (bench/ha.ts)
//   scaling  push and re-push time against the number of networks, allocations and floating IPs
//            (bench/scaling.ts); a table, and an SVG plot next to the JSON (FILE.json -> FILE-scaling.svg)
//
// Options: --json FILE (write the figures), --quick (fewer repetitions),
// --only render,apply,api,startup,metadata,vpn,ha,scaling. Needs root (network namespaces).
// Targets are printed beside the figures and never asserted: the exit status
// is 0 unless a section could not run.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { labDown } from '../lab/lab.ts';
import { benchApi } from './api.ts';
import { benchApplyCase } from './apply.ts';
import { benchHa, printHa } from './ha.ts';
import { benchMetadataProxy } from './metadata-proxy.ts';
import { scalingSvg } from './plot.ts';
import { benchRender } from './render.ts';
import {
  APPLY_CASES,
  printApi,
  printApply,
  printMetadata,
  printRender,
  printStartup,
  printTargets,
  type Results,
  targets,
} from './report.ts';
import { benchScaling, printScaling } from './scaling.ts';
import { benchStartup } from './startup.ts';
import { progress, round } from './stats.ts';
import { benchVpn, printVpn } from './vpn.ts';

const SECTIONS = ['render', 'apply', 'api', 'startup', 'metadata', 'vpn', 'ha', 'scaling'] as const;
type Section = (typeof SECTIONS)[number];

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
    console.log('usage: npm run bench -- [--json FILE] [--quick] [--only render,apply,api,startup,metadata,vpn,ha,scaling]');
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
  const needsRoot = want('apply') || want('api') || want('startup') || want('vpn') || want('ha') || want('scaling');
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
    if (want('vpn')) {
      await section('vpn', async () => {
        results.vpn = await benchVpn({ prefix: `${base}v`, runs: quick ? 2 : 5, register });
      });
    }
    if (want('ha')) {
      await section('ha', async () => {
        results.ha = await benchHa({ prefix: `${base}h`, runs: quick ? 3 : 6, register });
      });
    }
    if (want('scaling')) {
      await section('scaling', async () => {
        results.scaling = await benchScaling({ prefix: `${base}c`, register });
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
  if (results.vpn) printVpn(results.vpn);
  if (results.ha) printHa(results.ha);
  if (results.scaling) printScaling(results.scaling);
  printTargets(results.targets);
  console.log(
    `\nwhole run: ${results.duration_s} s; load average (1, 5, 15 min) at the start ${m.loadavg_start}, at the end ${m.loadavg_end}`,
  );
  for (const [name, err] of Object.entries(results.errors)) console.log(`\n${name} could not run:\n${err}`);

  if (values.json) {
    await writeFile(values.json, `${JSON.stringify(results, null, 1)}\n`);
    progress(`figures written to ${values.json}`);
    if (results.scaling?.length) {
      const svg = `${values.json.replace(/\.json$/, '')}-scaling.svg`;
      await writeFile(
        svg,
        scalingSvg(results.scaling, `${String(m.date).slice(0, 10)}, ${m.cpus} x ${m.cpu_model}, load ${m.loadavg_start}`),
      );
      progress(`scaling plot written to ${svg}`);
    }
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
