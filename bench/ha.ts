// The HA failover outage: the HA lab (ha-pair: two routers), then the primary
// failed over N times (its data links down, then back: with nopreempt the
// roles alternate) while a VM pings the upstream router every 20 ms; the
// outage of one failover is the longest gap between two answers. A section of
// `npm run bench` (`--only ha`), or `npm run bench:ha [-- --runs N --json FILE]`
// alone. Needs root.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { failover, PING_INTERVAL_S, settleAfterReturn } from '../lab/ha-failover.ts';
import { labDown, labUp } from '../lab/lab.ts';
import { testdataPayload } from '../lab/paths.ts';
import { progress, type Summary, summarize } from './stats.ts';

export interface HaBench {
  runs: number;
  /** the longest gap between two ping answers across one failover */
  failover_outage_ms: Summary;
  outages_ms: number[];
}

export async function benchHa(opts: { prefix: string; runs: number; register?: (p: string) => void }): Promise<HaBench> {
  opts.register?.(opts.prefix);
  progress('building the HA lab (ha-pair)');
  const lab = await labUp({ payload: testdataPayload('ha-pair'), prefix: opts.prefix, maxVmsPerNetwork: 1, log: progress });
  try {
    const vm = lab.topo.vms.find((v) => v.ipv4);
    if (!vm) throw new Error('the lab has no VM with IPv4');
    const outages: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const f = await failover(lab, vm.ns, '172.24.4.1');
      await settleAfterReturn(lab);
      outages.push(Math.round(f.outageMs));
      progress(`failover ${i + 1}/${opts.runs}: router ${f.from} -> ${f.to}, outage ${Math.round(f.outageMs)} ms`);
    }
    return { runs: opts.runs, failover_outage_ms: summarize(outages, 0), outages_ms: outages };
  } finally {
    await labDown(opts.prefix);
  }
}

export function printHa(h: HaBench): void {
  const s = h.failover_outage_ms;
  console.log(`\n## HA failover outage (${h.runs} failovers, a VM pinging the upstream every ${PING_INTERVAL_S * 1000} ms)`);
  console.log(`min ${s.min} ms, median ${s.median} ms, max ${s.max} ms (target < 3000 ms)`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'string' } } });
  if (process.getuid?.() !== 0) throw new Error('bench:ha needs root (network namespaces)');
  const h = await benchHa({ prefix: 'habench', runs: Math.max(1, Number(values.runs)) });
  printHa(h);
  if (values.json) await writeFile(values.json, `${JSON.stringify(h, null, 1)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch(async (err) => {
    process.stderr.write(`bench:ha: ${(err as Error).message}\n`);
    await labDown('habench').catch(() => {});
    process.exit(1);
  });
}
