// API under load: the agent in a lab router namespace with large-scale.json,
// called from the lab's management namespace by bench/load-client.mjs
// (node:http keep-alive clients). First the liveness probe
// (GET /v1/firewall/rules) back to back while the cold push of the payload
// runs, then while a series of change PUTs runs; then GET /v1/firewall/rules
// and GET /v1/system/interfaces at 1 and 50 concurrent clients.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Lab, labDown, labUp } from '../lab/lab.ts';
import { REPO } from '../lab/paths.ts';
import { agentRssKb, applyLines, waitQuiet } from './apply-agent.ts';
import { payloadPath } from './render.ts';
import { PRODUCTION_ENTRY, progress, round, type Summary, summarize } from './stats.ts';
import { makeVariants } from './variants.ts';

const LOAD_CLIENT = path.join(REPO, 'bench', 'load-client.mjs');

export const LIVENESS = '/v1/firewall/rules';
export const ENDPOINTS = ['/v1/firewall/rules', '/v1/system/interfaces'] as const;

interface LoadOutput {
  requests: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  wall_ms: number;
  rps: number;
  put: { status: number; wall_ms: number }[] | null;
  latencies_ms: number[];
}

export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  latency_ms: Summary;
}

export interface DuringApply {
  probes: number;
  errors: number;
  latency_ms: Summary;
  puts: { status: number; wall_ms: number }[];
  /** the agent's duration_ms of those applies */
  apply_ms: number[];
}

export interface ApiBench {
  payload: string;
  liveness_during_cold_push: DuringApply;
  liveness_during_changes: DuringApply;
  load: Record<string, Record<string, LoadResult>>;
  rss_after_cold_push_mb: number;
  rss_after_load_mb: number;
  /** where the RSS after the load goes: V8's heap (used, reserved) and memory outside it, from GET /metrics */
  memory_after_load_mb: { heap_used: number; heap_total: number; external: number } | null;
}

/** the agent's own heap figures (prom-client's default metrics) */
async function agentMemory(lab: Lab): Promise<ApiBench['memory_after_load_mb']> {
  const r = await lab.api('GET', '/metrics').catch(() => null);
  if (r?.status !== 200) return null;
  const mb = (name: string) => round(Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(r.body)?.[1]) / 2 ** 20, 1);
  return {
    heap_used: mb('nodejs_heap_size_used_bytes'),
    heap_total: mb('nodejs_heap_size_total_bytes'),
    external: mb('nodejs_external_memory_bytes'),
  };
}

async function loadClient(lab: Lab, args: string[]): Promise<LoadOutput> {
  const ns = lab.topo.mgmt?.ns ?? lab.topo.routerNs;
  const r = await lab.exec(ns, [process.execPath, LOAD_CLIENT, ...args], { timeoutMs: 300_000 });
  if (r.exitCode !== 0) throw new Error(`load-client ${args.join(' ')} failed (${r.exitCode}): ${r.stderr.trim().slice(0, 1000)}`);
  return JSON.parse(r.stdout) as LoadOutput;
}

function loadResult(o: LoadOutput): LoadResult {
  return { requests: o.requests, errors: o.errors, rps: o.rps, latency_ms: summarize(o.latencies_ms) };
}

async function during(lab: Lab, files: string[]): Promise<DuringApply> {
  const before = (await applyLines(lab)).length;
  const o = await loadClient(lab, [lab.apiUrl(LIVENESS), '1', '0', '--during-put', lab.apiUrl('/v1/system/config'), files.join(',')]);
  const applies = (await applyLines(lab)).slice(before);
  for (const p of o.put ?? []) if (p.status !== 200) progress(`api: a PUT during the probes answered ${p.status}`);
  return {
    probes: o.requests,
    errors: o.errors,
    latency_ms: summarize(o.latencies_ms),
    puts: o.put ?? [],
    apply_ms: applies.map((a) => a.duration_ms),
  };
}

export async function benchApi(opts: { prefix: string; quick?: boolean; register: (prefix: string) => void }): Promise<ApiBench> {
  const name = 'large-scale';
  const file = payloadPath(name);
  const variants = makeVariants(await readFile(file, 'utf8'));
  opts.register(opts.prefix);
  try {
    progress('api: lab with large-scale.json');
    const lab = await labUp({
      payload: file,
      prefix: opts.prefix,
      push: false,
      dhcp: false,
      maxVmsPerNetwork: 0,
      agentEntry: PRODUCTION_ENTRY,
    });
    const dir = lab.topo.dir;
    const f = { base: path.join(dir, 'bench-base.json'), alloc: path.join(dir, 'bench-alloc.json'), fip: path.join(dir, 'bench-fip.json') };
    await writeFile(f.base, variants.base);
    await writeFile(f.alloc, variants.allocChanged);
    await writeFile(f.fip, variants.withFip);

    progress('api: liveness probe during the cold push');
    const cold = await during(lab, [f.base]);
    await waitQuiet(lab);
    const rssCold = (await agentRssKb(lab)) / 1024;

    progress('api: liveness probe during change PUTs');
    const cycles = opts.quick ? 1 : 3;
    const changes = await during(lab, Array.from({ length: cycles }, () => [f.alloc, f.fip, f.alloc, f.base]).flat());
    await waitQuiet(lab);

    const load: Record<string, Record<string, LoadResult>> = {};
    for (const endpoint of ENDPOINTS) {
      load[endpoint] = {};
      for (const concurrency of [1, 50]) {
        const count = opts.quick ? (concurrency === 1 ? 50 : 200) : concurrency === 1 ? 200 : 1000;
        progress(`api: GET ${endpoint}, ${concurrency} client(s), ${count} requests`);
        const o = await loadClient(lab, [lab.apiUrl(endpoint), String(concurrency), String(count), '--warmup', '5']);
        (load[endpoint] as Record<string, LoadResult>)[`c${concurrency}`] = loadResult(o);
      }
    }
    const rssLoad = (await agentRssKb(lab)) / 1024;
    const memory = await agentMemory(lab);
    return {
      payload: name,
      liveness_during_cold_push: cold,
      liveness_during_changes: changes,
      load,
      rss_after_cold_push_mb: round(rssCold, 1),
      rss_after_load_mb: round(rssLoad, 1),
      memory_after_load_mb: memory,
    };
  } finally {
    await labDown(opts.prefix);
  }
}
