// The network lab: a whole router built from a payload, entirely inside
// network namespaces made here, with the orchestrator, the upstream router and
// the tenant VMs as namespaces around it, joined by bridges in a switch
// namespace. The router runs `appliance serve` (lab/agent.ts). Used by
// `appliance lab`, the namespace test suites and the benchmarks.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Model } from '../schema/model.ts';
import { defaultInterfaceMap, parseConfiguration } from '../schema/parse.ts';
import { type AgentOptions, type AgentProcess, startAgent } from './agent.ts';
import { attachVm, build, managementAddress, namespaces } from './build.ts';
import { dhcpState, startDhcp, writeDhcpFiles } from './dhcp.ts';
import { haUp } from './ha.ts';
import { curl, type Reply, type RequestOptions } from './http.ts';
import {
  addNamespace,
  alive,
  type CommandResult,
  inNs,
  namespacePids,
  namespacesOf,
  type RunOptions,
  removeNamespaces,
  sleep,
} from './netns.ts';
import { APPLIANCE, DEFAULT_PAYLOAD, labDir } from './paths.ts';
import { bgpState, startServices, startVmServices } from './services.ts';
import { buildTopology, type LabTopology, type LabVm } from './topology.ts';
import { buildVpnSites, vpnSites } from './vpn.ts';

/** the agent's API port (runtime/serve.ts API_PORT) */
export const API_PORT = 5000;
const PREFIX = /^[a-z][a-z0-9]{0,7}$/;

export interface LabUpOptions {
  payload?: string;
  prefix?: string;
  /** push the payload once the agent answers (default true) */
  push?: boolean;
  /** start the VMs' DHCP clients after the push (default true) */
  dhcp?: boolean;
  /** start the hosts' services: echo servers, the metadata endpoint, the BGP peer (default true) */
  services?: boolean;
  /** run `appliance configure-management` in the router (default true); false puts the address on directly */
  configureManagement?: boolean;
  maxVmsPerNetwork?: number;
  /** how to start the agent; false starts none */
  agent?: AgentOptions | false;
  /** the agent's entry script for every start: scripts/appliance.mjs (the default) or dist/appliance.mjs (the bundle) */
  agentEntry?: string;
  log?: (line: string) => void;
}

export class Lab {
  /** the agent on the lab's own root that this object started last, if any */
  agent: AgentProcess | null = null;
  constructor(readonly topo: LabTopology) {}

  static async load(prefix: string): Promise<Lab> {
    const file = path.join(labDir(prefix), 'lab.json');
    if (!existsSync(file)) throw new Error(`no lab named ${prefix} is up (no ${file})`);
    return new Lab(JSON.parse(await readFile(file, 'utf8')) as LabTopology);
  }

  get dir(): string {
    return this.topo.dir;
  }

  /** the agent's root: etc/, run/, state/ */
  get root(): string {
    return path.join(this.topo.dir, 'root');
  }

  /** Runs argv inside a namespace of the lab. */
  exec(ns: string, argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    return inNs(ns, argv, opts);
  }

  async must(ns: string, argv: string[], input?: string): Promise<string> {
    const r = await this.exec(ns, argv, { input });
    if (r.exitCode !== 0) throw new Error(`${ns}: ${argv.join(' ')} failed (${r.exitCode}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** An HTTP request made with curl from inside a namespace. */
  http(ns: string, method: string, url: string, opts: RequestOptions = {}): Promise<Reply> {
    return curl(ns, this.dir, method, url, opts);
  }

  apiUrl(p: string, port = API_PORT): string {
    if (!this.topo.mgmt) throw new Error('the payload has no management network');
    return `http://[${this.topo.mgmt.routerAddress}]:${port}${p}`;
  }

  /** A call to the router's API from the management host, as the orchestrator makes it. */
  api(method: string, p: string, opts: RequestOptions & { port?: number } = {}): Promise<Reply> {
    return this.http(this.topo.mgmt?.ns ?? this.topo.routerNs, method, this.apiUrl(p, opts.port), { timeoutS: 95, ...opts });
  }

  push(bodyText: string): Promise<Reply> {
    return this.api('PUT', '/v1/system/config', { body: bodyText });
  }

  /** A new empty root under the lab's directory, for another agent. */
  async newRoot(): Promise<string> {
    const root = path.join(this.dir, `root-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`);
    await mkdir(root, { mode: 0o755 });
    return root;
  }

  /** Starts an agent; on the lab's own root (the default) it becomes `lab.agent`. */
  async startAgent(opts: AgentOptions = {}): Promise<AgentProcess> {
    const t = this.topo;
    const agent = await startAgent(
      {
        routerNs: t.routerNs,
        dir: t.dir,
        root: this.root,
        managementAddress: t.mgmt?.routerAddress ?? null,
        defaultStatusTargets: (t.ext?.cidrs ?? []).map((c) => c.split('/')[0] as string),
        defaultEntry: t.agentEntry,
        probe: async (p, port) => (await this.api('GET', p, { port, timeoutS: 2 })).status,
      },
      opts,
    );
    if (agent.root === this.root) this.agent = agent;
    return agent;
  }

  /** The pid of the lab's own agent (the one on the lab's root), from agent.pid, if it runs. */
  async agentPid(): Promise<number | null> {
    try {
      const pid = Number((await readFile(path.join(this.dir, 'agent.pid'), 'utf8')).trim());
      return pid > 0 && alive(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  async killAgent(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.agent) return this.agent.kill(signal);
    const pid = await this.agentPid();
    if (pid === null) return;
    process.kill(pid, signal);
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
  }

  async waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await sleep(200);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }

  vm(name: string): LabVm {
    const found = this.topo.vms.find((v) => v.name === name);
    if (!found) throw new Error(`no ${name} in the lab`);
    return found;
  }

  vmAddresses(vm: LabVm): Promise<string> {
    return this.must(vm.ns, ['ip', '-o', 'addr', 'show', 'dev', 'eth0']);
  }

  startDhcp(vm: LabVm): Promise<void> {
    return startDhcp(this.dir, vm);
  }

  dhcpState(vm: LabVm, family: 4 | 6): Promise<Record<string, string>> {
    return dhcpState(this.dir, vm, family);
  }

  bgpState(): Promise<{ state: string; learned: string[] }> {
    return bgpState(this.topo);
  }

  /** Waits (bounded) for the VMs' IPv4 leases and the BGP session, for a meaningful summary. */
  async settle(timeoutMs = 20_000): Promise<void> {
    const leases = async () =>
      (await Promise.all(this.topo.vms.filter((v) => v.ipv4).map((vm) => this.dhcpState(vm, 4)))).every((d) => d.ip);
    const bgp = async () => !this.topo.ext?.bgp || (await this.bgpState()).state === 'Established';
    await this.waitFor(async () => (await leases()) && (await bgp()), timeoutMs, 'DHCP leases and BGP').catch(() => {});
  }

  /** A VM that joins later (a new allocation): namespace, NIC on its network's bridge, services, DHCP. */
  async addVm(vm: Omit<LabVm, 'ns'>): Promise<LabVm> {
    const full: LabVm = { ...vm, ns: `${this.topo.prefix}-${vm.name}` };
    await addNamespace(full.ns);
    await attachVm(this.topo, full, `w${this.topo.vms.length}`);
    this.topo.vms.push(full);
    await writeFile(path.join(this.dir, 'lab.json'), `${JSON.stringify(this.topo, null, 1)}\n`);
    await startVmServices(full, this.dir);
    await this.startDhcp(full);
    return full;
  }

  routerPids(): Promise<number[]> {
    return namespacePids(this.topo.routerNs);
  }
}

function parseModel(body: unknown): Model {
  const parsed = parseConfiguration(body, defaultInterfaceMap());
  if (!parsed.ok) throw new Error(`the payload is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return parsed.model;
}

export async function labUp(opts: LabUpOptions = {}): Promise<Lab> {
  const prefix = opts.prefix ?? 'lab';
  if (!PREFIX.test(prefix)) throw new Error('--prefix must be 1-8 lowercase letters and digits, starting with a letter');
  const say = opts.log ?? (() => {});
  const bodyText = await readFile(path.resolve(opts.payload ?? DEFAULT_PAYLOAD), 'utf8');
  const model = parseModel(JSON.parse(bodyText));
  await labDown(prefix);
  const dir = labDir(prefix);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const topo = buildTopology(model, prefix, dir, opts.maxVmsPerNetwork ?? 4);
  if (opts.agentEntry) topo.agentEntry = path.resolve(opts.agentEntry);
  topo.vpn = vpnSites(model, prefix, dir);
  await writeFile(path.join(dir, 'lab.json'), `${JSON.stringify(topo, null, 1)}\n`);
  await writeFile(path.join(dir, 'payload.json'), bodyText);
  await writeDhcpFiles(dir);
  const lab = new Lab(topo);
  try {
    say(`building ${namespaces(topo).length} namespaces`);
    await build(topo, model);
    await buildVpnSites(topo, model);
    if (opts.services !== false) await startServices(topo);
    if (topo.mgmt && opts.configureManagement !== false) {
      say('configuring the management interface (first boot)');
      const mac = (await lab.must(topo.routerNs, ['cat', `/sys/class/net/eth${topo.mgmt.index}/address`])).trim();
      await lab.must(topo.routerNs, [process.execPath, APPLIANCE, 'configure-management', '--mac', mac, '--address', topo.mgmt.routerCidr]);
    } else await managementAddress(topo);
    if (opts.agent === false) return lab;
    say('starting the agent');
    await lab.startAgent(opts.agent);
    if (opts.push !== false) {
      say('pushing the payload from the management host');
      const answer = await lab.push(bodyText);
      if (answer.status !== 200) throw new Error(`the push failed with ${answer.status}: ${answer.body.slice(0, 2000)}`);
      if (model.ha) {
        await haUp(lab, JSON.parse(bodyText), model, say);
        await writeFile(path.join(dir, 'lab.json'), `${JSON.stringify(topo, null, 1)}\n`);
      }
      if (opts.dhcp !== false) {
        for (const vm of topo.vms) await lab.startDhcp(vm);
      }
    }
    return lab;
  } catch (err) {
    say(`lab up failed: ${(err as Error).message}; logs are in ${dir}`);
    throw err;
  }
}

/** Removes the lab: everything running in its namespaces, the namespaces, its directory. */
export async function labDown(prefix: string): Promise<void> {
  await removeNamespaces(await namespacesOf(prefix));
  await rm(labDir(prefix), { recursive: true, force: true });
}
