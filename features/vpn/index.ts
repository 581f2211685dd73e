// Site-to-site IPsec with strongSwan: charon (charon-systemd, in the
// foreground, settings from the rendered strongswan.conf) supervised like the
// other daemons, its connections and keys loaded over vici with swanctl.
// See docs/vpn.md.
import type { Feature } from '../kit/feature.ts';
import { vpnFirewall } from './firewall.ts';
import { CHARON, loadAllArgv, planVpn } from './plan.ts';
import { CHARON_LOG, renderVpn, VICI_SOCKET, VPN_FILES } from './render.ts';
import { checkVpn } from './validate.ts';

export const vpn: Feature = {
  name: 'vpn',
  validate: checkVpn,
  paths: Object.values(VPN_FILES),
  render: (m, layout) => renderVpn(m, layout),
  daemon: (layout) => {
    const conf = layout.file(VPN_FILES.strongswan);
    const socket = layout.file(VICI_SOCKET);
    return {
      name: CHARON,
      // charon-systemd: no pid file of its own (charon's is fixed at /var/run/charon.pid, one per machine)
      argv: ['env', `STRONGSWAN_CONF=${conf}`, 'charon-systemd'],
      pidFile: layout.file('run/charon.pid'),
      logFile: layout.file(CHARON_LOG),
      readyFile: socket,
      staleFiles: [socket],
      // charon-systemd's command line carries no path of ours (env execs it)
      marker: 'charon-systemd',
      supervisorWritesPid: true,
      // charon-systemd loads no connections itself: one restarted after a crash gets them as a plan's start does
      afterRestart: [loadAllArgv(layout)],
    };
  },
  plan: (input) => planVpn(input, vpn.daemon?.(input.layout).argv ?? []),
  firewall: vpnFirewall,
};
