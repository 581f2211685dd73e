// The VPN's firewall rules, appended after the firewall feature's own:
// IKE and ESP-in-UDP (and plain ESP) only from the configured peers on the
// external link; the tunnels' traffic forwarded between the local and peer
// selectors only through kernel-libipsec's TUN device (only charon writes
// decrypted, authenticated packets there, which stands in for a policy match
// on the kernel's XFRM state, which libipsec does not use); and that traffic
// exempt from source NAT (marked in the raw table, as inbound traffic is).
import type { Model } from '../../schema/model.ts';
import type { VpnConnection } from '../../schema/vpn-model.ts';
import { type Entry, NO_SNAT_MARK, writer } from '../firewall/entries.ts';
import { TUNNEL_IFNAME } from './render.ts';

const familyOf = (cidr: string): 4 | 6 => (cidr.includes(':') ? 6 : 4);
const hostLen = (c: VpnConnection) => (c.family === 4 ? 32 : 128);

export function vpnFirewall(m: Model): Entry[] {
  const ext = m.external;
  const on = m.vpn.filter((c) => c.enabled);
  if (!ext || on.length === 0) return [];
  const out: Entry[] = [];
  const filter = writer('filter', out);
  const raw = writer('raw', out);
  for (const c of on) {
    const peer = `${c.peerAddress}/${hostLen(c)}`;
    const local = `${c.localAddress}/${hostLen(c)}`;
    filter.note(c.family, `VPN ${c.id}: IKE, ESP in UDP and ESP from its peer ${c.peerAddress} only, on ${ext.ifname}`);
    for (const port of [500, 4500]) {
      filter.rule('INPUT', c.family, `-i ${ext.ifname} -s ${peer} -d ${local} -p udp -m udp --dport ${port} -j ACCEPT`);
    }
    filter.rule('INPUT', c.family, `-i ${ext.ifname} -s ${peer} -d ${local} -p esp -j ACCEPT`);
    const pairs = c.localTs.flatMap((l) => c.peerTs.filter((p) => familyOf(p) === familyOf(l)).map((p) => [l, p] as const));
    if (pairs.length === 0) continue;
    filter.note('both', `VPN ${c.id}: forwarded between its local and peer selectors through ${TUNNEL_IFNAME} only`);
    for (const [l, p] of pairs) {
      filter.rule('FORWARD', familyOf(l), `-o ${TUNNEL_IFNAME} -s ${l} -d ${p} -j ACCEPT`);
      filter.rule('FORWARD', familyOf(l), `-i ${TUNNEL_IFNAME} -s ${p} -d ${l} -j ACCEPT`);
    }
    const v4 = pairs.filter(([l]) => familyOf(l) === 4);
    if (v4.length === 0) continue;
    raw.note(4, `VPN ${c.id}: no source NAT towards the peer's selectors`);
    for (const [l, p] of v4) raw.rule('PREROUTING', 4, `-s ${l} -d ${p} -j MARK --set-mark ${NO_SNAT_MARK}`);
  }
  return out;
}
