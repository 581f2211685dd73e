// The pair's own traffic, on the management interface only and only from the
// peers: VRRP adverts (IP protocol 112) and conntrackd's sync (UDP). Appended
// after the firewall's rules, whose management isolation still comes first.
import type { Model } from '../../schema/model.ts';
import type { Entry } from '../firewall/entries.ts';
import { CONNTRACKD_PORT, haEndpoints } from './render.ts';

export function haFirewall(m: Model): Entry[] {
  const ends = haEndpoints(m);
  if (!ends || ends.peers.length === 0) return [];
  const family = ends.family;
  const out: Entry[] = [{ table: 'filter', family, note: 'high availability: VRRP and conntrackd sync from the peers' }];
  for (const peer of ends.peers) {
    const from = `-i ${ends.ifname} -s ${peer} -d ${ends.source}`;
    out.push({ table: 'filter', chain: 'INPUT', family, spec: `${from} -p 112 -j ACCEPT` });
    out.push({ table: 'filter', chain: 'INPUT', family, spec: `${from} -p udp --dport ${CONNTRACKD_PORT} -j ACCEPT` });
  }
  return out;
}
