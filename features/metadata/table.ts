// The metadata proxy's listener table: one listener per tenant network with
// an IPv4 address, the DNAT target of 169.254.169.254:80 on that network.
import type { MetadataTable, Model, Network } from '../../schema/model.ts';
import { firstAddress, tenantNetworks } from '../../schema/model-reads.ts';

export const METADATA_ADDRESS = '169.254.169.254';
export const METADATA_BASE_PORT = 9600;

export function metadataPort(network: Network): number {
  return METADATA_BASE_PORT + network.index;
}

export function metadataTable(m: Model): MetadataTable {
  const listeners = tenantNetworks(m).flatMap((n) => {
    const v4 = firstAddress(n, 4);
    if (!v4) return [];
    const map: Record<string, string> = {};
    for (const a of n.allocations) {
      if (!a.deviceId) continue;
      for (const ip of a.ipAddresses) map[ip.address] = a.deviceId;
    }
    return [{ network_id: n.id, ifname: n.ifname, listen_address: v4, listen_port: metadataPort(n), ip_instance_map: map }];
  });
  return { tenant_id: m.tenantId, upstream: { address: m.orchestrator.address, port: m.orchestrator.port }, listeners };
}

export function renderMetadata(m: Model): string {
  return `${JSON.stringify(metadataTable(m), null, 1)}\n`;
}
