// From a schema-valid body to the internal model: generic names resolved,
// networks classified, gateways and floating IPs attached, derived facts
// computed. The body's addresses come parsed (fields.ts): nothing is parsed
// twice. Cross-field problems are returned as issues with JSON paths, and
// what is left out on purpose as notices.

import { attachFloatingIps, pickDefaultGateway, pickDefaultV4 } from './gateways.ts';
import type { Issue } from './issues.ts';
import type { Allocation, Model, Network, NetworkType, Subnet, V6Mode } from './model.ts';
import { managementAddress, routerId } from './model-reads.ts';
import type { Config } from './payload.ts';
import { entriesOf, runStages, STAGE_ENTRIES, type Stages } from './stages.ts';
import { cidrContains, compareAddresses, eui64Address, isLinkLocal } from './syntax.ts';
import { buildVpn } from './vpn-model.ts';

export const DEFAULT_ASN = 64512;
export const DEFAULT_ORCHESTRATOR = { address: 'fdca:3ba5:a17a:acda::1', port: 9697 };

/** generic name (geN) -> host interface name */
export type InterfaceMap = Record<string, string>;

type RawNetwork = Config['networks'][number];
type RawSubnet = RawNetwork['subnets'][number];
type RawAllocation = NonNullable<RawNetwork['allocations']>[number];

/** Problems (the body is refused) and notices (it is taken, with something left out). */
/** model object (network, subnet, allocation, allocated address) -> JSON path of the body entry it came from */
export type Origins = WeakMap<object, string>;

interface Findings {
  issues: Issue[];
  notices: Issue[];
  /** model object -> JSON path of the body entry it came from */
  origins: Origins;
}

/** VRRP priority when ha_config names none (the reference's 0 is not a valid VRRP priority). */
export const DEFAULT_HA_PRIORITY = 100;

export interface Normalised {
  model: Model;
  issues: Issue[];
  notices: Issue[];
  origins: Origins;
}

export function normalise(config: Config, ifmap: InterfaceMap): Normalised {
  return runStages(normaliseStages(config, ifmap));
}

/** normalise in stages: the networks a few at a time (STAGE_ENTRIES), then the rest */
export function* normaliseStages(config: Config, ifmap: InterfaceMap): Stages<Normalised> {
  const found: Findings = { issues: [], notices: [], origins: new WeakMap() };
  const { issues } = found;
  const networks = yield* mergeNetworks(config.networks, ifmap, found);

  const first = (type: NetworkType) => networks.find((n) => n.type === type) ?? null;
  const management = first('management');
  const external = first('external');
  const floatingIps = attachFloatingIps(config.floating_ips ?? [], networks, issues);
  const defaultV4Gateway = pickDefaultV4(config.default_v4_gateway || null, networks, external, issues);
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
      address: config.orchestrator?.address?.address ?? DEFAULT_ORCHESTRATOR.address,
      port: config.orchestrator?.metadata_port ?? DEFAULT_ORCHESTRATOR.port,
    },
    labels: config.labels ?? {},
    ha: config.ha_resource
      ? { peers: (config.ha_config?.peers ?? []).map((p) => p.address), priority: config.ha_config?.priority ?? DEFAULT_HA_PRIORITY }
      : null,
    vpn: buildVpn(config.vpn, networks, issues),
  };
  return { model, issues, notices: found.notices, origins: found.origins };
}

/** Entries with the same network id and ifname (two router ports on one network) become one network. */
function* mergeNetworks(raw: RawNetwork[], ifmap: InterfaceMap, found: Findings): Stages<Network[]> {
  const { issues } = found;
  const byIfname = new Map<string, Network>();
  const out: Network[] = [];
  let done = 0;
  for (const [i, entry] of raw.entries()) {
    if (done >= STAGE_ENTRIES) {
      yield;
      done = 0;
    }
    done += entriesOf(entry);
    const path = `networks.${i}`;
    const generic = entry.interface.ifname;
    const host = ifmap[generic];
    if (!host) {
      issues.push({ path: `${path}.interface.ifname`, message: `interface ${generic} does not exist on this router` });
      continue;
    }
    const elsewhere = out.find((n) => n.id === entry.network_id && n.generic !== generic);
    if (elsewhere) {
      issues.push({ path: `${path}.network_id`, message: `network ${entry.network_id} is already on ${elsewhere.generic}` });
      continue;
    }
    const existing = byIfname.get(generic);
    if (existing) {
      if (existing.id !== entry.network_id || existing.type !== entry.network_type) {
        issues.push({
          path: `${path}.interface.ifname`,
          message: `${generic} is already used by network ${existing.id} (${existing.type})`,
        });
        continue;
      }
      mergeInto(existing, entry, path, found);
      continue;
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
    found.origins.set(network, path);
    mergeInto(network, entry, path, found);
    byIfname.set(generic, network);
    out.push(network);
  }
  for (const network of out) finishNetwork(network);
  return out;
}

function mergeInto(network: Network, entry: RawNetwork, path: string, found: Findings): void {
  const { issues, origins } = found;
  entry.interface.addresses.forEach((c, j) => {
    if (isLinkLocal(c.address)) {
      // as the reference did: the kernel gives every interface its own link-local address
      found.notices.push({
        path: `${path}.interface.addresses.${j}`,
        message: `${c.address}/${c.prefixLength} was skipped: link-local addresses are left to the kernel`,
      });
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
    const subnetPath = `${path}.subnets.${j}`;
    const subnet = buildSubnet(s, subnetPath, issues);
    if (
      subnet.family === 6 &&
      subnet.dhcpEnabled &&
      subnet.prefixLength < 64 &&
      (entry.network_type === 'internal' || entry.network_type === 'isolated')
    ) {
      // neither SLAAC nor dnsmasq's DHCPv6 can serve it: tenants would get no address at all
      issues.push({ path: `${subnetPath}.cidr`, message: 'a DHCP-enabled IPv6 tenant subnet needs a prefix of at least 64 bits' });
    }
    if (!network.subnets.some((x) => x.cidr === subnet.cidr)) {
      origins.set(subnet, subnetPath);
      network.subnets.push(subnet);
    }
  });
  const allocations: [RawAllocation, string][] = [
    ...(entry.allocations ?? []).map((a, k): [RawAllocation, string] => [a, `${path}.allocations.${k}`]),
    ...(entry.address_allocations ?? []).map((a, k): [RawAllocation, string] => [a, `${path}.address_allocations.${k}`]),
  ];
  for (const [a, allocationPath] of allocations) {
    const allocation = buildAllocation(a, allocationPath, origins);
    const same = network.allocations.find((x) => x.mac === allocation.mac);
    if (!same) {
      origins.set(allocation, allocationPath);
      network.allocations.push(allocation);
      continue;
    }
    for (const ip of allocation.ipAddresses) if (!same.ipAddresses.some((x) => x.address === ip.address)) same.ipAddresses.push(ip);
    same.ipAddresses.sort((x, y) => compareAddresses(x.address, y.address));
  }
}

function buildSubnet(s: RawSubnet, path: string, issues: Issue[]): Subnet {
  const c = s.cidr;
  const gw = s.gateway_ip || null;
  if (gw && gw.family !== c.family) {
    issues.push({ path: `${path}.gateway_ip`, message: `must be an IPv${c.family} address like the subnet ${c.text}` });
  } else if (gw && (gw.address === '0.0.0.0' || gw.address === '::')) {
    // bird refuses a BGP neighbour "::"; nothing can route through either
    issues.push({ path: `${path}.gateway_ip`, message: 'the unspecified address cannot be a gateway' });
  }
  const hostRoutes: Subnet['hostRoutes'] = [];
  s.host_routes.forEach((r, k) => {
    const dest = r.destination;
    const hop = r.nexthop;
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
    dnsServers: s.dns_nameservers.map((d) => d.address),
    hostRoutes,
  };
}

function buildAllocation(a: RawAllocation, path: string, origins: Origins): Allocation {
  const ipAddresses = a.ip_addresses.map((p) => {
    const ip = { address: p.address, family: p.family, dhcp: p.dhcp };
    origins.set(ip, `${path}.ip_addresses.${p.key}`);
    return ip;
  });
  // almost always one address per family: sort only when there is something to sort
  if (ipAddresses.length > 2 || (ipAddresses.length === 2 && ipAddresses[0]?.family === ipAddresses[1]?.family)) {
    ipAddresses.sort((x, y) => compareAddresses(x.address, y.address));
  } else if (ipAddresses.length === 2 && ipAddresses[0]?.family === 6) {
    ipAddresses.reverse();
  }
  return { mac: a.mac_address, hostname: a.hostname, deviceId: a.device_id, ipAddresses };
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
