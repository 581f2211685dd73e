// From a schema-valid body to the internal model: generic names resolved,
// networks classified, gateways and floating IPs attached, derived facts
// computed. Cross-field problems are returned as issues with JSON paths.

import type { Issue } from './issues.ts';
import type { Allocation, FloatingIp, InterfaceAddress, Model, Network, NetworkType, Subnet, V6Mode } from './model.ts';
import type { Config } from './payload.ts';
import { cidrContains, compareAddresses, eui64Address, isLinkLocal, parseAddress, parseCidr } from './syntax.ts';

export const DEFAULT_ASN = 64512;
export const DEFAULT_ORCHESTRATOR = { address: 'fdca:3ba5:a17a:acda::1', port: 9697 };

/** generic name (geN) -> host interface name */
export type InterfaceMap = Record<string, string>;

type RawNetwork = Config['networks'][number];
type RawSubnet = RawNetwork['subnets'][number];
type RawAllocation = NonNullable<RawNetwork['allocations']>[number];

export function normalise(config: Config, ifmap: InterfaceMap): { model: Model; issues: Issue[] } {
  const issues: Issue[] = [];
  const networks = mergeNetworks(config.networks, ifmap, issues);

  const first = (type: NetworkType) => networks.find((n) => n.type === type) ?? null;
  const management = first('management');
  const external = first('external');
  const floatingIps = attachFloatingIps(config, networks, issues);
  const defaultV4Gateway = pickDefaultV4(config, networks, external, issues);
  const defaultV6Gateway = pickDefaultGateway(external, 6);
  const tenantId = config.tenant_id ?? '';
  const hostname = config.hostname || (tenantId ? `ak-${tenantId}` : 'appliance');
  const asn = config.asn ?? DEFAULT_ASN;

  const model: Model = {
    hostname,
    tenantId,
    asn,
    neighborAsn: config.neighbor_asn ?? asn,
    networks,
    management,
    external,
    internal: networks.filter((n) => n.type === 'internal'),
    isolated: networks.filter((n) => n.type === 'isolated'),
    defaultV4Gateway,
    defaultV6Gateway,
    floatingIps,
    routerId: routerId(external, networks, tenantId),
    managementAddress: managementAddress(management),
    orchestrator: {
      address: canonical(config.orchestrator?.address) ?? DEFAULT_ORCHESTRATOR.address,
      port: config.orchestrator?.metadata_port ?? DEFAULT_ORCHESTRATOR.port,
    },
    labels: config.labels ?? {},
  };
  return { model, issues };
}

function canonical(address: string | null | undefined): string | null {
  return address ? (parseAddress(address)?.address ?? null) : null;
}

/** Entries with the same network id and ifname (two router ports on one network) become one network. */
function mergeNetworks(raw: RawNetwork[], ifmap: InterfaceMap, issues: Issue[]): Network[] {
  const byIfname = new Map<string, Network>();
  const out: Network[] = [];
  raw.forEach((entry, i) => {
    const path = `networks.${i}`;
    const generic = entry.interface.ifname;
    const host = ifmap[generic];
    if (!host) {
      issues.push({ path: `${path}.interface.ifname`, message: `interface ${generic} does not exist on this router` });
      return;
    }
    const elsewhere = out.find((n) => n.id === entry.network_id && n.generic !== generic);
    if (elsewhere) {
      issues.push({ path: `${path}.network_id`, message: `network ${entry.network_id} is already on ${elsewhere.generic}` });
      return;
    }
    const existing = byIfname.get(generic);
    if (existing) {
      if (existing.id !== entry.network_id || existing.type !== entry.network_type) {
        issues.push({
          path: `${path}.interface.ifname`,
          message: `${generic} is already used by network ${existing.id} (${existing.type})`,
        });
        return;
      }
      mergeInto(existing, entry, path, issues);
      return;
    }
    const network: Network = {
      id: entry.network_id,
      type: entry.network_type,
      generic,
      index: Number(generic.slice(2)),
      ifname: host,
      mtu: entry.interface.mtu ?? entry.mtu ?? null,
      description: entry.interface.description ?? '',
      addresses: [],
      subnets: [],
      allocations: [],
      floatingIps: [],
    };
    mergeInto(network, entry, path, issues);
    byIfname.set(generic, network);
    out.push(network);
  });
  for (const network of out) finishNetwork(network);
  return out;
}

function mergeInto(network: Network, entry: RawNetwork, path: string, issues: Issue[]): void {
  entry.interface.addresses.forEach((text, j) => {
    const c = parseCidr(text, true);
    if (!c) return;
    if (isLinkLocal(c.address)) {
      issues.push({ path: `${path}.interface.addresses.${j}`, message: 'link-local addresses are managed by the kernel' });
      return;
    }
    if (network.addresses.some((a) => a.address === c.address)) return;
    network.addresses.push({
      address: c.address,
      prefixLength: c.prefixLength,
      family: c.family,
      cidr: `${c.address}/${c.prefixLength}`,
    });
  });
  entry.subnets.forEach((s, j) => {
    const subnet = buildSubnet(s, `${path}.subnets.${j}`, issues);
    if (
      subnet &&
      subnet.family === 6 &&
      subnet.dhcpEnabled &&
      subnet.prefixLength < 64 &&
      (entry.network_type === 'internal' || entry.network_type === 'isolated')
    ) {
      // neither SLAAC nor dnsmasq's DHCPv6 can serve it: tenants would get no address at all
      issues.push({ path: `${path}.subnets.${j}.cidr`, message: 'a DHCP-enabled IPv6 tenant subnet needs a prefix of at least 64 bits' });
    }
    if (subnet && !network.subnets.some((x) => x.cidr === subnet.cidr)) network.subnets.push(subnet);
  });
  const allocations = [...(entry.allocations ?? []), ...(entry.address_allocations ?? [])];
  for (const a of allocations) {
    const allocation = buildAllocation(a);
    const same = network.allocations.find((x) => x.mac === allocation.mac);
    if (!same) {
      network.allocations.push(allocation);
      continue;
    }
    for (const ip of allocation.ipAddresses) if (!same.ipAddresses.some((x) => x.address === ip.address)) same.ipAddresses.push(ip);
    same.ipAddresses.sort((x, y) => compareAddresses(x.address, y.address));
  }
}

function buildSubnet(s: RawSubnet, path: string, issues: Issue[]): Subnet | null {
  const c = parseCidr(s.cidr);
  if (!c) return null;
  const gw = s.gateway_ip ? parseAddress(s.gateway_ip) : null;
  if (gw && gw.family !== c.family) {
    issues.push({ path: `${path}.gateway_ip`, message: `must be an IPv${c.family} address like the subnet ${s.cidr}` });
  }
  const hostRoutes: Subnet['hostRoutes'] = [];
  s.host_routes.forEach((r, k) => {
    const dest = parseCidr(r.destination);
    const hop = parseAddress(r.nexthop);
    if (!dest || !hop) return;
    if (dest.family !== hop.family) {
      issues.push({ path: `${path}.host_routes.${k}.nexthop`, message: `must be an IPv${dest.family} address like the destination` });
      return;
    }
    hostRoutes.push({ destination: `${dest.network}/${dest.prefixLength}`, nexthop: hop.address, family: dest.family });
  });
  return {
    id: s.id ?? '',
    cidr: `${c.network}/${c.prefixLength}`,
    family: c.family,
    network: c.network,
    prefixLength: c.prefixLength,
    gateway: gw && gw.family === c.family ? gw.address : null,
    dhcpEnabled: s.dhcp_enabled,
    v6Mode: null,
    dnsServers: s.dns_nameservers.map((d) => parseAddress(d)?.address ?? d),
    hostRoutes,
  };
}

function buildAllocation(a: RawAllocation): Allocation {
  const ipAddresses = Object.entries(a.ip_addresses)
    .map(([text, dhcp]) => {
      const p = parseAddress(text);
      return p ? { address: p.address, family: p.family, dhcp } : null;
    })
    .filter((x): x is NonNullable<typeof x> => x !== null);
  // almost always one address per family: sort only when there is something to sort
  if (ipAddresses.length > 2 || (ipAddresses.length === 2 && ipAddresses[0]?.family === ipAddresses[1]?.family)) {
    ipAddresses.sort((x, y) => compareAddresses(x.address, y.address));
  } else if (ipAddresses.length === 2 && ipAddresses[0]?.family === 6) {
    ipAddresses.reverse();
  }
  return { mac: a.mac_address.toLowerCase(), hostname: a.hostname, deviceId: a.device_id, ipAddresses };
}

/**
 * The orchestrator only says whether DHCP is enabled; an IPv6 subnet whose hosts
 * all hold their EUI-64 address uses SLAAC plus stateless DHCPv6, any other
 * DHCP-enabled one stateful DHCPv6.
 */
function v6Mode(subnet: Subnet, allocations: Allocation[]): V6Mode {
  if (!subnet.dhcpEnabled) return 'slaac';
  if (subnet.prefixLength !== 64) return 'stateful';
  const inSubnet = allocations.flatMap((a) =>
    a.ipAddresses
      .filter((ip) => ip.family === 6 && cidrContains(subnet.network, subnet.prefixLength, ip.address))
      .map((ip) => ({ ip: ip.address, mac: a.mac })),
  );
  const hosts = inSubnet.filter((x) => x.ip !== subnet.gateway);
  if (hosts.length === 0) return 'stateful';
  return hosts.every((x) => x.ip === eui64Address(subnet.network, x.mac)) ? 'stateless' : 'stateful';
}

function finishNetwork(network: Network): void {
  for (const subnet of network.subnets) {
    if (subnet.family === 6) subnet.v6Mode = v6Mode(subnet, network.allocations);
  }
}

function attachFloatingIps(config: Config, networks: Network[], issues: Issue[]): FloatingIp[] {
  const out: FloatingIp[] = [];
  const externals = networks.filter((n) => n.type === 'external');
  (config.floating_ips ?? []).forEach((f, i) => {
    const floating = parseAddress(f.floating_ip);
    const fixed = parseAddress(f.fixed_ip);
    if (!floating || !fixed) return;
    const path = `floating_ips.${i}`;
    if (floating.family !== fixed.family) {
      issues.push({ path: `${path}.fixed_ip`, message: `must be an IPv${floating.family} address like the floating IP` });
      return;
    }
    let holder: { network: Network; subnet: Subnet } | null = null;
    for (const network of externals) {
      const subnet = network.subnets.find((s) => cidrContains(s.network, s.prefixLength, floating.address));
      if (subnet) {
        holder = { network, subnet };
        break;
      }
    }
    if (!holder) {
      issues.push({ path: `${path}.floating_ip`, message: `${floating.address} is in no subnet of an external network` });
      return;
    }
    if (out.some((x) => x.floating === floating.address)) {
      issues.push({ path: `${path}.floating_ip`, message: `${floating.address} is listed twice` });
      return;
    }
    const fip: FloatingIp = {
      floating: floating.address,
      fixed: fixed.address,
      family: floating.family,
      prefixLength: holder.subnet.prefixLength,
      ifname: holder.network.ifname,
    };
    holder.network.floatingIps.push(fip);
    out.push(fip);
  });
  return out;
}

function pickDefaultGateway(external: Network | null, family: 4 | 6): Model['defaultV4Gateway'] {
  if (!external) return null;
  // only a subnet the router has an address on gives a reachable gateway
  const subnet = external.subnets.find(
    (s) => s.family === family && s.gateway && external.addresses.some((a) => cidrContains(s.network, s.prefixLength, a.address)),
  );
  return subnet?.gateway ? { address: subnet.gateway, ifname: external.ifname } : null;
}

function pickDefaultV4(config: Config, networks: Network[], external: Network | null, issues: Issue[]) {
  const explicit = config.default_v4_gateway ? parseAddress(config.default_v4_gateway)?.address : null;
  if (!explicit) return pickDefaultGateway(external, 4);
  if (external) return external.addresses.some((a) => a.family === 4) ? { address: explicit, ifname: external.ifname } : null;
  const holder = networks.find((n) => n.addresses.some((a) => a.family === 4 && cidrContains(a.address, a.prefixLength, explicit)));
  if (!holder) {
    issues.push({ path: 'default_v4_gateway', message: `${explicit} is on no network of this router` });
    return null;
  }
  return { address: explicit, ifname: holder.ifname };
}

function lowest(addresses: InterfaceAddress[], family: 4 | 6): string | null {
  const sorted = addresses
    .filter((a) => a.family === family)
    .map((a) => a.address)
    .sort(compareAddresses);
  return sorted[0] ?? null;
}

/** Internal and isolated networks: those with DHCP, router advertisements and metadata. */
export function tenantNetworks(m: Model): Network[] {
  return [...m.internal, ...m.isolated];
}

export function firstAddress(network: Network, family: 4 | 6): string | null {
  return lowest(network.addresses, family);
}

function managementAddress(management: Network | null): string | null {
  if (!management) return null;
  return lowest(management.addresses, 4) ?? lowest(management.addresses, 6);
}

/** bird needs a 32-bit router id that stays the same from push to push. */
function routerId(external: Network | null, networks: Network[], tenantId: string): string {
  const v4 = external ? lowest(external.addresses, 4) : null;
  if (v4) return v4;
  const seed = [tenantId, ...networks.map((n) => `${n.id}/${n.generic}`).sort()].join('|');
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  if (hash === 0) hash = 1;
  return [hash >>> 24, (hash >>> 16) & 255, (hash >>> 8) & 255, hash & 255].join('.');
}
