// Reads of the model that normalise and the features share: a network's
// lowest address of a family, the tenant networks, the management address and
// bird's router id.
import type { InterfaceAddress, Model, Network } from './model.ts';
import { compareAddresses } from './syntax.ts';

function lowest(addresses: InterfaceAddress[], family: 4 | 6): string | null {
  const sorted = addresses
    .filter((a) => a.family === family)
    .map((a) => a.address)
    .sort(compareAddresses);
  return sorted[0] ?? null;
}

/** Internal and isolated networks: those with DHCP, router advertisements and metadata. */
export function tenantNetworks(m: Model): Network[] {
  return [...m.internal, ...m.isolated];
}

export function firstAddress(network: Network, family: 4 | 6): string | null {
  return lowest(network.addresses, family);
}

export function managementAddress(management: Network | null): string | null {
  if (!management) return null;
  return lowest(management.addresses, 4) ?? lowest(management.addresses, 6);
}

/** bird needs a 32-bit router id that stays the same from push to push. */
export function routerId(external: Network | null, networks: Network[], tenantId: string): string {
  const v4 = external ? lowest(external.addresses, 4) : null;
  if (v4) return v4;
  const seed = [tenantId, ...networks.map((n) => `${n.id}/${n.generic}`).sort()].join('|');
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  if (hash === 0) hash = 1;
  return [hash >>> 24, (hash >>> 16) & 255, (hash >>> 8) & 255, hash & 255].join('.');
}
