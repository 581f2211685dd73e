// bird6: kernel sync, BGP towards the external IPv6 gateway announcing only
// tenant prefixes, and router advertisements on tenant interfaces.
import type { Model, Subnet } from '../../schema/model.ts';
import { tenantNetworks as tenants } from '../../schema/model-reads.ts';
import { isLinkLocal } from '../../schema/syntax.ts';
import { compileTemplate, PROVENANCE } from '../kit/eta.ts';
import { BIRD6_TEMPLATE } from './template.ts';

function raFlags(subnets: Subnet[]) {
  const modes = subnets.map((s) => s.v6Mode);
  return { managed: modes.includes('stateful'), other: modes.some((x) => x === 'stateful' || x === 'stateless') };
}

export function bird6View(m: Model) {
  const ext = m.external;
  const extV6 = ext?.addresses.filter((a) => a.family === 6).map((a) => a.address)[0] ?? null;
  const announced = m.internal.flatMap((n) => n.subnets.filter((s) => s.family === 6 && s.gateway).map((s) => s.cidr));
  const peers =
    ext && extV6
      ? ext.subnets
          .filter((s) => s.family === 6 && s.gateway)
          .map((s, i) => {
            const gateway = s.gateway as string;
            // a link-local neighbour needs its interface, and cannot be reached from a global source address
            return isLinkLocal(gateway)
              ? { name: `uplink${i}`, neighbor: gateway, source: null, ifname: ext.ifname }
              : { name: `uplink${i}`, neighbor: gateway, source: extV6, ifname: null };
          })
      : [];
  const radv = tenants(m)
    .map((n) => {
      const v6 = n.subnets.filter((s) => s.family === 6);
      const flags = raFlags(v6);
      const dns = [...new Set(v6.flatMap((s) => s.dnsServers.filter((d) => d.includes(':'))))];
      return {
        ifname: n.ifname,
        managed: flags.managed,
        other: flags.other,
        prefixes: v6.map((s) => ({ cidr: s.cidr, autonomous: s.v6Mode !== 'stateful' })),
        dns,
      };
    })
    .filter((r) => r.prefixes.length > 0);
  return {
    provenance: PROVENANCE,
    routerId: m.routerId,
    direct: [ext, ...tenants(m)]
      .filter((n) => n !== null)
      .map((n) => `"${n.ifname}"`)
      .join(', '),
    announced,
    peers,
    asn: m.asn,
    neighborAsn: m.neighborAsn,
    // a route reflector client only makes sense inside one AS; bird refuses it for eBGP
    rrClient: m.asn === m.neighborAsn,
    radv,
    // ha_resource: the default route (or the first prefix) keepalived installs on the primary only
    trigger: m.ha ? (m.defaultV6Gateway ? '::/0' : (radv[0]?.prefixes[0]?.cidr ?? null)) : null,
  };
}

const template = compileTemplate<ReturnType<typeof bird6View>>(BIRD6_TEMPLATE);

export function renderBird6(m: Model): string {
  return template(bird6View(m));
}
