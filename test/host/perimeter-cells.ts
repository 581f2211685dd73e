// The perimeter of docs/security.md as probes: for each side of the router
// (management host, upstream host, a VM on the first tenant network, a VM on
// the second), each address of the router that side can reach and each
// service, whether the router must let it through; then the forwarded paths.
// The expectations are the table, written once here and checked cell by cell.

export type Side = 'management' | 'external' | 'tenant' | 'tenant2';
export type Expect = 'pass' | 'drop';

export interface Cell {
  side: Side;
  /** what is probed, as the table names it: "router external IPv6 / BGP 179/tcp" */
  what: string;
  proto: 'tcp' | 'udp' | 'ping';
  host: string;
  port?: number;
  source?: string;
  sport?: number;
  expect: Expect;
}

/** Addresses of the lab (floating-ips payload) the cells are made from. */
export interface Addresses {
  routerMgmt: string;
  routerExt4: string;
  routerExt6: string;
  /** the router's addresses on the first tenant network, on the second */
  gw4: string;
  gw6: string;
  gw2: string;
  /** the router's link-local address on each side's link, with the prober's scope (%eth0) */
  ll: Partial<Record<Side, string>>;
  orchestrator: { address: string; port: number };
  extHost4: string;
  /** the BGP peer (the upstream host) and another address of the upstream host */
  peer6: string;
  stranger6: string;
  vm1: { v4: string; v6: string; floating: string };
  vm2: { v4: string };
  vm3: { v4: string; floating: string };
  metadataPort: { tenant: number; tenant2: number };
  httpPort: number;
}

type Service = { name: string; proto: 'tcp' | 'udp' | 'ping'; port?: number; families: (4 | 6)[] };

export const SERVICES = (a: Addresses): Service[] => [
  { name: 'ping', proto: 'ping', families: [4, 6] },
  { name: 'ssh 22/tcp', proto: 'tcp', port: 22, families: [4, 6] },
  { name: 'API 5000/tcp', proto: 'tcp', port: 5000, families: [4, 6] },
  { name: 'orchestrator metadata 9697/tcp', proto: 'tcp', port: 9697, families: [4, 6] },
  { name: 'BGP 179/tcp', proto: 'tcp', port: 179, families: [4, 6] },
  { name: 'DNS 53/udp', proto: 'udp', port: 53, families: [4, 6] },
  { name: 'DNS 53/tcp', proto: 'tcp', port: 53, families: [4, 6] },
  { name: 'DHCP 67/udp', proto: 'udp', port: 67, families: [4] },
  { name: 'DHCPv6 547/udp', proto: 'udp', port: 547, families: [6] },
  { name: `metadata listener of tenant ${a.metadataPort.tenant}/tcp`, proto: 'tcp', port: a.metadataPort.tenant, families: [4] },
  { name: `metadata listener of tenant2 ${a.metadataPort.tenant2}/tcp`, proto: 'tcp', port: a.metadataPort.tenant2, families: [4] },
];

type Target = 'management' | 'external' | 'link-local' | 'tenant gateway' | 'tenant2 gateway';

/** Which router address each side can reach (the test gives the hosts the routes). */
function targets(a: Addresses, side: Side): { target: Target; host: string }[] {
  const mgmt = { target: 'management' as const, host: a.routerMgmt };
  const own = a.ll[side];
  const ll = own ? [{ target: 'link-local' as const, host: own }] : [];
  switch (side) {
    case 'management':
      return [mgmt, ...ll, { target: 'external', host: a.routerExt6 }, { target: 'tenant gateway', host: a.gw6 }];
    case 'external':
      return [
        mgmt,
        ...ll,
        { target: 'external', host: a.routerExt4 },
        { target: 'external', host: a.routerExt6 },
        { target: 'tenant gateway', host: a.gw4 },
        { target: 'tenant gateway', host: a.gw6 },
      ];
    case 'tenant':
      return [
        mgmt,
        ...ll,
        { target: 'external', host: a.routerExt4 },
        { target: 'external', host: a.routerExt6 },
        { target: 'tenant gateway', host: a.gw4 },
        { target: 'tenant gateway', host: a.gw6 },
        { target: 'tenant2 gateway', host: a.gw2 },
      ];
    case 'tenant2':
      return [
        { target: 'external', host: a.routerExt4 },
        { target: 'tenant gateway', host: a.gw4 },
        { target: 'tenant2 gateway', host: a.gw2 },
      ];
  }
}

/** The router's own services: the table of docs/security.md, "The router itself". */
export function routerExpect(side: Side, target: Target, service: string, family: 4 | 6): Expect {
  const ok = (yes: boolean): Expect => (yes ? 'pass' : 'drop');
  const tenant = side === 'tenant' || side === 'tenant2';
  const ownGateway = (side === 'tenant' && target === 'tenant gateway') || (side === 'tenant2' && target === 'tenant2 gateway');
  if (service === 'ping') return ok(target !== 'management' || side === 'management');
  if (/^(ssh|API|orchestrator metadata) /.test(service)) return ok(side === 'management' && target === 'management');
  if (service.startsWith('BGP')) return ok(side === 'external' && target === 'external' && family === 6);
  if (service.startsWith('DNS ')) return ok(tenant && (ownGateway || target === 'link-local'));
  if (service.startsWith('DHCP ')) return ok(tenant && ownGateway);
  if (service.startsWith('DHCPv6')) return ok(tenant && target === 'link-local');
  if (service.includes('of tenant ')) return ok(side === 'tenant' && ownGateway);
  if (service.includes('of tenant2 ')) return ok(side === 'tenant2' && ownGateway);
  throw new Error(`no expectation for ${service}`);
}

const v6 = (h: string) => h.includes(':');

export function routerCells(a: Addresses): Cell[] {
  const cells: Cell[] = [];
  for (const side of ['management', 'external', 'tenant', 'tenant2'] as Side[]) {
    for (const t of targets(a, side)) {
      const family = v6(t.host) ? 6 : 4;
      for (const s of SERVICES(a).filter((x) => x.families.includes(family))) {
        cells.push({
          side,
          what: `router ${t.target} ${t.host.split('%')[0]} / ${s.name}`,
          proto: s.proto,
          host: t.host,
          port: s.port,
          // the upstream host speaks from its peering address (it has a second one, below)
          source: side === 'external' && family === 6 && t.target !== 'link-local' ? a.peer6 : undefined,
          expect: routerExpect(side, t.target, s.name, family),
        });
      }
    }
  }
  // BGP from the upstream host, but not from its configured peering address
  cells.push({
    side: 'external',
    what: `router external ${a.routerExt6} / BGP 179/tcp from ${a.stranger6}, not the peer`,
    proto: 'tcp',
    host: a.routerExt6,
    port: 179,
    source: a.stranger6,
    expect: 'drop',
  });
  for (const side of ['tenant', 'tenant2'] as const) {
    cells.push({ side, what: 'router metadata 169.254.169.254:80/tcp', proto: 'tcp', host: '169.254.169.254', port: 80, expect: 'pass' });
  }
  return cells;
}

/** Forwarded paths: the table of docs/security.md, "Through the router". */
export function forwardCells(a: Addresses): Cell[] {
  const http = (side: Side, what: string, host: string, expect: Expect): Cell => ({
    side,
    what,
    proto: 'tcp',
    host,
    port: a.httpPort,
    expect,
  });
  const orch = a.orchestrator;
  return [
    http('management', `tenant VM ${a.vm1.v6} (routed IPv6)`, a.vm1.v6, 'drop'),
    { side: 'management', what: `tenant VM ${a.vm1.v6} / ping`, proto: 'ping', host: a.vm1.v6, expect: 'drop' },
    http('management', `upstream host ${a.peer6}`, a.peer6, 'drop'),
    http('external', `floating IP ${a.vm1.floating} of ${a.vm1.v4}`, a.vm1.floating, 'pass'),
    http('external', `floating IP ${a.vm3.floating} of ${a.vm3.v4}`, a.vm3.floating, 'pass'),
    http('external', `fixed address ${a.vm1.v4} (has a floating IP)`, a.vm1.v4, 'drop'),
    http('external', `fixed address ${a.vm2.v4} (no floating IP)`, a.vm2.v4, 'drop'),
    http('external', `tenant VM ${a.vm1.v6} (routed IPv6)`, a.vm1.v6, 'pass'),
    {
      side: 'external',
      what: `orchestrator ${orch.address}:${orch.port}`,
      proto: 'tcp',
      host: orch.address,
      port: orch.port,
      expect: 'drop',
    },
    http('tenant', `upstream host ${a.extHost4} (source NAT)`, a.extHost4, 'pass'),
    http('tenant', `upstream host ${a.peer6} (routed IPv6)`, a.peer6, 'pass'),
    http('tenant', `tenant2 VM ${a.vm3.v4}`, a.vm3.v4, 'pass'),
    http('tenant', `floating IP ${a.vm3.floating} of tenant2 VM ${a.vm3.v4} (hairpin)`, a.vm3.floating, 'pass'),
    {
      side: 'tenant',
      what: `orchestrator ${orch.address}:${orch.port}`,
      proto: 'tcp',
      host: orch.address,
      port: orch.port,
      expect: 'drop',
    },
    { side: 'tenant', what: `orchestrator ${orch.address} / ping`, proto: 'ping', host: orch.address, expect: 'drop' },
    http('tenant2', `tenant VM ${a.vm1.v4}`, a.vm1.v4, 'pass'),
    http('tenant2', `floating IP ${a.vm1.floating} of tenant VM ${a.vm1.v4} (hairpin)`, a.vm1.floating, 'pass'),
    http('tenant2', `upstream host ${a.extHost4} (source NAT)`, a.extHost4, 'pass'),
  ];
}
