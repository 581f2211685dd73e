// Everything the agent writes lives under one root directory.
import path from 'node:path';

export function rootPaths(root: string) {
  const p = (...parts: string[]) => path.join(root, ...parts);
  return {
    root,
    state: p('state', 'config.json'),
    runDir: p('run'),
    logDir: p('log'),
    varDir: p('var'),
    tmpDir: p('tmp'),
    dnsmasqPid: p('run', 'dnsmasq.pid'),
    dnsmasqLeases: p('var', 'dnsmasq.leases'),
    dnsmasqLog: p('log', 'dnsmasq.log'),
    bird6Pid: p('run', 'bird6.pid'),
    bird6Ctl: p('run', 'bird6.ctl'),
    bird6Log: p('log', 'bird6.log'),
    injectFailure: p('inject-failure'),
    file: (rel: string) => p(rel),
  };
}

export type RootPaths = ReturnType<typeof rootPaths>;
