// From the body's `vpn.ipsec[]` to one model entry per site-to-site
// connection, with the reference's bugs fixed: each policy's own algorithms,
// lifetimes with their units, the local identity set, the external address of
// the peer's family, `peer_cidrs` honoured, `admin_state_up` honoured.
import type { Issue } from './issues.ts';
import type { Family, Network } from './model.ts';
import { parseCidr } from './syntax.ts';
import type { VpnInput } from './vpn.ts';

type RawService = NonNullable<VpnInput['ipsec']>[number];
type RawConnection = RawService['ipsec_connections'][number];
type RawPolicy = RawConnection['ikepolicy'];

export interface VpnProposal {
  encryption: RawPolicy['encryption_algorithm'];
  integrity: RawPolicy['auth_algorithm'];
  dh: RawPolicy['pfs'];
}

export interface VpnConnection {
  id: string;
  /** the JSON path of its entry in the body, for issues */
  path: string;
  serviceId: string;
  /** both the service and the connection are administratively up */
  enabled: boolean;
  version: 1 | 2;
  aggressive: boolean;
  family: Family;
  localAddress: string;
  localId: string;
  peerAddress: string;
  peerId: string;
  localTs: string[];
  peerTs: string[];
  ike: VpnProposal & { lifetime: number };
  child: VpnProposal & { lifetime: { units: 'seconds' | 'kilobytes'; value: number } };
  dpd: { action: 'hold' | 'clear' | 'restart' | 'disabled' | 'restart-by-peer'; interval: number; timeout: number };
  initiator: boolean;
  psk: string;
}

const cidrText = (text: string): string | null => {
  const c = parseCidr(text);
  return c ? `${c.network}/${c.prefixLength}` : null;
};

export function buildVpn(input: VpnInput | null | undefined, networks: Network[], issues: Issue[]): VpnConnection[] {
  const out: VpnConnection[] = [];
  const subnets = new Map(networks.flatMap((n) => n.subnets.filter((s) => s.id).map((s) => [s.id, s.cidr] as const)));
  const external = networks.find((n) => n.type === 'external') ?? null;
  const seen = new Set<string>();
  (input?.ipsec ?? []).forEach((svc, i) => {
    const svcPath = `vpn.ipsec.${i}`;
    svc.ipsec_connections.forEach((c, j) => {
      const path = `${svcPath}.ipsec_connections.${j}`;
      const before = issues.length;
      if (seen.has(c.id)) issues.push({ path: `${path}.id`, message: `another connection has the id ${c.id}` });
      seen.add(c.id);
      const family = c.peer_address.family;
      const local = family === 4 ? svc.external_v4_ip : svc.external_v6_ip;
      const localKey = family === 4 ? 'external_v4_ip' : 'external_v6_ip';
      if (!local) {
        issues.push({ path: `${svcPath}.${localKey}`, message: `must be set: connection ${c.id} has an IPv${family} peer` });
      } else if (!external?.addresses.some((a) => a.address === local.address)) {
        issues.push({ path: `${svcPath}.${localKey}`, message: `must be an address of the external network (${local.address} is not)` });
      }
      const localTs = localSelectors(svc, c, subnets, path, svcPath, issues);
      const peerTs = peerSelectors(c, path, issues);
      if (c.ikepolicy.lifetime.units !== 'seconds') {
        issues.push({ path: `${path}.ikepolicy.lifetime.units`, message: 'must be "seconds": an IKE SA has no byte lifetime' });
      }
      if (c.ipsecpolicy.transform_protocol !== 'esp') {
        issues.push({
          path: `${path}.ipsecpolicy.transform_protocol`,
          message: 'must be "esp": the appliance\u2019s IPsec data path (strongSwan kernel-libipsec) has no AH',
        });
      }
      if (c.ipsecpolicy.encapsulation_mode !== 'tunnel') {
        issues.push({ path: `${path}.ipsecpolicy.encapsulation_mode`, message: 'must be "tunnel" for a site-to-site connection' });
      }
      if (c.ikepolicy.phase1_negotiation_mode === 'aggressive' && c.ikepolicy.ike_version === 'v2') {
        issues.push({ path: `${path}.ikepolicy.phase1_negotiation_mode`, message: 'aggressive mode exists only in IKEv1' });
      }
      if (issues.length > before || !local) return;
      out.push({
        id: c.id,
        path,
        serviceId: svc.id,
        enabled: svc.admin_state_up && c.admin_state_up,
        version: c.ikepolicy.ike_version === 'v2' ? 2 : 1,
        aggressive: c.ikepolicy.phase1_negotiation_mode === 'aggressive',
        family,
        localAddress: local.address,
        localId: c.local_id ?? local.address,
        peerAddress: c.peer_address.address,
        peerId: c.peer_id,
        localTs,
        peerTs,
        ike: {
          encryption: c.ikepolicy.encryption_algorithm,
          integrity: c.ikepolicy.auth_algorithm,
          dh: c.ikepolicy.pfs,
          lifetime: c.ikepolicy.lifetime.value,
        },
        child: {
          encryption: c.ipsecpolicy.encryption_algorithm,
          integrity: c.ipsecpolicy.auth_algorithm,
          dh: c.ipsecpolicy.pfs,
          lifetime: c.ipsecpolicy.lifetime,
        },
        dpd: c.dpd,
        initiator: c.initiator === 'bi-directional',
        psk: c.psk,
      });
    });
  });
  return out;
}

/** The local endpoint group (subnet ids or CIDRs), else the service's subnet (Neutron's older model). */
function localSelectors(
  svc: RawService,
  c: RawConnection,
  subnets: Map<string, string>,
  path: string,
  svcPath: string,
  issues: Issue[],
): string[] {
  const group = c.local_ep_group;
  if (!group) {
    const cidr = svc.subnet_id ? subnets.get(svc.subnet_id) : undefined;
    if (cidr) return [cidr];
    issues.push({
      path: svc.subnet_id ? `${svcPath}.subnet_id` : `${path}.local_ep_group`,
      message: svc.subnet_id ? 'must be the id of a subnet of this router' : 'must be given when the service has no subnet_id',
    });
    return [];
  }
  return group.endpoints.flatMap((e, k) => {
    const cidr = group.type === 'subnet' ? subnets.get(e) : cidrText(e);
    if (cidr) return [cidr];
    issues.push({
      path: `${path}.local_ep_group.endpoints.${k}`,
      message: group.type === 'subnet' ? 'must be the id of a subnet of this router' : 'must be a CIDR such as 10.0.0.0/24 or fd00::/64',
    });
    return [];
  });
}

/** The peer endpoint group (CIDRs only), else `peer_cidrs`. */
function peerSelectors(c: RawConnection, path: string, issues: Issue[]): string[] {
  const group = c.peer_ep_group;
  if (group) {
    if (group.type !== 'cidr') {
      issues.push({ path: `${path}.peer_ep_group.type`, message: 'must be "cidr": the peer\u2019s subnets are not known here' });
      return [];
    }
    return group.endpoints.flatMap((e, k) => {
      const cidr = cidrText(e);
      if (cidr) return [cidr];
      issues.push({ path: `${path}.peer_ep_group.endpoints.${k}`, message: 'must be a CIDR such as 10.0.0.0/24 or fd00::/64' });
      return [];
    });
  }
  const cidrs = (c.peer_cidrs ?? []).map((p) => `${p.network}/${p.prefixLength}`);
  if (cidrs.length === 0)
    issues.push({ path: `${path}.peer_cidrs`, message: 'must list the peer\u2019s CIDRs when there is no peer_ep_group' });
  return cidrs;
}
