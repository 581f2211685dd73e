// The scaling series: how a push grows with the configuration. One lab router
// (the large-scale NICs, the production bundle); for every point of
// bench/scaling-bodies.ts the management-only configuration is pushed first,
// then the point (timed: "push"), then the point again twice (timed:
// "re-push"). A push from the management-only configuration adds every
// address, route, rule and lease file of the point, and starts the daemons the
// point needs, as a cold push does.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { labDown, labUp } from '../lab/lab.ts';
import { measuredPut, type PutSample, waitQuiet } from './apply-agent.ts';
import { payloadPath } from './render.ts';
import { resetBody, type ScalingBody, scalingBodies } from './scaling-bodies.ts';
import { median, ms, num, PRODUCTION_ENTRY, progress, round, table } from './stats.ts';

export interface ScalingPoint {
  series: ScalingBody['series'];
  x: number;
  status: number;
  push_ms: number;
  push_agent_ms: number;
  push_spawns: number;
  push_loop_p99_ms: number;
  repush_ms: number;
  repush_spawns: number;
  body_kib: number;
}

export async function benchScaling(opts: { prefix: string; register: (p: string) => void }): Promise<ScalingPoint[]> {
  const file = payloadPath('large-scale');
  const points = scalingBodies(await readFile(file, 'utf8'));
  opts.register(opts.prefix);
  const out: ScalingPoint[] = [];
  try {
    progress('scaling: lab');
    const lab = await labUp({
      payload: file,
      push: false,
      dhcp: false,
      maxVmsPerNetwork: 0,
      agentEntry: PRODUCTION_ENTRY,
      prefix: opts.prefix,
    });
    const resetFile = path.join(lab.topo.dir, 'scaling-reset.json');
    await writeFile(resetFile, resetBody(points));
    for (const [i, p] of points.entries()) {
      progress(`scaling: ${p.series} ${p.x}`);
      const pointFile = path.join(lab.topo.dir, `scaling-${i}.json`);
      await writeFile(pointFile, p.body);
      const put = async (f: string) => {
        const s = await measuredPut(lab, f);
        await waitQuiet(lab);
        return s;
      };
      await put(resetFile);
      const push = await put(pointFile);
      const repush: PutSample[] = [await put(pointFile), await put(pointFile)];
      out.push({
        series: p.series,
        x: p.x,
        status: push.status,
        push_ms: push.wall_ms,
        push_agent_ms: push.agent_ms,
        push_spawns: push.spawns,
        push_loop_p99_ms: push.loop_p99_ms,
        repush_ms: round(median(repush.map((s) => s.wall_ms))),
        repush_spawns: Math.max(...repush.map((s) => s.spawns)),
        body_kib: round(p.body.length / 1024, 1),
      });
    }
  } finally {
    await labDown(opts.prefix);
  }
  return out;
}

const LABEL: Record<ScalingBody['series'], string> = { networks: 'networks', allocations: 'allocations', floating_ips: 'floating IPs' };

export function printScaling(points: ScalingPoint[]): void {
  console.log('\n## Scaling: push from the management-only configuration, and the identical re-push (large-scale lab; wall ms)');
  const rows = points.map((p) => [
    LABEL[p.series],
    num(p.x),
    `${num(p.body_kib)} KiB`,
    num(p.status),
    ms(p.push_ms),
    ms(p.push_agent_ms),
    num(p.push_spawns),
    ms(p.push_loop_p99_ms),
    ms(p.repush_ms),
    num(p.repush_spawns),
  ]);
  console.log(table(['series', 'count', 'body', 'status', 'push', 'agent ms', 'spawns', 'loop p99', 're-push', 're-push spawns'], rows));
}
