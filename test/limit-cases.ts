// Bodies at and just past each limit the daemons enforce (features/dnsmasq/limits.ts),
// shared by the schema test (past the limit: 422 at the path) and the checker
// test (at the limit: the real checkers pass; one step further on the model:
// they fail, which pins the limit to the daemon's own).
import type { Model } from '../schema/model.ts';
import { type Json, network, seed } from './schema-kit.ts';

/** `n` lengths between `min` and `max` that add up to `total`, as even as they come. */
export function lengths(n: number, total: number, min: number, max: number): number[] {
  if (total < n * min || total > n * max) throw new Error(`${n} lengths of ${min}..${max} cannot add up to ${total}`);
  const base = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => base + (i < total - base * n ? 1 : 0));
}

/** A distinct IPv4 address of `len` (9..15) characters: shorter octets first, the last one 100 + i. */
export function v4(i: number, len: number): string {
  const widths = [3, 3, 3];
  for (let k = 0; widths.reduce((a, b) => a + b) > len - 6; k++) widths[k % 3] = (widths[k % 3] as number) - 1;
  const octet = (w: number) => (w === 1 ? '1' : w === 2 ? '10' : '100');
  return [...widths.map(octet), String(100 + i)].join('.');
}

/** A distinct canonical IPv6 address of `len` (15..39) characters with no zero group (so nothing is compressed). */
export function v6(i: number, len: number, prefix: string[] = []): string {
  const groups = 8 - prefix.length;
  const widths = lengths(groups, len - 7 - prefix.reduce((a, g) => a + g.length, 0), 1, 4);
  // the last group carries i; at least two hex digits wide
  if ((widths[groups - 1] as number) < 2) {
    const k = widths.findIndex((w) => w > 2);
    widths[k] = (widths[k] as number) - 1;
    widths[groups - 1] = 2;
  }
  const group = (w: number, last: boolean) => (last ? (0x10 * 16 ** (w - 2) + i).toString(16) : `a${'b'.repeat(w - 1)}`);
  return [...prefix, ...widths.map((w, k) => group(w, k === groups - 1))].join(':');
}

export interface LimitCase {
  name: string;
  /** the JSON path the refusal names */
  path: string;
  /** for a line limit: the longest dnsmasq line of the at-limit body, as the checker reads it */
  longest?: number;
  /** a body exactly at the limit: accepted */
  at: () => Json;
  /** the body one step past it: refused */
  over: () => Json;
  /** the at-limit model one step past it, for the checker (the schema would refuse that body) */
  push: (m: Model) => void;
  /** what the daemon's checker says about it */
  refusal: RegExp;
}

const DHCP6 = (b: Json) => {
  b.networks[2].subnets[1].dhcp_enabled = true;
  return b;
};
const subnet = (m: Model, family: 4 | 6) =>
  network(m, 'ge2').subnets.find((s) => s.family === family) as Model['networks'][0]['subnets'][0];
const tenantV6 = ['fdc3', '6ee6', 'd81f', 'ede'];

/** dhcp-option=tag:ge2_0,option:dns-server, then the list: 40 characters */
const v4Dns = (n: number, line: number) => {
  const b = seed();
  b.networks[2].subnets[0].dns_nameservers = lengths(n, line - 40 - (n - 1), 9, 15).map((len, i) => v4(i, len));
  return b;
};
/** dhcp-option=tag:ge2_1,option6:dns-server, then [a],[b]: 41 characters */
const v6Dns = (n: number, line: number) => {
  const b = DHCP6(seed());
  b.networks[2].subnets[1].dns_nameservers = lengths(n, line - 41 - (n - 1) - 2 * n, 15, 39).map((len, i) => v6(i, len));
  return b;
};
/** 26 host routes of 9 bytes, two of 8 (/24) or one of 8 and one of 9 (/25), and the route to the gateway (5 bytes): 255 or 256 */
const routeBytes = (over: boolean) => {
  const b = seed();
  const host = Array.from({ length: 26 }, (_, i) => ({ destination: `192.168.0.${i + 1}/32`, nexthop: '10.0.0.254' }));
  const nets = [
    { destination: '172.16.0.0/24', nexthop: '10.0.0.254' },
    { destination: over ? '172.16.1.0/25' : '172.16.1.0/24', nexthop: '10.0.0.254' },
  ];
  b.networks[2].subnets[0].host_routes = [...host, ...nets];
  return b;
};
/** 41 routes of 6 bytes (/8) whose text fills the line: dhcp-option=tag:ge2_0,option:classless-static-route, is 52 characters, 0.0.0.0/0,10.0.0.1 18 */
const routeText = (line: number) => {
  const b = seed();
  const hops = lengths(41, line - 52 - 18 - 41 - 41 * 12, 9, 15);
  b.networks[2].subnets[0].host_routes = hops.map((len, i) => ({ destination: `${100 + i}.0.0.0/8`, nexthop: v4(i, len) }));
  return b;
};
/** dhcp-host=fa:16:3e:3d:aa:d8,10.0.0.3,[...],10-0-0-3.local: 51 characters and 3 per IPv6 address besides its text */
const hostLine = (n: number, line: number) => {
  const b = DHCP6(seed());
  const ips: Record<string, boolean> = { '10.0.0.3': true };
  for (const [i, len] of lengths(n, line - 51 - 3 * n, 26, 39).entries()) ips[v6(i, len, tenantV6)] = true;
  b.networks[2].allocations[1].ip_addresses = ips;
  return b;
};

export const LIMIT_CASES: LimitCase[] = [
  {
    name: 'IPv4 DNS servers: 255 bytes in one DHCP option (63 servers)',
    path: 'networks.2.subnets.0.dns_nameservers',
    at: () => v4Dns(63, 700),
    over: () => v4Dns(64, 700),
    push: (m) => subnet(m, 4).dnsServers.push('9.9.9.9'),
    refusal: /dhcp-option too long/,
  },
  {
    name: 'IPv4 DNS servers: one dnsmasq line of 1024 characters',
    longest: 1024,
    path: 'networks.2.subnets.0.dns_nameservers',
    at: () => v4Dns(63, 1024),
    over: () => v4Dns(63, 1025),
    push: (m) => {
      const dns = subnet(m, 4).dnsServers;
      dns[0] = `1${dns[0]}`;
    },
    refusal: /bad IPv4 address|bad dhcp-option|bad option/,
  },
  {
    name: 'IPv6 DNS servers: one dnsmasq line of 1024 characters',
    longest: 1024,
    path: 'networks.2.subnets.1.dns_nameservers',
    at: () => v6Dns(25, 1024),
    over: () => v6Dns(25, 1025),
    push: (m) => {
      const dns = subnet(m, 6).dnsServers;
      dns[0] = v6(200, (dns[0] as string).length + 1);
    },
    refusal: /bad IPv6 address|bad dhcp-option|bad option/,
  },
  {
    name: 'host routes: 255 bytes in DHCP option 121',
    path: 'networks.2.subnets.0.host_routes',
    at: () => routeBytes(false),
    over: () => routeBytes(true),
    push: (m) => {
      const r = subnet(m, 4).hostRoutes.find((x) => x.destination === '172.16.1.0/24') as { destination: string };
      r.destination = '172.16.1.0/25';
    },
    refusal: /dhcp-option too long/,
  },
  {
    name: 'host routes: one dnsmasq line of 1024 characters',
    longest: 1024,
    path: 'networks.2.subnets.0.host_routes',
    at: () => routeText(1024),
    over: () => routeText(1025),
    push: (m) => {
      const r = subnet(m, 4).hostRoutes[0] as { nexthop: string };
      r.nexthop = v4(99, r.nexthop.length + 1);
    },
    refusal: /bad IPv4 address|bad dhcp-option|bad option/,
  },
  {
    name: 'a host: one dnsmasq line of 1024 characters',
    longest: 1024,
    path: 'networks.2.allocations.1',
    at: () => hostLine(28, 1024),
    over: () => hostLine(28, 1025),
    push: (m) => {
      const ip = network(m, 'ge2')
        .allocations.find((a) => a.mac === 'fa:16:3e:3d:aa:d8')
        ?.ipAddresses.at(-1) as { address: string };
      ip.address = v6(230, ip.address.length + 1, tenantV6);
    },
    refusal: /bad hex constant|bad dhcp-host|bad option/,
  },
  {
    name: 'one IPv4 address, two hosts',
    path: 'networks.2.allocations.2.ip_addresses.10.0.0.3',
    at: () => seed(),
    over: () => {
      const b = seed();
      b.networks[2].allocations[2].ip_addresses = { '10.0.0.3': true };
      return b;
    },
    push: (m) => {
      const hosts = network(m, 'ge2').allocations;
      (hosts[2]?.ipAddresses[0] as { address: string }).address = hosts[1]?.ipAddresses[0]?.address as string;
    },
    refusal: /duplicate dhcp-host IP address 10\.0\.0\.3/,
  },
  {
    name: 'bird6: a BGP neighbour "::" (the external IPv6 gateway)',
    path: 'networks.1.subnets.1.gateway_ip',
    at: () => seed(),
    over: () => {
      const b = seed();
      b.networks[1].subnets[1].gateway_ip = '::';
      return b;
    },
    push: (m) => {
      const s = m.external?.subnets.find((x) => x.family === 6) as { gateway: string | null };
      s.gateway = '::';
    },
    refusal: /Neighbor must be configured/,
  },
];
