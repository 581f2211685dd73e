// What a move leaves behind. A DHCP address now held by another MAC would keep
// the old neighbour entry (ARP or NDP) until it ages out, and the VM would be
// unreachable until then: the entry is replaced with the new MAC in the same
// apply. A floating IP now pointing at another fixed address would keep its
// NAT mappings in conntrack: they are flushed.
import type { Model } from '../../schema/model.ts';

export function movedAddresses(model: Model, previous: Model | null): { ifname: string; address: string; mac: string }[] {
  if (!previous) return [];
  const out: { ifname: string; address: string; mac: string }[] = [];
  for (const n of model.networks) {
    const before = previous.networks.find((p) => p.ifname === n.ifname);
    if (!before) continue;
    const oldMac = new Map(before.allocations.flatMap((a) => a.ipAddresses.map((ip) => [ip.address, a.mac] as const)));
    for (const a of n.allocations) {
      for (const ip of a.ipAddresses) {
        const was = oldMac.get(ip.address);
        if (was !== undefined && was !== a.mac) out.push({ ifname: n.ifname, address: ip.address, mac: a.mac });
      }
    }
  }
  return out;
}

export function repointedFloatingIps(model: Model, previous: Model | null): string[] {
  if (!previous) return [];
  const before = new Map(previous.floatingIps.map((f) => [f.floating, f.fixed]));
  return model.floatingIps.filter((f) => before.has(f.floating) && before.get(f.floating) !== f.fixed).map((f) => f.floating);
}
