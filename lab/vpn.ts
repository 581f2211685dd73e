// The lab's remote VPN sites: for each enabled connection of the payload, a
// namespace at its peer_address on the external network running strongSwan
// as the mirrored peer (the same connection seen from the other side, rendered
// by the same code), and behind it a host at an address inside the peer CIDRs.
// The router's side is whatever the agent configures; nothing here touches it.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rootLayout } from '../features/kit/layout.ts';
import { swanctlArgv } from '../features/vpn/plan.ts';
import { renderVpn, VICI_SOCKET } from '../features/vpn/render.ts';
import type { Model } from '../schema/model.ts';
import { parseCidr } from '../schema/syntax.ts';
import type { VpnConnection } from '../schema/vpn-model.ts';
import { addNamespace, inNs, ipBatch, sleep, spawnIn, sysctlIn, veth } from './netns.ts';
import { echoArgv } from './services.ts';
import type { LabTopology } from './topology.ts';
import { VM_HTTP_PORT } from './topology.ts';

export interface LabVpnSite {
  /** the connection id */
  id: string;
  /** strongSwan's namespace, at peer_address on the external network */
  ns: string;
  /** the host behind it, inside the peer CIDRs */
  hostNs: string;
  peerAddress: string;
  /** peer_address with the external subnet's prefix length */
  peerCidr: string;
  gateway: string | null;
  siteInside: string;
  hostAddress: string;
  insideLen: number;
  /** strongSwan's files, socket and log */
  dir: string;
}

/** The n-th address of an IPv4 prefix. */
function nth(network: string, n: number): string {
  const v = network.split('.').reduce((a, b) => a * 256 + Number(b), 0) + n;
  return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
}

/** The same connection from the peer's side: the site answers, the router initiates. */
export function mirrored(c: VpnConnection): VpnConnection {
  return {
    ...c,
    localAddress: c.peerAddress,
    localId: c.peerId,
    peerAddress: c.localAddress,
    peerId: c.localId,
    localTs: c.peerTs,
    peerTs: c.localTs,
    initiator: false,
  };
}

export function vpnSites(model: Model, prefix: string, dir: string): LabVpnSite[] {
  const ext = model.external;
  if (!ext) return [];
  return model.vpn
    .filter((c) => c.enabled && c.family === 4)
    .map((c, k) => {
      const subnet = ext.subnets.find((s) => s.family === 4 && parseCidr(s.cidr) && sameNet(s.cidr, c.peerAddress));
      if (!subnet)
        throw new Error(`VPN ${c.id}: the lab puts the peer ${c.peerAddress} on the external network, which has no subnet for it`);
      const inside = parseCidr(c.peerTs[0] ?? '');
      if (inside?.family !== 4 || inside.prefixLength > 29) throw new Error(`VPN ${c.id}: the lab needs an IPv4 peer CIDR of /29 or wider`);
      return {
        id: c.id,
        ns: `${prefix}-vs${k + 1}`,
        hostNs: `${prefix}-vh${k + 1}`,
        peerAddress: c.peerAddress,
        peerCidr: `${c.peerAddress}/${subnet.prefixLength}`,
        gateway: subnet.gateway,
        siteInside: nth(inside.network, 1),
        hostAddress: nth(inside.network, 2),
        insideLen: inside.prefixLength,
        dir: path.join(dir, `vpn-${k + 1}`),
      };
    });
}

function sameNet(cidr: string, address: string): boolean {
  const c = parseCidr(cidr);
  const a = parseCidr(`${address}/${c?.prefixLength ?? 32}`);
  return !!c && !!a && a.network === c.network;
}

/** Writes a site's strongSwan files for this connection (or a changed copy of it) and loads them. */
export async function configureSite(site: LabVpnSite, c: VpnConnection): Promise<void> {
  const layout = rootLayout(site.dir);
  const model = { vpn: [mirrored(c)] } as unknown as Model;
  for (const f of renderVpn(model, layout)) {
    await mkdir(path.dirname(layout.file(f.path)), { recursive: true });
    await writeFile(layout.file(f.path), f.content, { mode: f.mode });
  }
  const r = await inNs(site.ns, swanctlArgv(layout, ['--load-all', '--file', layout.file('etc/swanctl/swanctl.conf')]));
  if (r.exitCode !== 0) throw new Error(`VPN site ${site.id}: swanctl --load-all failed: ${r.stderr}${r.stdout}`);
}

export async function buildVpnSites(t: LabTopology, model: Model): Promise<void> {
  const sites = t.vpn ?? [];
  if (!t.ext || sites.length === 0) return;
  for (const [k, site] of sites.entries()) {
    const c = model.vpn.find((x) => x.id === site.id) as VpnConnection;
    await addNamespace(site.ns);
    await addNamespace(site.hostNs);
    await veth({ ns: site.ns, ifname: 'eth0' }, { ns: t.switchNs, ifname: `p${k}` });
    await ipBatch(t.switchNs, [`link set p${k} master br${t.ext.index} up`]);
    await veth({ ns: site.ns, ifname: 'eth1' }, { ns: site.hostNs, ifname: 'eth0' });
    await sysctlIn(site.ns, { 'net.ipv4.ip_forward': '1' });
    await ipBatch(site.ns, [
      'link set eth0 up',
      'link set eth1 up',
      `address add ${site.peerCidr} dev eth0`,
      `address add ${site.siteInside}/${site.insideLen} dev eth1`,
      ...(site.gateway ? [`route add default via ${site.gateway}`] : []),
    ]);
    await ipBatch(site.hostNs, [
      'link set eth0 up',
      `address add ${site.hostAddress}/${site.insideLen} dev eth0`,
      `route add default via ${site.siteInside}`,
    ]);
    const layout = rootLayout(site.dir);
    await mkdir(path.join(site.dir, 'run'), { recursive: true });
    await mkdir(path.join(site.dir, 'etc', 'strongswan'), { recursive: true });
    const [strongswan] = renderVpn({ vpn: [mirrored(c)] } as unknown as Model, layout).filter((f) => f.path.endsWith('strongswan.conf'));
    await writeFile(layout.file('etc/strongswan/strongswan.conf'), strongswan?.content ?? '');
    await spawnIn(site.ns, ['charon-systemd'], path.join(site.dir, 'charon.log'), {
      STRONGSWAN_CONF: layout.file('etc/strongswan/strongswan.conf'),
    });
    const socket = layout.file(VICI_SOCKET);
    for (let i = 0; i < 100; i++) {
      if ((await inNs(site.ns, ['test', '-S', socket])).exitCode === 0) break;
      await sleep(50);
    }
    await configureSite(site, c);
    await spawnIn(site.hostNs, echoArgv('http-echo', '0.0.0.0', VM_HTTP_PORT, `vpn-host-${k + 1}`), path.join(site.dir, 'http.log'));
  }
}

/** A site's own view: `swanctl --list-sas` (text) in its namespace. */
export async function siteSas(site: LabVpnSite): Promise<string> {
  const r = await inNs(site.ns, swanctlArgv(rootLayout(site.dir), ['--list-sas']));
  return r.exitCode === 0 ? r.stdout : `swanctl failed: ${r.stderr.trim()}`;
}
