// What the daemons refuse, checked on the model before anything is rendered,
// so that a body they would refuse is a 422 naming its JSON path rather than
// a failed check (500) after validation. Each limit names its source:
//
// - dnsmasq 2.90 reads its files with fgets(buf, MAXDNAME = 1025): a line of
//   more than 1024 characters is cut, and the rest read as a line of its own
//   ("bad IPv4 address", "bad hex constant"). The checker reads the options and
//   hosts as dhcp-option= and dhcp-host= lines, so the limit counts that prefix.
// - dnsmasq refuses a DHCPv4 option of more than 255 bytes ("dhcp-option too
//   long", src/option.c): 63 IPv4 DNS servers, or about 27 classless routes.
// - dnsmasq refuses two dhcp-host lines with one IPv4 address ("duplicate
//   dhcp-host IP address"). Every address of an allocation is held to that,
//   IPv6 too: dnsmasq would hand one address to two hosts.
//
// The dnsmasq lines are mirrored from ./render.ts; ./limits.test.ts holds the
// two together on every golden case and against the real checkers. This is the
// dnsmasq feature's part of validation (Feature.validate); bird6's is in
// features/bird6/limits.ts.
import type { Issue, PathOf } from '../../schema/issues.ts';
import type { Allocation, Model, Network, Subnet } from '../../schema/model.ts';
import { cidrContains } from '../../schema/syntax.ts';

export const DNSMASQ_LINE = 1024;
export const DHCP_OPTION_BYTES = 255;

const isTenant = (n: Network) => n.type === 'internal' || n.type === 'isolated';

/** The subnets dnsmasq serves (features/dnsmasq/render.ts `served`). */
export function dhcpServed(s: Subnet): boolean {
  return s.dhcpEnabled && s.v6Mode !== 'slaac' && (s.family === 4 || s.prefixLength >= 64);
}

/** The lengths and payload sizes of the option lines dnsmasq is given for one subnet, as the checker reads them. */
export function optionLines(n: Network, s: Subnet, i: number): { what: 'dns' | 'routes'; chars: number; bytes: number }[] {
  const head = `dhcp-option=tag:${n.generic}_${i},`.length;
  const list = (texts: string[]) => texts.reduce((sum, t) => sum + t.length, 0) + texts.length - 1;
  const out: { what: 'dns' | 'routes'; chars: number; bytes: number }[] = [];
  if (s.family === 6) {
    const dns = s.dnsServers.filter((d) => d.includes(':')).map((d) => `[${d}]`);
    if (dns.length) out.push({ what: 'dns', chars: head + 'option6:dns-server,'.length + list(dns), bytes: 16 * dns.length });
    return out;
  }
  const dns = s.dnsServers.filter((d) => !d.includes(':'));
  if (dns.length) out.push({ what: 'dns', chars: head + 'option:dns-server,'.length + list(dns), bytes: 4 * dns.length });
  const routes = s.hostRoutes.filter((r) => r.family === 4);
  if (routes.length) {
    const pairs = routes.map((r) => ({
      text: `${r.destination},${r.nexthop}`,
      bytes: 5 + Math.ceil(Number(r.destination.split('/')[1]) / 8),
    }));
    if (s.gateway && !routes.some((r) => r.destination === '0.0.0.0/0')) pairs.push({ text: `0.0.0.0/0,${s.gateway}`, bytes: 5 });
    out.push({
      what: 'routes',
      chars: head + 'option:classless-static-route,'.length + list(pairs.map((p) => p.text)),
      bytes: pairs.reduce((sum, p) => sum + p.bytes, 0),
    });
  }
  return out;
}

/** An upper bound of hostLineLength that parses nothing: the line holds at most all of these. */
function hostLineBound(a: Allocation): number {
  let bound = 'dhcp-host='.length + a.mac.length + 1 + a.hostname.length;
  for (const ip of a.ipAddresses) bound += ip.address.length + 3;
  return bound;
}

/** The length of an allocation's dhcp-host line as the checker reads it, or 0 when it gets none (features/dnsmasq/render.ts `hostLine`). */
export function hostLineLength(n: Network, a: Allocation): number {
  const own = new Set(n.addresses.map((x) => x.address));
  const served = (address: string, family: 4 | 6) =>
    n.subnets.some(
      (s) =>
        s.family === family &&
        dhcpServed(s) &&
        (family === 4 || s.v6Mode === 'stateful') &&
        cidrContains(s.network, s.prefixLength, address),
    );
  const mine = a.ipAddresses.filter((ip) => ip.dhcp && !own.has(ip.address) && served(ip.address, ip.family));
  const v4 = mine.find((ip) => ip.family === 4);
  const v6 = mine.filter((ip) => ip.family === 6);
  if (!v4 && v6.length === 0) return 0;
  const fields = [a.mac.length, ...(v4 ? [v4.address.length] : []), ...v6.map((ip) => ip.address.length + 2), a.hostname.length];
  return 'dhcp-host='.length + fields.reduce((sum, x) => sum + x, 0) + fields.length - 1;
}

export function checkDaemonLimits(m: Model, where: PathOf): Issue[] {
  const issues: Issue[] = [];
  uniqueAddresses(m, where, issues);
  for (const n of m.networks.filter(isTenant)) {
    const networkPath = where(n, 'networks');
    n.subnets.forEach((s, i) => {
      if (!dhcpServed(s)) return;
      const path = where(s, `${networkPath}.subnets`);
      for (const line of optionLines(n, s, i)) {
        const field = line.what === 'dns' ? `${path}.dns_nameservers` : `${path}.host_routes`;
        const what = line.what === 'dns' ? `the IPv${s.family} DNS servers` : 'the IPv4 host routes (with the route to the gateway)';
        if (s.family === 4 && line.bytes > DHCP_OPTION_BYTES) {
          issues.push({
            path: field,
            message: `${what} take ${line.bytes} bytes in one DHCP option; at most ${DHCP_OPTION_BYTES} fit${line.what === 'dns' ? ' (63 IPv4 DNS servers)' : ''}`,
          });
        } else if (line.chars > DNSMASQ_LINE) {
          issues.push({
            path: field,
            message: `${what} make a dnsmasq line of ${line.chars} characters; dnsmasq reads at most ${DNSMASQ_LINE}`,
          });
        }
      }
    });
    for (const a of n.allocations) {
      const chars = hostLineBound(a) <= DNSMASQ_LINE ? 0 : hostLineLength(n, a);
      if (chars > DNSMASQ_LINE) {
        issues.push({
          path: where(a, `${networkPath}.allocations`),
          message: `this host's addresses and name make a dnsmasq line of ${chars} characters; dnsmasq reads at most ${DNSMASQ_LINE}`,
        });
      }
    }
  }
  return issues;
}

/** One address, one host: across all networks, an address is allocated to one MAC. */
function uniqueAddresses(m: Model, where: (o: object, fallback: string) => string, issues: Issue[]): void {
  const owner = new Map<string, { network: Network; allocation: Allocation }>();
  for (const network of m.networks) {
    for (const allocation of network.allocations) {
      for (const ip of allocation.ipAddresses) {
        const first = owner.get(ip.address);
        if (!first) {
          owner.set(ip.address, { network, allocation });
          continue;
        }
        if (first.allocation === allocation) continue;
        issues.push({
          path: where(ip, `${where(network, 'networks')}.allocations`),
          message: `${ip.address} is already allocated to ${first.allocation.mac} on network ${first.network.id}`,
        });
      }
    }
  }
}
