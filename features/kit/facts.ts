// Host facts as handlers see them: plain data gathered by runtime/facts.ts.
import type { Family } from '../../schema/model.ts';
import type { InterfaceMap } from '../../schema/normalise.ts';

export interface AddressFact {
  address: string;
  prefixLength: number;
  family: Family;
  scope: string; // global, link, host
  /** false for addresses with a finite lifetime (SLAAC, DHCP): they expire unless made permanent */
  permanent?: boolean;
}

export interface LinkFact {
  ifindex: number;
  ifname: string;
  mac: string;
  mtu: number;
  up: boolean; // administratively up
  operstate: string;
  linkType: string; // ether, loopback, ...
  kind: string | null; // veth, bridge, dummy, ... (null for physical NICs)
  addresses: AddressFact[];
}

export interface RouteFact {
  family: Family;
  dst: string; // "default" or a CIDR
  gateway: string | null;
  dev: string | null;
  protocol: string | null;
}

export interface ServiceFact {
  running: boolean;
  pid: number | null;
}

export interface Facts {
  links: LinkFact[];
  routes: RouteFact[];
  /** sha256 of each managed file, by path relative to the agent root; absent when missing */
  files: Record<string, string>;
  /** current values of the sysctls the agent manages, by /proc/sys path (net/ipv4/ip_forward) */
  sysctls: Record<string, string>;
  hostname: string;
  services: Record<string, ServiceFact>;
}

/** Links that count as router NICs: ethernet devices, not bridges, bonds' slaves' masters, or tunnels. */
const NIC_KINDS = new Set([null, 'veth', 'macvlan', 'ipvlan', 'vlan']);

/** Generic names ge0..geN in kernel ifindex order over ethernet links. */
export function nicLinks(facts: Pick<Facts, 'links'>): LinkFact[] {
  return facts.links.filter((l) => l.linkType === 'ether' && NIC_KINDS.has(l.kind)).sort((a, b) => a.ifindex - b.ifindex);
}

export function interfaceMap(facts: Pick<Facts, 'links'>): InterfaceMap {
  const map: InterfaceMap = {};
  nicLinks(facts).forEach((l, i) => {
    map[`ge${i}`] = l.ifname;
  });
  return map;
}

export interface InterfaceView {
  ifname: string;
  lladdr: string;
  addresses: string[];
  mtu: number;
  state: 'up' | 'down';
  description: string;
  groups: string[];
  media: null;
}

export function interfaceViews(facts: Pick<Facts, 'links'>, descriptions: Record<string, string> = {}): InterfaceView[] {
  return nicLinks(facts).map((l, i) => {
    const generic = `ge${i}`;
    return {
      ifname: generic,
      lladdr: l.mac.toLowerCase(),
      addresses: l.addresses.map((a) => `${a.address}/${a.prefixLength}`),
      mtu: l.mtu,
      state: l.up ? 'up' : 'down',
      description: descriptions[generic] ?? '',
      groups: [],
      media: null,
    };
  });
}
