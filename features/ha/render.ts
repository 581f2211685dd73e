// keepalived: one VRRP instance per data network in one sync group, adverts
// unicast between the management addresses; conntrackd: FTFW over the
// management network to the first peer of the same family.
import type { Model } from '../../schema/model.ts';
import { parseAddress } from '../../schema/syntax.ts';
import { compileTemplate, PROVENANCE } from '../kit/eta.ts';
import type { RootLayout } from '../kit/layout.ts';
import { wantedRoutes } from '../routes/index.ts';
import { vrrpAddresses, vrrpNetworks } from './owned.ts';
import { CONNTRACKD_TEMPLATE, KEEPALIVED_TEMPLATE, NOTIFY_TEMPLATE } from './template.ts';

export const HA_FILES = {
  keepalived: 'etc/keepalived/keepalived.conf',
  notify: 'etc/keepalived/notify.sh',
  conntrackd: 'etc/conntrackd/conntrackd.conf',
} as const;

/** Where the transition script records the role ("master 1700000000.123"), relative to the root. */
export const ROLE_FILE = 'run/ha-role';
export const CONNTRACKD_SOCKET = 'run/conntrackd.ctl';
export const CONNTRACKD_LOCK = 'run/conntrackd.lock';
export const CONNTRACKD_PORT = 3780;
/** VRRPv3 advertisement interval in seconds: the backup takes over after about 3 of them */
export const ADVERT_INT = 0.2;
export const SYNC_GROUP = 'router';

/** The management address and the peers of its family: VRRP and conntrackd talk over them. */
export function haEndpoints(m: Model): { source: string; family: 4 | 6; ifname: string; peers: string[] } | null {
  if (!m.ha || !m.management || !m.managementAddress) return null;
  const family = parseAddress(m.managementAddress)?.family ?? 4;
  const peers = m.ha.peers.filter((p) => parseAddress(p)?.family === family);
  return { source: m.managementAddress, family, ifname: m.management.ifname, peers };
}

const keepalivedView = compileTemplate<Record<string, unknown>>(KEEPALIVED_TEMPLATE);
const conntrackdView = compileTemplate<Record<string, unknown>>(CONNTRACKD_TEMPLATE);
const notifyView = compileTemplate<Record<string, unknown>>(NOTIFY_TEMPLATE);

const routeText = (family: 4 | 6, dst: string) => (dst === 'default' ? (family === 4 ? '0.0.0.0/0' : '::/0') : dst);

/**
 * An instance's advert carries addresses of its own family (the management
 * address's); a link without one gets a link-local stand-in, since keepalived
 * wants at least one.
 */
function standIn(family: 4 | 6, vrid: number): string {
  return family === 6 ? `fe80::ac:${vrid.toString(16)}/64` : `169.254.172.${vrid}/32`;
}

export function keepalivedInstances(m: Model) {
  const owned = vrrpAddresses(m);
  const routes = wantedRoutes(m);
  const family = haEndpoints(m)?.family ?? 4;
  return vrrpNetworks(m).map((n) => {
    // the same on both routers of a pair: they receive the same networks in the same order
    const vrid = n.index + 1;
    const mine = owned.filter((a) => a.ifname === n.ifname);
    const first = mine.find((a) => a.family === family);
    const text = (a: { address: string; prefixLength: number }) => `${a.address}/${a.prefixLength} dev ${n.ifname}`;
    return {
      name: `vrrp_${n.generic}`,
      ifname: n.ifname,
      vrid,
      primary: [first ? text(first) : `${standIn(family, vrid)} dev ${n.ifname}`],
      // the other family and the rest: held with the role, not carried in the advert
      excluded: mine.filter((a) => a !== first).map(text),
      routes: routes.filter((r) => r.dev === n.ifname).map((r) => `${routeText(r.family, r.dst)} via ${r.gateway} dev ${r.dev}`),
    };
  });
}

export function renderKeepalived(m: Model, layout: RootLayout): string {
  const ends = haEndpoints(m);
  if (!ends) return '';
  return keepalivedView({
    provenance: PROVENANCE,
    routerId: m.hostname,
    group: SYNC_GROUP,
    notify: `"${layout.file(HA_FILES.notify)}"`,
    instances: keepalivedInstances(m),
    ifname: ends.ifname,
    priority: m.ha?.priority ?? 100,
    advertInt: ADVERT_INT,
    source: ends.source,
    peers: ends.peers,
  });
}

export function renderConntrackd(m: Model, layout: RootLayout): string {
  const ends = haEndpoints(m);
  const peer = ends?.peers[0];
  if (!ends || !peer) return '';
  const ignored = [ends.source, ...ends.peers].map((address) => ({ address, family: parseAddress(address)?.family ?? 4 }));
  return conntrackdView({
    provenance: PROVENANCE,
    family: ends.family === 4 ? '4' : '6',
    source: ends.source,
    peer,
    port: CONNTRACKD_PORT,
    ifname: ends.ifname,
    logFile: layout.file('log/conntrackd.log'),
    lockFile: layout.file(CONNTRACKD_LOCK),
    socket: layout.file(CONNTRACKD_SOCKET),
    ignored,
  });
}

export function renderNotify(m: Model, layout: RootLayout): string {
  if (!m.ha) return '';
  return notifyView({ provenance: PROVENANCE, roleFile: layout.file(ROLE_FILE), conf: layout.file(HA_FILES.conntrackd) });
}
