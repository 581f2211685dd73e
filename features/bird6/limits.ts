// bird 1.6 builds a router advertisement in a 1024-byte buffer
// (proto/radv/packets.c, tbsize) and leaves out what does not fit, DNS servers
// first: 16 bytes of header, 32 per prefix, 8 + 16 per DNS server. A body whose
// advertisement would not fit is a 422 (the bird6 feature's Feature.validate).
import type { Issue, PathOf } from '../../schema/issues.ts';
import type { Model, Network } from '../../schema/model.ts';
import { networkAddress } from '../../schema/syntax.ts';

export const RA_BYTES = 1024;
const RA_HEADER = 16;
const RA_PREFIX = 32;
const RA_RDNSS = 8;

export function checkRouterAdvertisements(m: Model, where: PathOf): Issue[] {
  const issues: Issue[] = [];
  for (const n of m.networks.filter((x) => x.type === 'internal' || x.type === 'isolated')) {
    routerAdvertisement(n, where(n, 'networks'), where, issues);
  }
  return issues;
}

/** bird6 sends one router advertisement per tenant interface: its prefixes, then its DNS servers. */
function routerAdvertisement(n: Network, networkPath: string, where: (o: object, fallback: string) => string, issues: Issue[]): void {
  const v6 = n.subnets.filter((s) => s.family === 6);
  if (v6.length === 0) return;
  const prefixes = new Set(
    n.addresses.filter((a) => a.family === 6).map((a) => `${networkAddress(a.address, a.prefixLength)}/${a.prefixLength}`),
  ).size;
  const room = RA_BYTES - RA_HEADER - RA_PREFIX * prefixes;
  if (room < 0) {
    issues.push({
      path: `${networkPath}.interface.addresses`,
      message: `${prefixes} IPv6 prefixes do not fit in one router advertisement (bird6 sends at most ${RA_BYTES} bytes: ${Math.floor((RA_BYTES - RA_HEADER) / RA_PREFIX)} prefixes)`,
    });
    return;
  }
  const fit = room < RA_RDNSS ? 0 : Math.floor((room - RA_RDNSS) / 16);
  const total = new Set(v6.flatMap((s) => s.dnsServers.filter((d) => d.includes(':')))).size;
  if (total <= fit) return;
  // name the subnet whose servers go past what fits
  const seen = new Set<string>();
  const over = v6.find((s) => {
    for (const d of s.dnsServers) if (d.includes(':')) seen.add(d);
    return seen.size > fit;
  });
  issues.push({
    path: `${where(over ?? n, `${networkPath}.subnets`)}.dns_nameservers`,
    message: `this network's router advertisement would carry ${total} IPv6 DNS servers; next to ${prefixes} prefixes bird6 fits ${fit} in its ${RA_BYTES} bytes`,
  });
}
