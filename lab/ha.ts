// The lab's HA pair (ha_resource): a second router namespace on the same
// bridges, with its own root and agent, pushed the body the orchestrator would
// send it (the management address swapped with ha_config.peers[0], a lower
// priority). lab.json lists both under `routers`, the primary first.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Model } from '../schema/model.ts';
import { type AgentProcess, startAgent } from './agent.ts';
import { macFor } from './build.ts';
import type { Lab } from './lab.ts';
import { addNamespace, ipBatch, sleep, sysctlIn, veth } from './netns.ts';

export interface HaRouter {
  ns: string;
  root: string;
  managementAddress: string;
  priority: number;
}

interface ManagementSide {
  address: string;
  prefixLength: number;
}

// biome-ignore lint/suspicious/noExplicitAny: payloads are edited freely
type Body = any;

/** The second router's body: the management addresses swapped, the peer's priority lower (half, at least 1). */
export function peerBody(body: Body, model: Model): { body: Body; mgmt: ManagementSide; priority: number } {
  const own = model.managementAddress;
  const peer = model.ha?.peers[0];
  if (!own || !peer || !model.management) throw new Error('an HA lab needs a management address and ha_config.peers[0]');
  const prefixLength = model.management.addresses.find((a) => a.address === own)?.prefixLength ?? 64;
  const priority = Math.max(1, Math.floor((model.ha?.priority ?? 100) / 2));
  const copy = structuredClone(body);
  const net = (copy.networks as Body[]).find((n) => n.network_type === 'management');
  net.interface.addresses = (net.interface.addresses as string[]).map((a) => (a.split('/')[0] === own ? `${peer}/${prefixLength}` : a));
  copy.ha_config = { ...copy.ha_config, peers: [own], priority };
  return { body: copy, mgmt: { address: peer, prefixLength }, priority };
}

/** The second router: namespace, NICs (same generic order) on the first router's bridges, management address. */
async function buildPeer(lab: Lab, ns: string, mgmt: ManagementSide): Promise<void> {
  const t = lab.topo;
  await addNamespace(ns);
  const ports: string[] = [];
  for (const nic of t.nics) {
    await veth({ ns, ifname: nic.routerIf, mac: macFor(t.prefix, nic.index, 'router2') }, { ns: t.switchNs, ifname: `q${nic.index}` });
    ports.push(`link set q${nic.index} master ${nic.bridge} up`);
  }
  await ipBatch(t.switchNs, ports);
  const ifname = `eth${t.mgmt?.index ?? 0}`;
  await sysctlIn(ns, { [`net.ipv6.conf.${ifname}.accept_dad`]: '0' });
  const flag = mgmt.address.includes(':') ? 'nodad' : 'brd +';
  await ipBatch(ns, ['link set lo up', `link set ${ifname} up`, `address add ${mgmt.address}/${mgmt.prefixLength} ${flag} dev ${ifname}`]);
}

const url = (address: string, p: string, port = 5000) => `http://${address.includes(':') ? `[${address}]` : address}:${port}${p}`;

/** GET/PUT on one router of the pair, from the management host. */
export function routerApi(lab: Lab, r: HaRouter, method: string, p: string, body?: string) {
  return lab.http(lab.topo.mgmt?.ns ?? r.ns, method, url(r.managementAddress, p), { timeoutS: 95, ...(body ? { body } : {}) });
}

/** Builds, starts and pushes the second router; the first one is up and pushed already. */
export async function haUp(lab: Lab, body: Body, model: Model, say: (line: string) => void): Promise<AgentProcess> {
  const t = lab.topo;
  const peer = peerBody(body, model);
  const primary: HaRouter = {
    ns: t.routerNs,
    root: lab.root,
    managementAddress: model.managementAddress ?? '',
    priority: model.ha?.priority ?? 100,
  };
  const second: HaRouter = {
    ns: `${t.prefix}-rt2`,
    root: path.join(t.dir, 'root2'),
    managementAddress: peer.mgmt.address,
    priority: peer.priority,
  };
  t.routers = [primary, second];
  say(`building the second router ${second.ns} (management ${second.managementAddress}, priority ${second.priority})`);
  await buildPeer(lab, second.ns, peer.mgmt);
  await mkdir(second.root, { recursive: true, mode: 0o755 });
  const agent = await startAgent(
    {
      routerNs: second.ns,
      dir: t.dir,
      root: lab.root,
      managementAddress: second.managementAddress,
      defaultStatusTargets: (t.ext?.cidrs ?? []).map((c) => c.split('/')[0] as string),
      defaultEntry: t.agentEntry,
      probe: async (p, port) =>
        (await lab.http(t.mgmt?.ns ?? second.ns, 'GET', url(second.managementAddress, p, port), { timeoutS: 2 })).status,
    },
    { root: second.root },
  );
  say('pushing the second router its body');
  const answer = await routerApi(lab, second, 'PUT', '/v1/system/config', JSON.stringify(peer.body));
  if (answer.status !== 200) throw new Error(`the second router's push failed with ${answer.status}: ${answer.body.slice(0, 2000)}`);
  return agent;
}

export interface RouterRole {
  ns: string;
  role: string;
  held: number;
  owned: number;
}

/** Each router's GET /v1/system/ha, primary first. */
export async function haRoles(lab: Lab): Promise<RouterRole[]> {
  return Promise.all(
    (lab.topo.routers ?? []).map(async (r) => {
      const reply = await routerApi(lab, r, 'GET', '/v1/system/ha').catch(() => null);
      if (reply?.status !== 200) return { ns: r.ns, role: 'unreachable', held: 0, owned: 0 };
      const ha = (JSON.parse(reply.body) as { ha: RouterRole }).ha;
      return { ns: r.ns, role: ha.role, held: ha.held, owned: ha.owned };
    }),
  );
}

/** Waits until exactly one router holds every VRRP-owned address and the other holds none; that one's index. */
export async function waitForOneMaster(lab: Lab, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last: RouterRole[] = [];
  while (Date.now() < deadline) {
    last = await haRoles(lab);
    const full = last.filter((r) => r.owned > 0 && r.held === r.owned && r.role === 'master');
    const empty = last.filter((r) => r.held === 0);
    if (full.length === 1 && empty.length === last.length - 1) return last.indexOf(full[0] as RouterRole);
    await sleep(100);
  }
  throw new Error(`no single primary after ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/** `lab status` lines: each router's role. */
export async function haStatusLines(lab: Lab): Promise<string[]> {
  if (!lab.topo.routers?.length) return [];
  return [
    'HA pair (GET /v1/system/ha):',
    ...(await haRoles(lab)).map((r) => `  ${r.ns.padEnd(10)} ${r.role.padEnd(8)} holds ${r.held}/${r.owned} VRRP addresses`),
  ];
}
