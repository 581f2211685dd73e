// The scaling series' payloads hold the counts they are named by, and the plot
// draws every point of every series.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scalingSvg } from './plot.ts';
import type { ScalingPoint } from './scaling.ts';
import { resetBody, scalingBodies } from './scaling-bodies.ts';

// biome-ignore lint/suspicious/noExplicitAny: payload JSON
type Body = Record<string, any>;
const text = readFileSync(new URL('../test/cases/large-scale/input.json', import.meta.url), 'utf8');
const config = (s: string): Body => {
  const b = JSON.parse(s) as Body;
  return b.configuration ?? b;
};
const allocations = (c: Body) => (c.networks as Body[]).reduce((n, x) => n + (x.allocations?.length ?? 0), 0);

test('each point has the count it is named by, and no address twice', () => {
  const points = scalingBodies(text);
  assert.equal(
    points.map((p) => `${p.series} ${p.x}`),
    ['networks 1', 'networks 5', 'networks 10', 'networks 22']
      .concat(['allocations 10', 'allocations 100', 'allocations 1000', 'allocations 4000'])
      .concat(['floating_ips 0', 'floating_ips 100', 'floating_ips 200', 'floating_ips 400']),
  );
  for (const p of points) {
    const c = config(p.body);
    if (p.series === 'networks') assert.is(c.networks.length, p.x);
    if (p.series === 'allocations') assert.is(allocations(c), p.x);
    if (p.series === 'floating_ips') assert.is(c.floating_ips.length, p.x);
    const ips = (c.networks as Body[]).flatMap((n) => (n.allocations ?? []).flatMap((a: Body) => Object.keys(a.ip_addresses)));
    assert.is(new Set(ips).size, ips.length, `${p.series} ${p.x}: an allocation address twice`);
    const fips = (c.floating_ips as Body[]).map((f) => f.floating_ip);
    assert.is(new Set(fips).size, fips.length, `${p.series} ${p.x}: a floating IP twice`);
    const fixed = new Set(ips);
    for (const f of c.floating_ips as Body[]) assert.ok(fixed.has(f.fixed_ip), `${f.fixed_ip} is no allocation`);
  }
  assert.is(config(resetBody(points)).networks[0].network_type, 'management');
});

test('the plot has one line per series and kind, and a point per figure', () => {
  const points: ScalingPoint[] = scalingBodies(text).map((p, i) => ({
    series: p.series,
    x: p.x,
    status: 200,
    push_ms: 100 + i,
    push_agent_ms: 90,
    push_spawns: 9,
    push_loop_p99_ms: 10,
    repush_ms: 10 + i,
    repush_spawns: 0,
    body_kib: 1,
  }));
  const svg = scalingSvg(points, 'caption <&>');
  assert.is(svg.match(/<polyline /g)?.length, 6);
  assert.is(svg.match(/<circle /g)?.length, 24);
  assert.ok(svg.includes('caption &lt;&amp;>'));
  assert.ok(svg.startsWith('<svg ') && svg.trimEnd().endsWith('</svg>'));
});

test.run();
