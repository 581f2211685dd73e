// The services of the hosts around the router: the orchestrator's metadata
// endpoint, the upstream "what is my address" HTTP and TCP echo servers and
// its BGP peer (bird6), and each VM's HTTP server. All of them lab/echo.mjs
// but the BGP peer.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inNs, spawnIn } from './netns.ts';
import { ECHO } from './paths.ts';
import { EXT_HTTP_PORT, type LabTopology, type LabVm, TCP_ECHO_PORT, VM_HTTP_PORT } from './topology.ts';

/** argv of a lab/echo.mjs service: http-echo, tcp-echo or tcp-client HOST PORT [NAME] */
export function echoArgv(mode: string, host: string, port: number, name?: string): string[] {
  return [process.execPath, ECHO, mode, host, String(port), ...(name ? [name] : [])];
}

function bird6Conf(b: NonNullable<NonNullable<LabTopology['ext']>['bgp']>): string {
  return `router id 192.0.2.254;
log stderr all;
protocol device { scan time 10; }
# next hops of the iBGP routes resolve through the connected network
protocol direct { interface "eth0"; }
protocol kernel { export all; scan time 10; }
protocol bgp appliance {
    local ${b.local} as ${b.localAs};
    neighbor ${b.peer} as ${b.peerAs};
    import all;
    export none;
    connect retry time 2;
}
`;
}

export async function startVmServices(vm: LabVm, dir: string): Promise<void> {
  await spawnIn(vm.ns, echoArgv('http-echo', '::', VM_HTTP_PORT, vm.name), path.join(dir, `${vm.name}-http.log`));
}

export async function startServices(t: LabTopology): Promise<void> {
  const logf = (name: string) => path.join(t.dir, `${name}.log`);
  if (t.mgmt)
    await spawnIn(t.mgmt.ns, echoArgv('http-echo', t.mgmt.orchestrator.address, t.mgmt.orchestrator.port), logf('metadata-endpoint'));
  if (t.ext) {
    await spawnIn(t.ext.ns, echoArgv('http-echo', '::', EXT_HTTP_PORT), logf('ext-http'));
    await spawnIn(t.ext.ns, echoArgv('tcp-echo', '::', TCP_ECHO_PORT), logf('ext-tcp'));
    if (t.ext.bgp) {
      const conf = path.join(t.dir, 'ext-bird6.conf');
      await writeFile(conf, bird6Conf(t.ext.bgp));
      const ctl = path.join(t.dir, 'ext-bird6.ctl');
      await spawnIn(t.ext.ns, ['bird6', '-f', '-c', conf, '-s', ctl, '-P', path.join(t.dir, 'ext-bird6.pid')], logf('ext-bird6'));
    }
  }
  for (const vm of t.vms) await startVmServices(vm, t.dir);
}

/** The upstream BGP peer's view: the session state and the prefixes learned from the router. */
export async function bgpState(t: LabTopology): Promise<{ state: string; learned: string[] }> {
  if (!t.ext?.bgp) return { state: 'none', learned: [] };
  const ctl = path.join(t.dir, 'ext-bird6.ctl');
  const proto = await inNs(t.ext.ns, ['birdc6', '-s', ctl, 'show', 'protocols', 'appliance']);
  const routes = await inNs(t.ext.ns, ['birdc6', '-s', ctl, 'show', 'route', 'protocol', 'appliance']);
  const state = /appliance\s+BGP\s+\S+\s+\S+\s+\S+\s+(\S+)/.exec(proto.stdout)?.[1] ?? 'unknown';
  const learned = routes.stdout
    .split('\n')
    .map((l) => l.split(/\s+/)[0] ?? '')
    .filter((x) => x.includes('/'));
  return { state, learned };
}

/** A TCP client inside a namespace (lab/echo.mjs tcp-client): argv for spawn. */
export function tcpClientArgv(ns: string, host: string, port = TCP_ECHO_PORT): string[] {
  return ['ip', 'netns', 'exec', ns, ...echoArgv('tcp-client', host, port)];
}
