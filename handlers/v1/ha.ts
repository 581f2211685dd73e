// GET /v1/system/ha: the router's part in a VRRP pair (ha_resource). The role is
// what keepalived's transition script last recorded; whether the router holds
// its VRRP-owned addresses is read from the links, so a stale role shows.

import { vrrpAddresses } from '../../features/ha/owned.ts';
import type { LinkFact } from '../../features/kit/facts.ts';
import type { Model } from '../../schema/model.ts';
import type { HaFact, Handler } from '../context.ts';
import { jsonResponse } from '../http.ts';

export interface HaView {
  enabled: boolean;
  role: string;
  since: number | null;
  priority: number | null;
  peers: string[];
  /** VRRP-owned addresses present on the links, and how many there are */
  held: number;
  owned: number;
  keepalived: boolean;
  conntrackd: boolean;
}

export function haView(model: Model | null, ha: HaFact | undefined, links: readonly LinkFact[]): HaView {
  const owned = model ? vrrpAddresses(model) : [];
  const present = new Set(links.flatMap((l) => l.addresses.map((a) => `${l.ifname}/${a.address}`)));
  const held = owned.filter((a) => present.has(`${a.ifname}/${a.address}`)).length;
  const enabled = model?.ha != null;
  return {
    enabled,
    // a single router is the only one: it holds everything
    role: enabled ? (ha?.role ?? 'unknown') : 'standalone',
    since: enabled ? (ha?.since ?? null) : null,
    priority: model?.ha?.priority ?? null,
    peers: model?.ha?.peers ?? [],
    held,
    owned: owned.length,
    keepalived: ha?.keepalived ?? false,
    conntrackd: ha?.conntrackd ?? false,
  };
}

export const getHa: Handler = (_req, ctx) => ({
  kind: 'response',
  response: jsonResponse({ ha: haView(ctx.state.applied?.model ?? null, ctx.ha, ctx.links ?? []) }),
});
