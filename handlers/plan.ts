// The plan: ordered, JSON-printable steps that bring the host from what the
// facts say to what the model wants, and nothing more.
import { createHash } from 'node:crypto';
import { dnsmasqWanted } from '../renderers/dnsmasq.ts';
import type { RenderedFile } from '../renderers/index.ts';
import { FILES } from '../renderers/index.ts';
import type { Family, Model, Network } from '../schema/model.ts';
import { cidrContains, isLinkLocal } from '../schema/syntax.ts';
import { type Facts, type LinkFact, nicLinks, type RouteFact } from './facts.ts';

export type ServiceName = 'dnsmasq' | 'bird6' | 'metadata';

export type Step =
  | { kind: 'write-file'; path: string; content: string; mode: number }
  | { kind: 'sysctl'; key: string; value: string }
  | { kind: 'ip-batch'; reason: string; commands: string[]; tolerant?: boolean }
  | { kind: 'iptables-restore'; family: Family; path: string }
  | { kind: 'conntrack-flush'; address: string }
  | { kind: 'service'; name: ServiceName; action: 'start' | 'restart' | 'reload' | 'stop' }
  | { kind: 'garp'; ifname: string; address: string }
  | { kind: 'hostname'; name: string };

export interface Plan {
  steps: Step[];
}

export interface PlanOptions {
  /** re-load rules and services even if their files are unchanged (start-up convergence) */
  force?: boolean;
  /** the configuration the agent last applied or tried to: what it may have put on NICs the new one drops */
  previous?: Model | null;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** renderAll computes each digest once; a re-push of the same body reuses them. */
export function digestOf(file: RenderedFile): string {
  return file.digest ?? sha256(file.content);
}

export function summarise(plan: Plan): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of plan.steps) {
    const key = s.kind === 'service' ? `${s.kind}:${s.name}:${s.action}` : s.kind;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

interface Desired {
  address: string;
  prefixLength: number;
  family: Family;
}

/** Addresses the network's link must carry: its own plus floating IPs (external only). */
function desiredAddresses(n: Network): Desired[] {
  const own: Desired[] = n.addresses.map((a) => ({ address: a.address, prefixLength: a.prefixLength, family: a.family }));
  const fips: Desired[] = n.floatingIps
    .filter((f) => !own.some((a) => a.address === f.floating))
    .map((f) => ({ address: f.floating, prefixLength: f.prefixLength, family: f.family }));
  return [...own, ...fips];
}

function sysctlSteps(m: Model, facts: Facts, links: Map<string, LinkFact>): Step[] {
  const want: [string, string][] = [
    ['net/ipv4/ip_forward', '1'],
    ['net/ipv6/conf/all/forwarding', '1'],
  ];
  for (const n of m.networks) {
    if (!links.has(n.ifname)) continue;
    // the addresses are assigned by the orchestrator, duplicates are its problem; DAD would only delay them
    if (n.type !== 'external') want.push([`net/ipv6/conf/${n.ifname}/accept_dad`, '0']);
    want.push([`net/ipv4/conf/${n.ifname}/arp_notify`, '1']);
    // keep secondary addresses when a primary of the same subnet is removed
    want.push([`net/ipv4/conf/${n.ifname}/promote_secondaries`, '1']);
  }
  return want.filter(([k, v]) => facts.sysctls[k] !== v).map(([key, value]) => ({ kind: 'sysctl', key, value }));
}

function linkCommands(m: Model, links: Map<string, LinkFact>): string[] {
  const out: string[] = [];
  for (const n of m.networks) {
    const link = links.get(n.ifname);
    if (!link) continue;
    if (n.mtu !== null && link.mtu !== n.mtu) out.push(`link set dev ${n.ifname} mtu ${n.mtu}`);
    if (!link.up) out.push(`link set dev ${n.ifname} up`);
  }
  return out;
}

interface AddressChanges {
  /** "ifname/family" of links losing an address: the kernel may flush routes through them */
  shaken: Set<string>;
  deletes: string[];
  adds: string[];
  removed: string[];
  added: { ifname: string; address: string; family: Family }[];
}

function addressChanges(m: Model, links: Map<string, LinkFact>, nics: LinkFact[], previous: Model | null): AddressChanges {
  const out: AddressChanges = { shaken: new Set(), deletes: [], adds: [], removed: [], added: [] };
  // a NIC the configuration no longer names loses what the agent put there (pushing A then B leaves
  // the host as B alone); addresses someone else configured, on any link, are not the agent's to remove
  const named = new Set(m.networks.map((n) => n.ifname));
  for (const nic of nics) {
    if (named.has(nic.ifname)) continue;
    const before = previous?.networks.find((n) => n.ifname === nic.ifname);
    if (!before) continue;
    const ours = new Set(desiredAddresses(before).map((d) => `${d.address}/${d.prefixLength}`));
    for (const a of nic.addresses) {
      if (isLinkLocal(a.address) || !ours.has(`${a.address}/${a.prefixLength}`)) continue;
      out.deletes.push(`address del ${a.address}/${a.prefixLength} dev ${nic.ifname}`);
      out.removed.push(a.address);
    }
  }
  for (const n of m.networks) {
    const link = links.get(n.ifname);
    if (!link) continue;
    const current = link.addresses.filter((a) => !isLinkLocal(a.address));
    const desired = desiredAddresses(n);
    const key = (a: { address: string; prefixLength: number }) => `${a.address}/${a.prefixLength}`;
    const desiredKeys = new Set(desired.map(key));
    const currentKeys = new Set(current.map(key));
    for (const a of current) {
      if (desiredKeys.has(key(a))) continue;
      out.deletes.push(`address del ${key(a)} dev ${n.ifname}`);
      out.shaken.add(`${n.ifname}/${a.family}`);
      if (!desired.some((d) => d.address === a.address)) out.removed.push(a.address);
    }
    for (const d of desired) {
      const present = current.find((a) => key(a) === key(d));
      if (present && present.permanent === false) {
        // a SLAAC or DHCP lifetime would let the address expire: forwarding routers ignore the adverts that renew it
        out.adds.push(
          `address replace ${key(d)}${d.family === 4 ? ' brd +' : ' nodad'} dev ${n.ifname} valid_lft forever preferred_lft forever`,
        );
        continue;
      }
      if (currentKeys.has(key(d))) continue;
      out.adds.push(`address add ${key(d)}${d.family === 4 ? ' brd +' : ' nodad'} dev ${n.ifname}`);
      out.added.push({ ifname: n.ifname, address: d.address, family: d.family });
    }
  }
  return out;
}

interface WantedRoute {
  family: Family;
  dst: string;
  gateway: string;
  dev: string;
}

function wantedRoutes(m: Model): WantedRoute[] {
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

/** Routes the agent owns: protocol static, as it adds them; kernel and other routes are left alone. */
function routeCommands(
  m: Model,
  routes: RouteFact[],
  managedLinks: Set<string>,
  shaken: Set<string>,
): { deletes: string[]; adds: string[] } {
  const wanted = wantedRoutes(m);
  const same = (w: WantedRoute, r: RouteFact) => r.family === w.family && r.dst === w.dst && r.gateway === w.gateway && r.dev === w.dev;
  const deletes = routes
    .filter((r) => r.protocol === 'static' && r.dev !== null && managedLinks.has(r.dev))
    .filter((r) => !wanted.some((w) => same(w, r)))
    .filter((r) => !(r.dst === 'default' && wanted.some((w) => w.dst === 'default' && w.family === r.family)))
    .map((r) => `route del ${r.dst === 'default' && r.family === 6 ? '::/0' : r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev}`);
  const adds = wanted
    .filter((w) => shaken.has(`${w.dev}/${w.family}`) || !routes.some((r) => same(w, r) && r.protocol === 'static'))
    .map((w) => `route replace ${w.dst === 'default' && w.family === 6 ? '::/0' : w.dst} via ${w.gateway} dev ${w.dev} proto static`);
  return { deletes, adds };
}

function fileSteps(files: RenderedFile[], facts: Facts): { steps: Step[]; changed: Set<string> } {
  const changed = new Set<string>();
  const steps: Step[] = [];
  for (const f of files) {
    if (facts.files[f.path] === digestOf(f)) continue;
    changed.add(f.path);
    steps.push({ kind: 'write-file', path: f.path, content: f.content, mode: f.mode });
  }
  return { steps, changed };
}

function serviceSteps(m: Model, facts: Facts, changed: Set<string>, force: boolean): Step[] {
  const steps: Step[] = [];
  const running = (name: ServiceName) => facts.services[name]?.running === true;
  if (dnsmasqWanted(m)) {
    if (!running('dnsmasq')) steps.push({ kind: 'service', name: 'dnsmasq', action: 'start' });
    else if (changed.has(FILES.dnsmasqConf)) steps.push({ kind: 'service', name: 'dnsmasq', action: 'restart' });
    else if (changed.has(FILES.dnsmasqHosts) || changed.has(FILES.dnsmasqOpts) || force)
      steps.push({ kind: 'service', name: 'dnsmasq', action: 'reload' });
  } else if (running('dnsmasq')) steps.push({ kind: 'service', name: 'dnsmasq', action: 'stop' });

  if (!running('bird6')) steps.push({ kind: 'service', name: 'bird6', action: 'start' });
  else if (changed.has(FILES.bird6) || force) steps.push({ kind: 'service', name: 'bird6', action: 'reload' });

  if (!running('metadata') || changed.has(FILES.metadata) || force) steps.push({ kind: 'service', name: 'metadata', action: 'reload' });
  return steps;
}

/**
 * Order: files first (already checked), then kernel state that does not
 * disturb traffic (sysctls, links), addresses (deletes before adds), routes,
 * firewall, services, then announcements.
 */
export function planConfiguration(m: Model, files: RenderedFile[], facts: Facts, options: PlanOptions = {}): Plan {
  const force = options.force === true;
  const links = new Map(facts.links.map((l) => [l.ifname, l]));
  const { steps: writes, changed } = fileSteps(files, facts);
  const steps: Step[] = [...writes];
  if (facts.hostname !== m.hostname) steps.push({ kind: 'hostname', name: m.hostname });
  steps.push(...sysctlSteps(m, facts, links));

  const addr = addressChanges(m, links, nicLinks(facts), options.previous ?? null);
  const managed = new Set(m.networks.map((n) => n.ifname));
  const batch = [...linkCommands(m, links), ...addr.deletes, ...addr.adds];
  if (batch.length) steps.push({ kind: 'ip-batch', reason: 'links and addresses', commands: batch });
  // routes are computed against the routes that survive the address changes
  const routes = routeCommands(m, facts.routes, managed, addr.shaken);
  // the kernel drops routes whose next hop went away with an address: a failed delete is fine
  if (routes.deletes.length) steps.push({ kind: 'ip-batch', reason: 'stale routes', commands: routes.deletes, tolerant: true });
  if (routes.adds.length) steps.push({ kind: 'ip-batch', reason: 'routes', commands: routes.adds });

  for (const family of [4, 6] as const) {
    const path = family === 4 ? FILES.rulesV4 : FILES.rulesV6;
    if (changed.has(path) || force) steps.push({ kind: 'iptables-restore', family, path });
  }
  for (const address of addr.removed) steps.push({ kind: 'conntrack-flush', address });
  steps.push(...serviceSteps(m, facts, changed, force));
  for (const a of addr.added) if (a.family === 4) steps.push({ kind: 'garp', ifname: a.ifname, address: a.address });
  return { steps };
}
