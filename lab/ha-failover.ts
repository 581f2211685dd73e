// A failover in the HA lab, measured: a VM pings the upstream router every
// 20 ms while the primary's data links go down; the outage is the longest gap
// between two answers. Used by the HA lab suite and the benchmark.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { haRoles, waitForOneMaster } from './ha.ts';
import type { Lab } from './lab.ts';
import { ipBatch, sleep } from './netns.ts';

export const PING_INTERVAL_S = 0.02;

/** The data NICs of a router of the lab (every NIC but the management one). */
export function dataNics(lab: Lab): string[] {
  return lab.topo.nics.filter((n) => n.index !== lab.topo.mgmt?.index).map((n) => n.routerIf);
}

/** Pings from a namespace with timestamps until stopped; the longest gap between answers, in ms. */
export function pinger(ns: string, target: string) {
  const child = spawn('ip', ['netns', 'exec', ns, 'ping', '-D', '-n', '-i', String(PING_INTERVAL_S), '-W', '1', target], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const answers: number[] = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    const m = /^\[(\d+\.\d+)\] \d+ bytes from/.exec(l);
    if (m) answers.push(Number(m[1]) * 1000);
  });
  return {
    answers,
    stop(): number {
      child.kill('SIGINT');
      let gap = 0;
      for (let i = 1; i < answers.length; i++) gap = Math.max(gap, (answers[i] ?? 0) - (answers[i - 1] ?? 0));
      return gap;
    },
  };
}

export interface Failover {
  from: number;
  to: number;
  outageMs: number;
}

/**
 * Takes the current primary's data links down, waits for the other router to
 * hold every address, measures the outage seen by `vmNs` towards `target`,
 * then brings the links back (the old primary returns as backup).
 */
export async function failover(lab: Lab, vmNs: string, target: string): Promise<Failover> {
  const routers = lab.topo.routers ?? [];
  const from = await waitForOneMaster(lab);
  const ns = routers[from]?.ns as string;
  const ping = pinger(vmNs, target);
  await lab.waitFor(async () => ping.answers.length > 10, 5000, 'the ping answering before the failover');
  await ipBatch(
    ns,
    dataNics(lab).map((i) => `link set ${i} down`),
  );
  const up = () =>
    ipBatch(
      ns,
      dataNics(lab).map((i) => `link set ${i} up`),
    );
  let to: number;
  try {
    to = await waitForOneMaster(lab, 15_000);
    const seen = ping.answers.length;
    await lab.waitFor(async () => ping.answers.length > seen + 25, 5000, 'the ping answering after the failover');
  } catch (err) {
    ping.stop();
    await up();
    throw err;
  }
  const outageMs = ping.stop();
  await up();
  return { from, to, outageMs };
}

/** Waits until the returned router is a backup again (it holds nothing, the other everything). */
export async function settleAfterReturn(lab: Lab): Promise<string[]> {
  await waitForOneMaster(lab, 15_000);
  await sleep(500);
  return (await haRoles(lab)).map((r) => r.role);
}
