import type { MetadataTable, Model } from '../schema/model.ts';
import { firstAddress, tenantNetworks } from '../schema/normalise.ts';
import { PROVENANCE } from './eta.ts';
import { metadataPort } from './iptables.ts';

export function renderHostname(m: Model): string {
  return `${m.hostname}\n`;
}

export function renderHosts(m: Model): string {
  const lines = [`# ${PROVENANCE}`, '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  const short = m.hostname.split('.')[0];
  const names = short && short !== m.hostname ? `${m.hostname} ${short}` : m.hostname;
  lines.push(m.managementAddress ? `${m.managementAddress}\t${names}` : `127.0.1.1\t${names}`);
  return `${lines.join('\n')}\n`;
}

/** One metadata listener per tenant network with an IPv4 address: the DNAT target. */
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
