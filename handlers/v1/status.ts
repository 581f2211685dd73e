// GET /v1/status: reachability of configured targets, by family.
import type { Model } from '../../schema/model.ts';
import { parseAddress } from '../../schema/syntax.ts';
import type { Handler } from '../context.ts';
import { jsonResponse } from '../http.ts';

export interface StatusTargets {
  v4: string[];
  v6: string[];
}

/** Configured targets win; else the default gateways of the applied configuration. Never a public constant. */
export function statusTargets(configured: string[], model: Model | null): StatusTargets {
  const out: StatusTargets = { v4: [], v6: [] };
  const source = configured.length
    ? configured
    : [model?.defaultV4Gateway?.address, model?.defaultV6Gateway?.address].filter((x): x is string => !!x);
  for (const t of source) {
    const p = parseAddress(t);
    if (p) out[p.family === 4 ? 'v4' : 'v6'].push(p.address);
  }
  return out;
}

export function statusResponse(results: { v4: boolean[]; v6: boolean[] }) {
  return { v4: results.v4.some(Boolean), v6: results.v6.some(Boolean) };
}

export const pingArgv = (family: 4 | 6, target: string) => ['ping', family === 6 ? '-6' : '-4', '-n', '-c', '1', '-W', '2', target];

export const getStatus: Handler = (_req, ctx) => {
  const targets = statusTargets(ctx.state.statusTargets, ctx.state.applied?.model ?? null);
  const probes = [...targets.v4.map((t) => ({ family: 4 as const, t })), ...targets.v6.map((t) => ({ family: 6 as const, t }))];
  return {
    kind: 'query',
    steps: probes.map((p) => ({ phase: 'check', kind: 'run', reason: `status probe ${p.t}`, argv: pingArgv(p.family, p.t) })),
    respond: (results) => {
      const ok = results.map((r) => r.exitCode === 0);
      const reach = statusResponse({ v4: ok.slice(0, targets.v4.length), v6: ok.slice(targets.v4.length) });
      // an HA router says its VRRP role too (GET /v1/system/ha has the details)
      const ha = ctx.state.applied?.model.ha ? { ha_role: ctx.ha?.role ?? 'unknown' } : {};
      return jsonResponse({ ...reach, ...ha });
    },
  };
};
