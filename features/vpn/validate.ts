// The VPN's own rules on a valid model: what strongSwan would refuse or
// silently get wrong.
import type { Issue, PathOf } from '../../schema/issues.ts';
import type { Model } from '../../schema/model.ts';
import { cidrContains, parseCidr } from '../../schema/syntax.ts';

const overlaps = (a: string, b: string): boolean => {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y || x.family !== y.family) return false;
  return cidrContains(x.network, x.prefixLength, y.network) || cidrContains(y.network, y.prefixLength, x.network);
};

export function checkVpn(m: Model, _pathOf: PathOf): Issue[] {
  const issues: Issue[] = [];
  const own = m.networks.flatMap((n) => n.addresses);
  const subnets = m.networks.flatMap((n) => n.subnets.map((s) => s.cidr));
  m.vpn.forEach((c) => {
    const at = c.path;
    if (c.version === 1 && (c.localTs.length > 1 || c.peerTs.length > 1)) {
      issues.push({ path: `${at}.ikepolicy.ike_version`, message: 'IKEv1 negotiates one local and one peer CIDR: use IKEv2 for several' });
    }
    const routed = c.localTs.some((ts) => {
      const p = parseCidr(ts);
      return p !== null && own.some((a) => a.family === p.family && cidrContains(p.network, p.prefixLength, a.address));
    });
    if (!routed) {
      issues.push({
        path: `${at}.local_ep_group.endpoints`,
        message: 'must include a subnet the router has an address in: the tunnel\u2019s route takes its source address from it',
      });
    }
    for (const p of c.peerTs) {
      const clash = subnets.find((s) => overlaps(s, p));
      if (clash) issues.push({ path: `${at}.peer_cidrs`, message: `${p} overlaps the router's own subnet ${clash}` });
    }
  });
  return issues;
}
