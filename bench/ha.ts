// The HA failover outage: `npm run bench:ha [-- --runs N --json FILE]`. Builds
// the HA lab (ha-pair: two routers), then fails the primary over N times
// (its data links down, then back: with nopreempt the roles alternate) while a
// VM pings the upstream router every 20 ms; the outage of one failover is the
// longest gap between two answers. Prints min, median and max. Needs root.
// A script of its own beside bench/run.ts (not a section of it).
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { failover, PING_INTERVAL_S, settleAfterReturn } from '../lab/ha-failover.ts';
import { labDown, labUp } from '../lab/lab.ts';
import { testdataPayload } from '../lab/paths.ts';
import { progress, summarize } from './stats.ts';

const PREFIX = 'habench';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'string' } } });
  const runs = Math.max(1, Number(values.runs));
  if (process.getuid?.() !== 0) throw new Error('bench:ha needs root (network namespaces)');
  progress('building the HA lab (ha-pair)');
  const lab = await labUp({ payload: testdataPayload('ha-pair'), prefix: PREFIX, maxVmsPerNetwork: 1, log: progress });
  try {
    const vm = lab.topo.vms.find((v) => v.ipv4);
    if (!vm) throw new Error('the lab has no VM with IPv4');
    const outages: number[] = [];
    for (let i = 0; i < runs; i++) {
      const f = await failover(lab, vm.ns, '172.24.4.1');
      await settleAfterReturn(lab);
      outages.push(f.outageMs);
      progress(`failover ${i + 1}/${runs}: router ${f.from} -> ${f.to}, outage ${Math.round(f.outageMs)} ms`);
    }
    const summary = summarize(outages, 0);
    process.stdout.write(
      `HA failover outage over ${runs} failovers (ping every ${PING_INTERVAL_S * 1000} ms): ` +
        `min ${summary.min} ms, median ${summary.median} ms, max ${summary.max} ms (target < 3000 ms)\n`,
    );
    if (values.json) await writeFile(values.json, `${JSON.stringify({ ha_failover_outage_ms: summary, runs: outages }, null, 1)}\n`);
  } finally {
    await labDown(PREFIX);
  }
}

main().catch(async (err) => {
  process.stderr.write(`bench:ha: ${(err as Error).message}\n`);
  await labDown(PREFIX).catch(() => {});
  process.exit(1);
});
