// Talking to a lab's agent for the benchmarks: a PUT timed by curl in the
// management namespace (as the orchestrator sends it), the agent's "apply"
// log line for its counters, and what else runs in the router namespace.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Lab } from '../lab/lab.ts';
import { round, sleep } from './stats.ts';

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
  /** the agent's event-loop delay during the PUT (p99, from monitorEventLoopDelay), ms */
  loop_p99_ms: number;
  loop_max_ms: number;
  plan: Record<string, number>;
  /** processes other than the agent and its daemons still running in the router namespace when the answer came */
  stragglers: number;
}

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
  loop_p99_ms?: number;
  loop_max_ms?: number;
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

// the agent, its command helper (node) and its daemons
const EXPECTED = new Set(['node', 'dnsmasq', 'bird6']);

/** Processes in the router namespace that are neither the agent nor its daemons (arping, checkers, ...). */
export async function stragglers(lab: Lab): Promise<string[]> {
  const pids = await lab.routerPids();
  const out: string[] = [];
  for (const pid of pids) {
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
    if (!comm || EXPECTED.has(comm)) continue;
    // the agent's long-lived fact readers (ip -j ... -batch -) run for as long as it does
    if (comm === 'ip' && (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes('\0-batch\0-')) continue;
    out.push(comm);
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
    loop_p99_ms: line?.loop_p99_ms ?? Number.NaN,
    loop_max_ms: line?.loop_max_ms ?? Number.NaN,
    plan: line?.plan ?? {},
    stragglers: left.length,
  };
}
