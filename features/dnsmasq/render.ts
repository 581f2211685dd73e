// DHCP and DNS for tenant networks. Ranges and interfaces live in the main
// file (a change needs a restart); host reservations and options live in
// files dnsmasq re-reads on SIGHUP, so allocation changes need no restart.
import type { Allocation, Model, Network, Subnet } from '../../schema/model.ts';
import { tenantNetworks as tenants } from '../../schema/model-reads.ts';
import { cidrContains, prefixToNetmask } from '../../schema/syntax.ts';
import { compileTemplate, PROVENANCE } from '../kit/eta.ts';
import { DNSMASQ_TEMPLATE } from './template.ts';

const template = compileTemplate<object>(DNSMASQ_TEMPLATE);

export const LEASE_TIME = '86400s';

export interface DnsmasqPaths {
  hostsFile: string;
  optsFile: string;
}

const tag = (n: Network, i: number) => `${n.generic}_${i}`;

/** Subnets dnsmasq serves addresses on; SLAAC-only IPv6 subnets get nothing. */
function served(s: Subnet): boolean {
  // dnsmasq serves DHCPv6 on prefixes of at least 64 bits only
  return s.dhcpEnabled && s.v6Mode !== 'slaac' && (s.family === 4 || s.prefixLength >= 64);
}

function rangeLine(n: Network, s: Subnet, i: number): string {
  if (s.family === 4) return `dhcp-range=set:${tag(n, i)},${s.network},static,${prefixToNetmask(s.prefixLength)},${LEASE_TIME}`;
  return `dhcp-range=set:${tag(n, i)},${s.network},static,${s.prefixLength},${LEASE_TIME}`;
}

function optionLines(n: Network, s: Subnet, i: number): string[] {
  const t = `tag:${tag(n, i)}`;
  if (s.family === 6) {
    const dns = s.dnsServers.filter((d) => d.includes(':')).map((d) => `[${d}]`);
    return dns.length ? [`${t},option6:dns-server,${dns.join(',')}`] : [];
  }
  const lines: string[] = [];
  // an empty router option keeps dnsmasq from offering itself as gateway
  lines.push(s.gateway ? `${t},option:router,${s.gateway}` : `${t},option:router`);
  const dns = s.dnsServers.filter((d) => !d.includes(':'));
  if (dns.length) lines.push(`${t},option:dns-server,${dns.join(',')}`);
  const routes = s.hostRoutes.filter((r) => r.family === 4);
  if (routes.length) {
    // clients that accept option 121 ignore the router option, so the default route goes in too
    const pairs = routes.map((r) => `${r.destination},${r.nexthop}`);
    if (s.gateway && !routes.some((r) => r.destination === '0.0.0.0/0')) pairs.push(`0.0.0.0/0,${s.gateway}`);
    lines.push(`${t},option:classless-static-route,${pairs.join(',')}`);
  }
  return lines;
}

function hostLine(n: Network, a: Allocation, own: Set<string>): string | null {
  const servedSubnet = (address: string, family: 4 | 6) =>
    n.subnets.some(
      (s) =>
        s.family === family && served(s) && (family === 4 || s.v6Mode === 'stateful') && cidrContains(s.network, s.prefixLength, address),
    );
  const mine = a.ipAddresses.filter((ip) => ip.dhcp && !own.has(ip.address) && servedSubnet(ip.address, ip.family));
  const v4 = mine.find((ip) => ip.family === 4);
  const v6 = mine.filter((ip) => ip.family === 6).map((ip) => `[${ip.address}]`);
  if (!v4 && v6.length === 0) return null;
  return [a.mac, ...(v4 ? [v4.address] : []), ...v6, a.hostname].join(',');
}

export function renderDnsmasq(m: Model, paths: DnsmasqPaths): { conf: string; hosts: string; opts: string } {
  const networks = tenants(m);
  const conf = template({
    provenance: PROVENANCE,
    paths,
    tenants: networks.map((n) => ({
      ifname: n.ifname,
      id: n.id,
      ranges: n.subnets.map((s, i) => (served(s) ? rangeLine(n, s, i) : null)).filter((x) => x !== null),
    })),
    others: m.networks.filter((n) => n.type === 'management' || n.type === 'external').map((n) => n.ifname),
  });
  const hosts = networks.flatMap((n) => {
    const own = new Set(n.addresses.map((x) => x.address));
    return n.allocations.map((a) => hostLine(n, a, own)).filter((x) => x !== null);
  });
  const opts = networks.flatMap((n) => n.subnets.flatMap((s, i) => (served(s) ? optionLines(n, s, i) : [])));
  return {
    conf,
    hosts: `# ${PROVENANCE}\n${hosts.map((h) => `${h}\n`).join('')}`,
    opts: `# ${PROVENANCE}\n${opts.map((o) => `${o}\n`).join('')}`,
  };
}

export function dnsmasqWanted(m: Model): boolean {
  return tenants(m).length > 0;
}
