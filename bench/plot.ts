// The scaling series as an SVG: one panel per series, push and re-push time
// against the count (points evenly spaced, labelled with their count), with a
// shared millisecond axis per panel. No dependencies: the SVG is written by hand.
import type { ScalingPoint } from './scaling.ts';

const W = 300;
const H = 240;
const M = { left: 52, right: 12, top: 30, bottom: 42 };
const LINES = [
  { key: 'push_ms', label: 'push', color: '#c0392b' },
  { key: 're-push', label: 'identical re-push', color: '#2471a3' },
] as const;
const TITLES: Record<ScalingPoint['series'], string> = {
  networks: 'networks (with their allocations, FIPs)',
  allocations: 'allocations (22 networks, no FIPs)',
  floating_ips: 'floating IPs (22 networks, 2,000 allocations)',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

/** a round step for about 5 ticks up to max */
function ticks(max: number): number[] {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = ([1, 2, 2.5, 5, 10].find((s) => s * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) out.push(Math.round(v * 100) / 100);
  return out;
}

function panel(points: ScalingPoint[], series: ScalingPoint['series'], dx: number): string {
  const pts = points.filter((p) => p.series === series);
  const value = (p: ScalingPoint, key: (typeof LINES)[number]['key']) => (key === 'push_ms' ? p.push_ms : p.repush_ms);
  const max = Math.max(1, ...pts.flatMap((p) => LINES.map((l) => value(p, l.key))).filter(Number.isFinite));
  const ys = ticks(max);
  const top = ys.at(-1) ?? max;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (i: number) => dx + M.left + (pts.length === 1 ? pw / 2 : (i * pw) / (pts.length - 1));
  const y = (v: number) => M.top + ph - (v / top) * ph;
  const out: string[] = [`<text x="${dx + W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(TITLES[series])}</text>`];
  for (const t of ys) {
    out.push(`<line x1="${dx + M.left}" x2="${dx + W - M.right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/>`);
    out.push(`<text x="${dx + M.left - 5}" y="${y(t) + 4}" text-anchor="end">${t}</text>`);
  }
  pts.forEach((p, i) => {
    out.push(`<text x="${x(i)}" y="${M.top + ph + 16}" text-anchor="middle">${fmt(p.x)}</text>`);
  });
  out.push(
    `<text x="${dx + 12}" y="${M.top + ph / 2}" transform="rotate(-90 ${dx + 12} ${M.top + ph / 2})" text-anchor="middle">ms</text>`,
  );
  out.push(`<line x1="${dx + M.left}" x2="${dx + M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${dx + M.left}" x2="${dx + W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>`);
  for (const l of LINES) {
    const coords = pts.map((p, i) => [x(i), y(value(p, l.key))] as const).filter(([, v]) => Number.isFinite(v));
    out.push(
      `<polyline fill="none" stroke="${l.color}" stroke-width="2" points="${coords.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`,
    );
    for (const [a, b] of coords) out.push(`<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3" fill="${l.color}"/>`);
  }
  return out.join('\n');
}

export function scalingSvg(points: ScalingPoint[], caption: string): string {
  const series = (['networks', 'allocations', 'floating_ips'] as const).filter((s) => points.some((p) => p.series === s));
  const width = W * series.length;
  const height = H + 30;
  const legend = LINES.map(
    (l, i) =>
      `<rect x="${10 + i * 170}" y="${H + 10}" width="14" height="4" fill="${l.color}"/><text x="${30 + i * 170}" y="${H + 16}">${esc(l.label)}</text>`,
  ).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>Push and identical re-push time against ${series.map((s) => TITLES[s].split(' (')[0]).join(', ')}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...series.map((s, i) => panel(points, s, i * W)),
    legend,
    `<text x="${width - 8}" y="${H + 16}" text-anchor="end" fill="#555">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
