// Which addresses each link must carry, and the ip commands that get it there.
import type { Model, Network } from '../../schema/model.ts';
import { isLinkLocal } from '../../schema/syntax.ts';
import type { LinkFact } from '../kit/facts.ts';
import type { OwnedAddress } from '../kit/feature.ts';

/** Addresses the network's link must carry: its own plus floating IPs (external only). */
export function desiredAddresses(n: Network): OwnedAddress[] {
  const own = n.addresses.map((a) => ({ ifname: n.ifname, address: a.address, prefixLength: a.prefixLength, family: a.family }));
  const fips = n.floatingIps
    .filter((f) => !own.some((a) => a.address === f.floating))
    .map((f) => ({ ifname: n.ifname, address: f.floating, prefixLength: f.prefixLength, family: f.family }));
  return [...own, ...fips];
}

export interface AddressChanges {
  shaken: Set<string>;
  deletes: string[];
  adds: string[];
  removed: string[];
  added: OwnedAddress[];
}

const key = (a: { address: string; prefixLength: number }) => `${a.address}/${a.prefixLength}`;

/**
 * Deletes before adds. Addresses someone else configured, on a link the
 * configuration does not name, and addresses another feature owns (`foreign`),
 * are not the planner's to remove.
 */
export function addressChanges(
  m: Model,
  links: ReadonlyMap<string, LinkFact>,
  nics: readonly LinkFact[],
  previous: Model | null,
  foreign: ReadonlySet<string>,
): AddressChanges {
  const out: AddressChanges = { shaken: new Set(), deletes: [], adds: [], removed: [], added: [] };
  // a NIC the configuration no longer names loses what the agent put there (pushing A then B leaves the host as B alone)
  const named = new Set(m.networks.map((n) => n.ifname));
  for (const nic of nics) {
    if (named.has(nic.ifname)) continue;
    const before = previous?.networks.find((n) => n.ifname === nic.ifname);
    if (!before) continue;
    const ours = new Set(desiredAddresses(before).map(key));
    for (const a of nic.addresses) {
      if (isLinkLocal(a.address) || !ours.has(key(a)) || foreign.has(a.address)) continue;
      out.deletes.push(`address del ${key(a)} dev ${nic.ifname}`);
      out.removed.push(a.address);
    }
  }
  for (const n of m.networks) {
    const link = links.get(n.ifname);
    if (!link) continue;
    const current = link.addresses.filter((a) => !isLinkLocal(a.address) && !foreign.has(a.address));
    const desired = desiredAddresses(n).filter((d) => !foreign.has(d.address));
    const desiredKeys = new Set(desired.map(key));
    const currentByKey = new Map(current.map((a) => [key(a), a]));
    for (const a of current) {
      if (desiredKeys.has(key(a))) continue;
      out.deletes.push(`address del ${key(a)} dev ${n.ifname}`);
      out.shaken.add(`${n.ifname}/${a.family}`);
      if (!desired.some((d) => d.address === a.address)) out.removed.push(a.address);
    }
    for (const d of desired) {
      const present = currentByKey.get(key(d));
      const flags = d.family === 4 ? ' brd +' : ' nodad';
      if (present && present.permanent === false) {
        // a SLAAC or DHCP lifetime would let the address expire: forwarding routers ignore the adverts that renew it
        out.adds.push(`address replace ${key(d)}${flags} dev ${n.ifname} valid_lft forever preferred_lft forever`);
        continue;
      }
      if (present) continue;
      out.adds.push(`address add ${key(d)}${flags} dev ${n.ifname}`);
      out.added.push(d);
    }
  }
  return out;
}

export function linkCommands(m: Model, links: ReadonlyMap<string, LinkFact>): string[] {
  const out: string[] = [];
  for (const n of m.networks) {
    const link = links.get(n.ifname);
    if (!link) continue;
    if (n.mtu !== null && link.mtu !== n.mtu) out.push(`link set dev ${n.ifname} mtu ${n.mtu}`);
    if (!link.up) out.push(`link set dev ${n.ifname} up`);
  }
  return out;
}
