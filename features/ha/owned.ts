// What VRRP owns under ha_resource: every address of the router but the
// management network's (tenant gateways, external addresses, floating IPs), and
// the routes through those links. Only the primary holds them; keepalived adds
// and removes them, never the address or route planner.
import type { Model, Network } from '../../schema/model.ts';
import { desiredAddresses } from '../interfaces/addresses.ts';
import type { OwnedAddress } from '../kit/feature.ts';

/** The networks whose addresses move with the VRRP role (none without ha_resource). */
export function vrrpNetworks(m: Model): Network[] {
  if (!m.ha) return [];
  return m.networks.filter((n) => n.type !== 'management');
}

/** Whether the link's addresses and routes belong to keepalived. */
export function vrrpOwnsLink(m: Model, ifname: string): boolean {
  return vrrpNetworks(m).some((n) => n.ifname === ifname);
}

export function vrrpAddresses(m: Model): OwnedAddress[] {
  const seen = new Set<string>();
  return vrrpNetworks(m)
    .flatMap(desiredAddresses)
    .filter((a) => !seen.has(a.address) && seen.add(a.address));
}
