// DHCP and DNS for tenant networks. The main file (interfaces, ranges) changing
// means a restart; the hosts and options files are re-read on SIGHUP, so an
// allocation change needs no restart.
import type { Feature } from '../kit/feature.ts';
import { tmpDirToken } from '../kit/step.ts';
import { checkDaemonLimits } from './limits.ts';
import { dnsmasqWanted, renderDnsmasq } from './render.ts';

export const DNSMASQ_FILES = {
  conf: 'etc/dnsmasq/dnsmasq.conf',
  hosts: 'etc/dnsmasq/dhcp-hosts',
  opts: 'etc/dnsmasq/dhcp-opts',
} as const;

/** dnsmasq --test does not read the hosts and options files, so they are inlined into a copy. */
export function dnsmasqCheckText(conf: string, hosts: string, opts: string): string {
  const keep = conf.split('\n').filter((l) => !/^dhcp-(hosts|opts)file=/.test(l));
  const lines = (text: string, prefix: string) =>
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => `${prefix}=${l}`);
  return [...keep, ...lines(hosts, 'dhcp-host'), ...lines(opts, 'dhcp-option'), ''].join('\n');
}

export const dnsmasq: Feature = {
  name: 'dnsmasq',
  // the DHCP option and line limits, one address per host
  validate: checkDaemonLimits,
  paths: Object.values(DNSMASQ_FILES),
  render: (m, layout) => {
    const dns = renderDnsmasq(m, { hostsFile: layout.file(DNSMASQ_FILES.hosts), optsFile: layout.file(DNSMASQ_FILES.opts) });
    return [
      { path: DNSMASQ_FILES.conf, content: dns.conf, mode: 0o644 },
      { path: DNSMASQ_FILES.hosts, content: dns.hosts, mode: 0o644 },
      { path: DNSMASQ_FILES.opts, content: dns.opts, mode: 0o644 },
    ];
  },
  checks: (files) => {
    const text = dnsmasqCheckText(
      files.get(DNSMASQ_FILES.conf) ?? '',
      files.get(DNSMASQ_FILES.hosts) ?? '',
      files.get(DNSMASQ_FILES.opts) ?? '',
    );
    return [
      {
        checker: 'dnsmasq',
        argv: ['dnsmasq', '--test', `--conf-file=${tmpDirToken}/dnsmasq.conf`],
        files: [{ name: 'dnsmasq.conf', content: text }],
      },
    ];
  },
  daemon: (layout) => {
    const conf = layout.file(DNSMASQ_FILES.conf);
    const pidFile = layout.file('run/dnsmasq.pid');
    return {
      name: 'dnsmasq',
      argv: [
        'dnsmasq',
        '--keep-in-foreground',
        `--conf-file=${conf}`,
        `--pid-file=${pidFile}`,
        `--dhcp-leasefile=${layout.file('var/dnsmasq.leases')}`,
        '--log-facility=-',
        '--log-dhcp',
      ],
      pidFile,
      logFile: layout.file('log/dnsmasq.log'),
      readyFile: pidFile,
      staleFiles: [],
      marker: conf,
    };
  },
  plan: ({ model, facts, changed, force, layout }) => {
    const running = facts.services.dnsmasq?.running === true;
    const argv = dnsmasq.daemon?.(layout).argv ?? [];
    if (!dnsmasqWanted(model)) return running ? [{ phase: 'services', kind: 'daemon', name: 'dnsmasq', action: 'stop', argv }] : [];
    if (!running) return [{ phase: 'services', kind: 'daemon', name: 'dnsmasq', action: 'start', argv }];
    if (changed.has(DNSMASQ_FILES.conf)) return [{ phase: 'services', kind: 'daemon', name: 'dnsmasq', action: 'restart', argv }];
    if (changed.has(DNSMASQ_FILES.hosts) || changed.has(DNSMASQ_FILES.opts) || force) {
      return [{ phase: 'services', kind: 'signal', name: 'dnsmasq', signal: 'SIGHUP' }];
    }
    return [];
  },
};
