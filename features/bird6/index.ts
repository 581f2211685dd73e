// bird6: kernel sync, BGP towards the external IPv6 gateway and router
// advertisements. A changed file is taken through `birdc6 configure`, which
// keeps BGP sessions up.
import type { Feature } from '../kit/feature.ts';
import { tmpDirToken } from '../kit/step.ts';
import { checkRouterAdvertisements } from './limits.ts';
import { renderBird6 } from './render.ts';

export const BIRD6_FILE = 'etc/bird/bird6.conf';

export const bird6: Feature = {
  name: 'bird6',
  validate: checkRouterAdvertisements,
  paths: [BIRD6_FILE],
  render: (m) => [{ path: BIRD6_FILE, content: renderBird6(m), mode: 0o644 }],
  checks: (files) => [
    {
      checker: 'bird6',
      argv: ['bird6', '-p', '-c', `${tmpDirToken}/bird6.conf`],
      files: [{ name: 'bird6.conf', content: files.get(BIRD6_FILE) ?? '' }],
    },
  ],
  daemon: (layout) => {
    const conf = layout.file(BIRD6_FILE);
    const ctl = layout.file('run/bird6.ctl');
    const pidFile = layout.file('run/bird6.pid');
    return {
      name: 'bird6',
      validate: checkRouterAdvertisements,
      argv: ['bird6', '-f', '-c', conf, '-s', ctl, '-P', pidFile],
      pidFile,
      logFile: layout.file('log/bird6.log'),
      readyFile: ctl,
      staleFiles: [ctl],
      marker: conf,
    };
  },
  plan: ({ facts, changed, force, layout }) => {
    if (facts.services.bird6?.running !== true) {
      return [{ phase: 'services', kind: 'daemon', name: 'bird6', action: 'start', argv: bird6.daemon?.(layout).argv ?? [] }];
    }
    if (!changed.has(BIRD6_FILE) && !force) return [];
    return [
      {
        phase: 'services',
        kind: 'run',
        reason: 'bird6 reconfigure',
        argv: ['birdc6', '-s', layout.file('run/bird6.ctl'), 'configure'],
        expect: 'Reconfigur(ed|ation in progress|ation already in progress)',
        counts: 'reload',
      },
    ];
  },
};
