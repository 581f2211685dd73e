// iproute2's JSON output, turned into the facts handlers see.
import type { AddressFact, LinkFact, RouteFact } from '../../features/kit/facts.ts';
import { HOST_IFNAME } from '../../schema/syntax.ts';

interface IpAddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  scope: string;
  valid_life_time?: number;
}

const FOREVER = 4294967295;

export interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu: number;
  operstate?: string;
  link_type?: string;
  address?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: IpAddrInfo[];
}

export interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  type?: string;
}

export function parseLinks(raw: IpLink[]): LinkFact[] {
  return raw
    .filter((l) => HOST_IFNAME.test(l.ifname))
    .map((l) => ({
      ifindex: l.ifindex,
      ifname: l.ifname,
      mac: (l.address ?? '').toLowerCase(),
      mtu: l.mtu,
      up: (l.flags ?? []).includes('UP'),
      operstate: (l.operstate ?? 'UNKNOWN').toLowerCase(),
      linkType: l.link_type ?? 'unknown',
      kind: l.linkinfo?.info_kind ?? null,
      addresses: (l.addr_info ?? [])
        .filter((a) => a.family === 'inet' || a.family === 'inet6')
        .map(
          (a): AddressFact => ({
            address: a.local,
            prefixLength: a.prefixlen,
            family: a.family === 'inet' ? 4 : 6,
            scope: a.scope,
            permanent: a.valid_life_time === undefined || a.valid_life_time === FOREVER,
          }),
        ),
    }));
}

export function parseRoutes(raw: IpRoute[], family: 4 | 6): RouteFact[] {
  return raw
    .filter((r) => !r.type || r.type === 'unicast')
    .map((r) => ({
      family,
      // ip prints a single-address destination without its prefix length
      dst: r.dst === 'default' || r.dst.includes('/') ? r.dst : `${r.dst}/${family === 4 ? 32 : 128}`,
      gateway: r.gateway ?? null,
      dev: r.dev ?? null,
      protocol: r.protocol ?? null,
    }));
}
