// Where traffic leaves the router: floating IPs attached to the external
// network holding them, and the default gateways of each family.

import type { Issue } from './issues.ts';
import type { FloatingIp, Model, Network, Subnet } from './model.ts';
import type { ParsedAddress } from './syntax.ts';
import { cidrContains } from './syntax.ts';

interface FloatingInput {
  floating_ip: ParsedAddress;
  fixed_ip: ParsedAddress;
}

export function attachFloatingIps(entries: FloatingInput[], networks: Network[], issues: Issue[]): FloatingIp[] {
  const out: FloatingIp[] = [];
  const externals = networks.filter((n) => n.type === 'external');
  entries.forEach((f, i) => {
    const floating = f.floating_ip;
    const fixed = f.fixed_ip;
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

export function pickDefaultGateway(external: Network | null, family: 4 | 6): Model['defaultV4Gateway'] {
  if (!external) return null;
  // only a subnet the router has an address on gives a reachable gateway
  const subnet = external.subnets.find(
    (s) => s.family === family && s.gateway && external.addresses.some((a) => cidrContains(s.network, s.prefixLength, a.address)),
  );
  return subnet?.gateway ? { address: subnet.gateway, ifname: external.ifname } : null;
}

export function pickDefaultV4(
  gateway: ParsedAddress | null,
  networks: Network[],
  external: Network | null,
  issues: Issue[],
): Model['defaultV4Gateway'] {
  if (!gateway) return pickDefaultGateway(external, 4);
  const explicit = gateway.address;
  if (external) return external.addresses.some((a) => a.family === 4) ? { address: explicit, ifname: external.ifname } : null;
  const holder = networks.find((n) => n.addresses.some((a) => a.family === 4 && cidrContains(a.address, a.prefixLength, explicit)));
  if (!holder) {
    issues.push({ path: 'default_v4_gateway', message: `${explicit} is on no network of this router` });
    return null;
  }
  return { address: explicit, ifname: holder.ifname };
}
