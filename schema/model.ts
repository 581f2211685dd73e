// The internal model every renderer and handler works from. Built by
// normalise() from a validated PUT body; interface names are already host names.
import type { VpnConnection } from './vpn-model.ts';

export type Family = 4 | 6;
export type NetworkType = 'management' | 'external' | 'internal' | 'isolated';
/** How IPv6 hosts on a subnet get their address. */
export type V6Mode = 'slaac' | 'stateless' | 'stateful';

export interface HostRoute {
  destination: string; // canonical CIDR
  nexthop: string; // canonical address
  family: Family;
}

export interface Subnet {
  id: string;
  cidr: string; // canonical network CIDR, e.g. 10.0.0.0/24
  family: Family;
  network: string; // network address, e.g. 10.0.0.0
  prefixLength: number;
  gateway: string | null;
  dhcpEnabled: boolean;
  v6Mode: V6Mode | null; // null for IPv4 subnets
  dnsServers: string[];
  hostRoutes: HostRoute[];
}

export interface InterfaceAddress {
  address: string; // canonical
  prefixLength: number;
  family: Family;
  cidr: string; // address/prefix
}

export interface Allocation {
  mac: string; // lowercase aa:bb:cc:dd:ee:ff
  hostname: string;
  deviceId: string;
  /** address -> served by DHCP */
  ipAddresses: { address: string; family: Family; dhcp: boolean }[];
}

export interface FloatingIp {
  floating: string;
  fixed: string;
  family: Family;
  prefixLength: number; // of the external subnet holding it
  ifname: string; // host name of the external interface holding it
}

export interface Network {
  id: string;
  type: NetworkType;
  generic: string; // geN
  index: number; // N of geN
  ifname: string; // host interface name
  mtu: number | null;
  description: string;
  addresses: InterfaceAddress[];
  subnets: Subnet[];
  allocations: Allocation[];
  /** floating IPs attached to this (external) network */
  floatingIps: FloatingIp[];
}

export interface Model {
  hostname: string;
  tenantId: string;
  asn: number;
  neighborAsn: number;
  networks: Network[];
  /** the first network of each kind, by the order of the body */
  management: Network | null;
  external: Network | null;
  internal: Network[]; // internal networks (with DHCP, NAT, metadata)
  isolated: Network[];
  defaultV4Gateway: { address: string; ifname: string } | null;
  defaultV6Gateway: { address: string; ifname: string } | null;
  floatingIps: FloatingIp[];
  /** bird router id: external IPv4, else derived from stable data */
  routerId: string;
  managementAddress: string | null;
  orchestrator: { address: string; port: number };
  labels: Record<string, string[]>;
  /** ha_resource: a VRRP pair (features/ha); null for a single router */
  ha: HaConfig | null;
  /** site-to-site IPsec connections (vpn.ipsec[].ipsec_connections[]) */
  vpn: VpnConnection[];
}

/** The orchestrator's ha_config, defaults filled in. */
export interface HaConfig {
  /** the other routers' management addresses, canonical */
  peers: string[];
  /** VRRP priority: the orchestrator sends 100 for the oldest router, 50 for the other */
  priority: number;
}

/** The metadata proxy's listener table (rendered as metadata.json). */
export interface MetadataTable {
  tenant_id: string;
  upstream: { address: string; port: number };
  listeners: MetadataListener[];
}

export interface MetadataListener {
  network_id: string;
  ifname: string;
  listen_address: string;
  listen_port: number;
  ip_instance_map: Record<string, string>;
}
