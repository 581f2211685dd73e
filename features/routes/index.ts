// Routes the agent owns: protocol static, as it adds them; kernel routes and
// anyone else's are left alone. Default routes through the chosen gateways and
// the subnets' host routes whose next hop is on a connected prefix.
import type { Family, Model } from '../../schema/model.ts';
import { cidrContains, isLinkLocal } from '../../schema/syntax.ts';
import { vrrpOwnsLink } from '../ha/owned.ts';
import { lines } from '../interfaces/index.ts';
import type { RouteFact } from '../kit/facts.ts';
import type { Feature, PhasedStep } from '../kit/feature.ts';

interface WantedRoute {
  family: Family;
  dst: string;
  gateway: string;
  dev: string;
}

export function wantedRoutes(m: Model): WantedRoute[] {
  const out: WantedRoute[] = [];
  if (m.defaultV4Gateway) out.push({ family: 4, dst: 'default', gateway: m.defaultV4Gateway.address, dev: m.defaultV4Gateway.ifname });
  if (m.defaultV6Gateway) out.push({ family: 6, dst: 'default', gateway: m.defaultV6Gateway.address, dev: m.defaultV6Gateway.ifname });
  for (const n of m.networks) {
    for (const s of n.subnets) {
      for (const r of s.hostRoutes) {
        if (out.some((x) => x.dst === r.destination)) continue;
        // subnet host routes are for the tenants: they never replace the router's default route,
        // and a next hop off every connected prefix could not be installed
        if (r.destination.endsWith('/0')) continue;
        const onLink =
          isLinkLocal(r.nexthop) || n.addresses.some((a) => a.family === r.family && cidrContains(a.address, a.prefixLength, r.nexthop));
        if (!onLink) continue;
        out.push({ family: r.family, dst: r.destination, gateway: r.nexthop, dev: n.ifname });
      }
    }
  }
  return out;
}

const dstText = (family: Family, dst: string) => (dst === 'default' && family === 6 ? '::/0' : dst);

export function routeCommands(m: Model, routes: readonly RouteFact[], shaken: ReadonlySet<string>): { deletes: string[]; adds: string[] } {
  const managed = new Set(m.networks.map((n) => n.ifname));
  // under ha_resource keepalived holds the routes through the links it owns (virtual_routes)
  const wanted = wantedRoutes(m).filter((w) => !vrrpOwnsLink(m, w.dev));
  const same = (w: WantedRoute, r: RouteFact) => r.family === w.family && r.dst === w.dst && r.gateway === w.gateway && r.dev === w.dev;
  const deletes = routes
    .filter((r) => r.protocol === 'static' && r.dev !== null && managed.has(r.dev))
    .filter((r) => !wanted.some((w) => same(w, r)))
    .filter((r) => !(r.dst === 'default' && wanted.some((w) => w.dst === 'default' && w.family === r.family)))
    .map((r) => `route del ${dstText(r.family, r.dst)}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev}`);
  // a link that lost an address may have lost its routes with it: they are re-asserted
  const adds = wanted
    .filter((w) => shaken.has(`${w.dev}/${w.family}`) || !routes.some((r) => same(w, r) && r.protocol === 'static'))
    .map((w) => `route replace ${dstText(w.family, w.dst)} via ${w.gateway} dev ${w.dev} proto static`);
  return { deletes, adds };
}

export const routes: Feature = {
  name: 'routes',
  paths: [],
  plan: ({ model, facts, shared }) => {
    const { deletes, adds } = routeCommands(model, facts.routes, shared.shakenLinks);
    const steps: PhasedStep[] = [];
    // the kernel drops routes whose next hop went away with an address: a failed delete is fine
    if (deletes.length) {
      steps.push({
        phase: 'stale-routes',
        kind: 'run',
        reason: 'stale routes',
        argv: ['ip', '-force', '-batch', '-'],
        input: lines(deletes),
        okExit: 'any',
      });
    }
    if (adds.length) steps.push({ phase: 'routes', kind: 'run', reason: 'routes', argv: ['ip', '-batch', '-'], input: lines(adds) });
    return steps;
  },
};
