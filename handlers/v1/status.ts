// GET /v1/status: reachability of configured targets, by family.
import type { Model } from '../../schema/model.ts';
import { parseAddress } from '../../schema/syntax.ts';

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
