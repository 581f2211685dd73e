// The filter table: what the router accepts for itself (INPUT) and what it
// forwards (FORWARD). Both chains drop by default; docs/security.md states the
// resulting perimeter as a table and test/host/perimeter.test.ts probes it.
import type { Model, Network } from '../../schema/model.ts';
import { firstAddress, tenantNetworks } from '../../schema/model-reads.ts';
import { metadataPort } from '../metadata/table.ts';
import {
  API_PORT,
  BGP_PORT,
  DHCP_SERVER_PORT,
  DHCPV6_SERVER_PORT,
  DNS_PORT,
  type Entry,
  FROM_TENANT,
  ORCHESTRATOR_METADATA_PORT,
  SSH_PORT,
  writer,
} from './entries.ts';

const LINK_LOCAL = 'fe80::/10';
/** All_DHCP_Relay_Agents_and_Servers, where DHCPv6 clients send */
const DHCPV6_SERVERS = 'ff02::1:2';

const managementNetworks = (m: Model): Network[] => m.networks.filter((n) => n.type === 'management');

/** The upstream routers BGP may come from: the IPv6 gateways of the external subnets. */
export function bgpPeers(m: Model): string[] {
  const ext = m.external;
  if (!ext?.addresses.some((a) => a.family === 6)) return [];
  return [...new Set(ext.subnets.filter((s) => s.family === 6 && s.gateway).map((s) => s.gateway as string))];
}

function inputRules(m: Model, out: Entry[]): void {
  const { rule, note } = writer('filter', out);
  const input = (family: 4 | 6 | 'both', spec: string) => rule('INPUT', family, spec);

  note('both', 'the router itself: loopback and replies');
  input('both', '-i lo -j ACCEPT');
  input('both', '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  const mgt = m.management;
  for (const a of mgt?.addresses ?? []) {
    note(a.family, `${a.address} answers only on the management interface`);
    input(a.family, `! -i ${mgt?.ifname} -d ${a.address} -j DROP`);
  }
  note('both', 'ping from every side; ICMPv6 (neighbour discovery, router solicitations) from every side');
  input(4, '-p icmp --icmp-type echo-request -j ACCEPT');
  input(6, '-p ipv6-icmp -j ACCEPT');

  for (const a of mgt?.addresses ?? []) {
    note(a.family, `management network ${mgt?.id} on ${mgt?.ifname}: ssh, API, orchestrator metadata on ${a.address}`);
    for (const port of [SSH_PORT, API_PORT, ORCHESTRATOR_METADATA_PORT]) {
      input(a.family, `-i ${mgt?.ifname} -d ${a.address} -p tcp -m tcp --dport ${port} -j ACCEPT`);
    }
  }

  for (const t of tenantNetworks(m)) {
    const v4 = firstAddress(t, 4);
    const v6 = firstAddress(t, 6);
    note('both', `${t.type} network ${t.id} on ${t.ifname}: DHCP, DNS${v4 ? ', its metadata listener' : ''}, nothing else`);
    // the router's addresses on this network; IPv6 also its link-local address
    const own = [...t.addresses.map((a) => ({ family: a.family, to: a.address })), ...(v6 ? [{ family: 6 as const, to: LINK_LOCAL }] : [])];
    const dhcp = v4 ? [...own.filter((d) => d.family === 4), { family: 4 as const, to: '255.255.255.255' }] : [];
    if (v6) dhcp.push({ family: 6, to: DHCPV6_SERVERS }, { family: 6, to: LINK_LOCAL });
    for (const d of dhcp) {
      const port = d.family === 4 ? DHCP_SERVER_PORT : DHCPV6_SERVER_PORT;
      input(d.family, `-i ${t.ifname} -d ${d.to} -p udp -m udp --dport ${port} -j ACCEPT`);
    }
    for (const d of own) {
      for (const proto of ['udp', 'tcp'])
        input(d.family, `-i ${t.ifname} -d ${d.to} -p ${proto} -m ${proto} --dport ${DNS_PORT} -j ACCEPT`);
    }
    // 169.254.169.254:80 arrives here already rewritten (nat PREROUTING)
    if (v4) input(4, `-i ${t.ifname} -d ${v4}/32 -p tcp -m tcp --dport ${metadataPort(t)} -j ACCEPT`);
  }

  const ext = m.external;
  const peers = bgpPeers(m);
  if (ext && peers.length > 0) {
    note(6, `BGP only from the upstream routers on ${ext.ifname}, to the external addresses`);
    for (const peer of peers) {
      for (const a of ext.addresses.filter((x) => x.family === 6)) {
        input(6, `-i ${ext.ifname} -s ${peer} -d ${a.address} -p tcp -m tcp --dport ${BGP_PORT} -j ACCEPT`);
      }
    }
  }
}

function forwardRules(m: Model, out: Entry[]): void {
  const { rule, note } = writer('filter', out);
  const forward = (family: 4 | 6 | 'both', spec: string) => rule('FORWARD', family, spec);

  for (const n of managementNetworks(m)) {
    note('both', `nothing is forwarded into or out of management network ${n.id} on ${n.ifname}`);
    forward('both', `-i ${n.ifname} -j DROP`);
    forward('both', `-o ${n.ifname} -j DROP`);
    for (const s of n.subnets) {
      forward(s.family, `-s ${s.cidr} -j DROP`);
      forward(s.family, `-d ${s.cidr} -j DROP`);
    }
  }
  note('both', 'replies to forwarded connections');
  forward('both', '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');

  const ext = m.external;
  if (m.internal.length > 0) {
    note('both', `internal networks reach the ${ext ? 'external network and the ' : ''}internal networks`);
    for (const t of m.internal) forward('both', `-i ${t.ifname} -j ${FROM_TENANT}`);
    if (ext) rule(FROM_TENANT, 'both', `-o ${ext.ifname} -j ACCEPT`);
    for (const t of m.internal) rule(FROM_TENANT, 'both', `-o ${t.ifname} -j ACCEPT`);
  }
  if (!ext) return;
  for (const f of m.floatingIps) {
    const len = f.family === 4 ? 32 : 128;
    note(f.family, `inbound to floating IP ${f.floating} (${f.fixed})`);
    forward(f.family, `-i ${ext.ifname} -d ${f.fixed}/${len} -m conntrack --ctstate DNAT --ctorigdst ${f.floating}/${len} -j ACCEPT`);
  }
  for (const t of m.internal) {
    const prefixes = t.subnets.filter((s) => s.family === 6);
    if (prefixes.length === 0) continue;
    note(6, `inbound to the routed IPv6 prefixes of internal network ${t.id}`);
    for (const s of prefixes) forward(6, `-i ${ext.ifname} -o ${t.ifname} -d ${s.cidr} -j ACCEPT`);
  }
}

export function filterRules(m: Model): Entry[] {
  const out: Entry[] = [];
  inputRules(m, out);
  forwardRules(m, out);
  return out;
}
