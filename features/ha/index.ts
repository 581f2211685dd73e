// High availability (ha_resource): keepalived holds the router's addresses and
// routes on the primary only; conntrackd keeps the pair's connection tables in
// step so established flows survive a failover. Both are supervised daemons.
import type { Model } from '../../schema/model.ts';
import type { Feature, PhasedStep } from '../kit/feature.ts';
import { tmpDirToken } from '../kit/step.ts';
import { haFirewall } from './firewall.ts';
import { vrrpAddresses } from './owned.ts';
import { CONNTRACKD_LOCK, CONNTRACKD_SOCKET, HA_FILES, renderConntrackd, renderKeepalived, renderNotify } from './render.ts';
import { validateHa } from './validate.ts';

/** The metadata proxy listens on gateway addresses a backup does not hold. */
// IPv4 only: an IPv6 BGP session must not be able to bind the external address on a backup
export const NONLOCAL_BIND = ['net/ipv4/ip_nonlocal_bind'];

/** keepalived's reload throttle (docs/ha.md, "Reloads"): well under the failover budget, above a push burst's spacing */
export const KEEPALIVED_MIN_RELOAD_MS = 1000;

const stop = (name: string, argv: string[]): PhasedStep => ({ phase: 'services', kind: 'daemon', name, action: 'stop', argv });

export const keepalived: Feature = {
  // both halves of the feature render into features/ha/golden
  name: 'ha',
  validate: validateHa,
  paths: [HA_FILES.keepalived, HA_FILES.notify],
  render: (m, layout) =>
    m.ha
      ? [
          { path: HA_FILES.keepalived, content: renderKeepalived(m, layout), mode: 0o644 },
          { path: HA_FILES.notify, content: renderNotify(m, layout), mode: 0o755 },
        ]
      : [],
  checks: (files, changed) =>
    changed.has(HA_FILES.keepalived)
      ? [
          {
            checker: 'keepalived',
            argv: ['keepalived', '--config-test', '-f', `${tmpDirToken}/keepalived.conf`],
            files: [{ name: 'keepalived.conf', content: files.get(HA_FILES.keepalived) ?? '' }],
          },
        ]
      : [],
  ownedAddresses: vrrpAddresses,
  sysctlKeys: () => NONLOCAL_BIND,
  firewall: haFirewall,
  daemon: (layout) => {
    const conf = layout.file(HA_FILES.keepalived);
    const pidFile = layout.file('run/keepalived.pid');
    return {
      name: 'keepalived',
      // the VRRP process only; every pid file under the root, so two routers can share a file system
      argv: [
        'keepalived',
        '--dont-fork',
        '--vrrp',
        '--log-console',
        '--log-detail',
        '--use-file',
        conf,
        '--pid',
        pidFile,
        '--vrrp_pid',
        layout.file('run/keepalived-vrrp.pid'),
        '--checkers_pid',
        layout.file('run/keepalived-checkers.pid'),
      ],
      pidFile,
      logFile: layout.file('log/keepalived.log'),
      readyFile: pidFile,
      staleFiles: [],
      marker: conf,
      // every SIGHUP re-creates keepalived's VRRP instances: a burst of pushes reloads it once a second at most
      minReloadIntervalMs: KEEPALIVED_MIN_RELOAD_MS,
    };
  },
  plan: ({ model, facts, changed, layout }) => {
    const running = facts.services.keepalived?.running === true;
    const argv = keepalived.daemon?.(layout).argv ?? [];
    if (!model.ha) return running ? [stop('keepalived', argv)] : [];
    const steps: PhasedStep[] = NONLOCAL_BIND.filter((k) => facts.sysctls[k] !== '1').map((key) => ({
      phase: 'sysctl',
      kind: 'sysctl',
      key,
      value: '1',
    }));
    if (!running) steps.push({ phase: 'services', kind: 'daemon', name: 'keepalived', action: 'start', argv });
    // a reload only for a changed file, never forced: an identical push must not cause a VRRP transition
    else if (changed.has(HA_FILES.keepalived) || changed.has(HA_FILES.notify)) {
      steps.push({ phase: 'services', kind: 'signal', name: 'keepalived', signal: 'SIGHUP' });
    }
    return steps;
  },
};

export const conntrackd: Feature = {
  name: 'ha',
  paths: [HA_FILES.conntrackd],
  render: (m, layout) => (syncs(m) ? [{ path: HA_FILES.conntrackd, content: renderConntrackd(m, layout), mode: 0o644 }] : []),
  // conntrackd has no configuration test: only a running daemon parses its file
  daemon: (layout) => {
    const conf = layout.file(HA_FILES.conntrackd);
    const lock = layout.file(CONNTRACKD_LOCK);
    const socket = layout.file(CONNTRACKD_SOCKET);
    return {
      name: 'conntrackd',
      argv: ['conntrackd', '-C', conf],
      pidFile: layout.file('run/conntrackd.pid'),
      logFile: layout.file('log/conntrackd.out'),
      readyFile: socket,
      // a killed conntrackd leaves its lock and socket, and refuses to start over them
      staleFiles: [lock, socket],
      marker: conf,
      supervisorWritesPid: true,
    };
  },
  plan: ({ model, facts, changed, layout }) => {
    const running = facts.services.conntrackd?.running === true;
    const argv = conntrackd.daemon?.(layout).argv ?? [];
    if (!syncs(model)) return running ? [stop('conntrackd', argv)] : [];
    if (!running) return [{ phase: 'services', kind: 'daemon', name: 'conntrackd', action: 'start', argv }];
    // conntrackd has no reload; a restart refills its caches from the kernel and the peer
    if (changed.has(HA_FILES.conntrackd)) return [{ phase: 'services', kind: 'daemon', name: 'conntrackd', action: 'restart', argv }];
    return [];
  },
};

/** conntrackd runs when there is a peer to sync with. */
const syncs = (m: Model) => m.ha !== null && m.ha.peers.length > 0 && m.managementAddress !== null;
