// The network lab: a whole router built from a payload, entirely inside
// network namespaces made here, with the orchestrator, the upstream router and
// the tenant VMs as namespaces around it, joined by bridges in a switch
// namespace. The router runs `appliance serve` in its own UTS namespace (and
// the mount namespace `ip netns exec` gives it).
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultInterfaceMap, parseConfiguration } from '../../schema/parse.ts';
import type { CommandResult } from '../host/port.ts';
import { RealHost as Host } from '../host/real.ts';
import { API_PORT } from '../serve.ts';

const alive = (pid: number) => new Host().signal(pid, 0);

import { buildTopology, EXT_HTTP_PORT, type LabTopology, type LabVm, TCP_ECHO_PORT, VM_HTTP_PORT } from './topology.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
// runtime/lab in the source tree, dist/ in the bundle
export const REPO = path.basename(here) === 'dist' ? path.dirname(here) : path.resolve(here, '..', '..');
const LAB_NODE = path.join(REPO, 'runtime', 'lab', 'lab-node.mjs');
const APPLIANCE = path.join(REPO, 'scripts', 'appliance.mjs');
export const DEFAULT_PAYLOAD = path.join(REPO, 'test', 'cases', 'seed-example', 'input.json');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function labDir(prefix: string): string {
  return path.join(os.tmpdir(), 'appliance-lab', prefix);
}

const PREFIX = /^[a-z][a-z0-9]{0,7}$/;

export interface HttpAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export interface LabUpOptions {
  payload?: string;
  prefix?: string;
  /** push the payload once the agent answers (default true) */
  push?: boolean;
  /** start the VMs' DHCP clients after the push (default true) */
  dhcp?: boolean;
  maxVmsPerNetwork?: number;
  /** extra environment for the agent */
  agentEnv?: Record<string, string>;
  /** the agent's entry script: scripts/appliance.mjs (sources through tsx, the default) or dist/appliance.mjs (the bundle) */
  agentEntry?: string;
  log?: (line: string) => void;
}

function macFor(prefix: string, index: number, role: string): string {
  const h = createHash('sha256').update(`${prefix}/${role}/${index}`).digest();
  return ['fa', '16', '3e', h[0], h[1], h[2]].map((x) => (typeof x === 'number' ? x.toString(16).padStart(2, '0') : x)).join(':');
}

export class Lab {
  readonly host = new Host();
  constructor(readonly topo: LabTopology) {}

  static async load(prefix: string): Promise<Lab> {
    const file = path.join(labDir(prefix), 'lab.json');
    if (!existsSync(file)) throw new Error(`no lab named ${prefix} is up (no ${file})`);
    return new Lab(JSON.parse(await readFile(file, 'utf8')) as LabTopology);
  }

  get root(): string {
    return path.join(this.topo.dir, 'root');
  }

  /** Runs argv inside a namespace of the lab. */
  exec(ns: string, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    return this.host.run(['ip', 'netns', 'exec', ns, ...argv], opts);
  }

  async must(ns: string, argv: string[], input?: string): Promise<string> {
    const r = await this.exec(ns, argv, { input });
    if (r.exitCode !== 0) throw new Error(`${ns}: ${argv.join(' ')} failed (${r.exitCode}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** An HTTP request made with curl from inside a namespace. */
  async http(
    ns: string,
    method: string,
    url: string,
    opts: { body?: string; headers?: Record<string, string>; timeoutS?: number; localAddress?: string } = {},
  ): Promise<HttpAnswer> {
    const argv = ['curl', '-sS', '-g', '-X', method, '-D', '-', '--max-time', String(opts.timeoutS ?? 10), '-o', '-'];
    if (method === 'HEAD') argv.splice(argv.indexOf('-X'), 2, '-I');
    for (const [k, v] of Object.entries(opts.headers ?? {})) argv.push('-H', `${k}: ${v}`);
    if (opts.body !== undefined) argv.push('--data-binary', '@-');
    if (opts.localAddress) argv.push('--interface', opts.localAddress);
    argv.push(url);
    const r = await this.exec(ns, argv, { input: opts.body, timeoutMs: (opts.timeoutS ?? 10) * 1000 + 2000 });
    if (r.exitCode !== 0) return { status: 0, body: r.stderr.trim(), headers: {} };
    const text = r.stdout;
    const split = text.indexOf('\r\n\r\n');
    const head = split < 0 ? text : text.slice(0, split);
    const body = split < 0 ? '' : text.slice(split + 4);
    const lines = head.split('\r\n');
    const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    return { status, body, headers };
  }

  apiUrl(p: string): string {
    if (!this.topo.mgmt) throw new Error('the payload has no management network');
    return `http://[${this.topo.mgmt.routerAddress}]:${API_PORT}${p}`;
  }

  /** A call to the router's API from the management host, as the orchestrator makes it. */
  api(method: string, p: string, body?: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const h = body !== undefined ? { 'Content-type': 'application/json', ...headers } : headers;
    return this.http(this.topo.mgmt?.ns ?? this.topo.routerNs, method, this.apiUrl(p), { body, headers: h, timeoutS: 95 });
  }

  async push(bodyText: string): Promise<HttpAnswer> {
    return this.api('PUT', '/v1/system/config', bodyText);
  }

  async agentPid(): Promise<number | null> {
    try {
      const pid = Number((await readFile(path.join(this.topo.dir, 'agent.pid'), 'utf8')).trim());
      return pid > 0 && alive(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  async startAgent(env: Record<string, string> = {}, entry = this.topo.agentEntry ?? APPLIANCE): Promise<number> {
    const t = this.topo;
    const targets = (t.ext?.cidrs ?? []).map((c) => c.split('/')[0] as string);
    const argv = ['unshare', '--uts', '--', process.execPath, entry, 'serve', '--root', this.root];
    for (const target of targets) argv.push('--status-target', target);
    const child = await spawnIn(t.routerNs, argv, path.join(t.dir, 'agent.log'), env);
    await writeFile(path.join(t.dir, 'agent.pid'), `${child.pid}\n`);
    await this.waitFor(async () => (await this.api('GET', '/v1/system/interfaces')).status === 200, 30_000, 'the agent API');
    return child.pid as number;
  }

  async killAgent(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = await this.agentPid();
    if (pid === null) return;
    // ip netns exec and unshare exec into node, so the pid is the agent's; its daemons live on
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

  vmAddresses(vm: LabVm): Promise<string> {
    return this.must(vm.ns, ['ip', '-o', 'addr', 'show', 'dev', 'eth0']);
  }

  async startDhcp(vm: LabVm): Promise<void> {
    const d = this.topo.dir;
    const args = (v: string) => [
      '-sf',
      path.join(d, 'dhclient-script'),
      '-cf',
      path.join(d, 'dhclient.conf'),
      '-lf',
      path.join(d, `${vm.name}.leases${v}`),
      '-pf',
      path.join(d, `${vm.name}.dhclient${v}.pid`),
    ];
    if (vm.ipv4) await spawnIn(vm.ns, ['dhclient', '-4', '-d', '-v', ...args('4'), 'eth0'], path.join(d, `${vm.name}.dhclient4.log`));
    if (vm.v6Mode === 'stateful')
      await spawnIn(vm.ns, ['dhclient', '-6', '-d', '-v', ...args('6'), 'eth0'], path.join(d, `${vm.name}.dhclient6.log`));
    if (vm.v6Mode === 'stateless')
      await spawnIn(vm.ns, ['dhclient', '-6', '-S', '-d', '-v', ...args('6'), 'eth0'], path.join(d, `${vm.name}.dhclient6.log`));
  }

  /** What the VM's DHCP client was told, as recorded by the lab's dhclient script. */
  async dhcpState(vm: LabVm, family: 4 | 6): Promise<Record<string, string>> {
    try {
      const text = await readFile(path.join(this.topo.dir, `${vm.name}.dhcp${family}`), 'utf8');
      return Object.fromEntries(
        text
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    } catch {
      return {};
    }
  }

  async bgpState(): Promise<{ state: string; learned: string[] }> {
    const t = this.topo;
    if (!t.ext?.bgp) return { state: 'none', learned: [] };
    const ctl = path.join(t.dir, 'ext-bird6.ctl');
    const proto = await this.exec(t.ext.ns, ['birdc6', '-s', ctl, 'show', 'protocols', 'appliance']);
    const routes = await this.exec(t.ext.ns, ['birdc6', '-s', ctl, 'show', 'route', 'protocol', 'appliance']);
    const state = /appliance\s+BGP\s+\S+\s+\S+\s+\S+\s+(\S+)/.exec(proto.stdout)?.[1] ?? 'unknown';
    const learned = routes.stdout
      .split('\n')
      .map((l) => l.split(/\s+/)[0] ?? '')
      .filter((x) => x.includes('/'));
    return { state, learned };
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
    const r = await this.host.run(['ip', 'netns', 'add', full.ns]);
    if (r.exitCode !== 0) throw new Error(`ip netns add ${full.ns}: ${r.stderr.trim()}`);
    await ipIn(full.ns, this.host, ['link set lo up']);
    await attachVm(this.host, this.topo, full, `w${this.topo.vms.length}`);
    this.topo.vms.push(full);
    await writeFile(path.join(this.topo.dir, 'lab.json'), `${JSON.stringify(this.topo, null, 1)}\n`);
    await startVmServices(full, this.topo.dir);
    await this.startDhcp(full);
    return full;
  }

  async routerPids(): Promise<number[]> {
    const r = await this.host.run(['ip', 'netns', 'pids', this.topo.routerNs]);
    return r.stdout.split('\n').filter(Boolean).map(Number);
  }
}

/** A detached long-running process inside a namespace, its output in a log file. */
async function spawnIn(ns: string, argv: string[], logFile: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const out = await open(logFile, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      stdio: ['ignore', out.fd, out.fd],
      detached: true,
      env: { ...process.env, ...env },
      cwd: REPO,
    });
    child.unref();
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    return child;
  } finally {
    await out.close();
  }
}

const DHCLIENT_CONF = `option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
request subnet-mask, broadcast-address, routers, domain-name-servers, host-name,
        rfc3442-classless-static-routes, dhcp6.name-servers;
`;

/** dhclient runs this with a clean environment, so the state directory is written into it. */
function dhclientScript(dir: string): string {
  return `#!/bin/sh
# lab VM's DHCP client hook: applies the lease inside the VM's namespace and
# records what the server sent; never touches /etc.
vm=$(ip netns identify $$)
vm=\${vm#*-}
state=${dir}/$vm
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
  ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
  if [ -n "$new_rfc3442_classless_static_routes" ]; then
    set -- $new_rfc3442_classless_static_routes
    while [ $# -ge 5 ]; do
      len=$1; shift; n=$(( (len + 7) / 8 )); dst=""; i=0
      while [ $i -lt 4 ]; do
        if [ $i -lt $n ]; then octet=$1; shift; else octet=0; fi
        dst="$dst\${dst:+.}$octet"; i=$((i + 1))
      done
      gw="$1.$2.$3.$4"; shift 4
      if [ "$gw" = "0.0.0.0" ]; then ip route replace "$dst/$len" dev "$interface"; else ip route replace "$dst/$len" via "$gw" dev "$interface"; fi
    done
  elif [ -n "$new_routers" ]; then
    ip route replace default via "\${new_routers%% *}" dev "$interface"
  fi
  { echo "ip=$new_ip_address"; echo "mask=$new_subnet_mask"; echo "routers=$new_routers";
    echo "dns=$new_domain_name_servers"; echo "hostname=$new_host_name";
    echo "classless=$new_rfc3442_classless_static_routes"; } > "$state.dhcp4"
  ;;
BOUND6|RENEW6|REBIND6)
  if [ -n "$new_ip6_address" ]; then ip -6 addr replace "$new_ip6_address/128" dev "$interface" nodad; fi
  { echo "ip6=$new_ip6_address"; echo "dns6=$new_dhcp6_name_servers"; } > "$state.dhcp6"
  ;;
esac
exit 0
`;
}

async function ipIn(ns: string | null, host: Host, commands: string[]): Promise<void> {
  const argv = ns ? ['ip', '-n', ns, '-batch', '-'] : ['ip', '-batch', '-'];
  const r = await host.run(argv, { input: `${commands.join('\n')}\n` });
  if (r.exitCode !== 0) throw new Error(`ip -batch in ${ns}: ${r.stderr.trim()}\n${commands.join('\n')}`);
}

async function sysctlIn(host: Host, ns: string, settings: Record<string, string>): Promise<void> {
  const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  const r = await host.run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', ...args]);
  if (r.exitCode !== 0) throw new Error(`sysctl in ${ns}: ${r.stderr.trim()}`);
}

function namespaces(t: LabTopology): string[] {
  return [t.routerNs, t.switchNs, t.mgmt?.ns, t.ext?.ns, ...t.vms.map((v) => v.ns)].filter((x): x is string => !!x);
}

async function build(lab: Lab, model: ReturnType<typeof parseModel>): Promise<void> {
  const t = lab.topo;
  const host = lab.host;
  for (const ns of namespaces(t)) {
    const r = await host.run(['ip', 'netns', 'add', ns]);
    if (r.exitCode !== 0) throw new Error(`ip netns add ${ns}: ${r.stderr.trim()}`);
    await ipIn(ns, host, ['link set lo up']);
  }
  const sw: string[] = [];
  for (const nic of t.nics) {
    sw.push(`link add ${nic.bridge} type bridge`, `link set ${nic.bridge} up`);
  }
  await ipIn(t.switchNs, host, sw);

  // NICs are created in generic-name order, so kernel ifindex order gives geN = ethN
  const ports: string[] = [];
  for (const nic of t.nics) {
    const network = model.networks.find((n) => n.index === nic.index);
    const own = network?.allocations.find((a) => a.ipAddresses.some((ip) => network.addresses.some((x) => x.address === ip.address)));
    const mac = own?.mac ?? macFor(t.prefix, nic.index, 'router');
    await ipIn(null, host, [
      `link add ${nic.routerIf} netns ${t.routerNs} address ${mac} type veth peer name ${nic.swPort} netns ${t.switchNs}`,
    ]);
    ports.push(`link set ${nic.swPort} master ${nic.bridge} up`);
  }
  const attach = async (ns: string, swPort: string, index: number, mac: string) => {
    await ipIn(null, host, [`link add eth0 netns ${ns} address ${mac} type veth peer name ${swPort} netns ${t.switchNs}`]);
    ports.push(`link set ${swPort} master br${index} up`);
  };
  if (t.mgmt) await attach(t.mgmt.ns, 'm0', t.mgmt.index, macFor(t.prefix, 0, 'mgmt'));
  if (t.ext) await attach(t.ext.ns, 'x0', t.ext.index, macFor(t.prefix, 0, 'ext'));
  await ipIn(t.switchNs, host, ports);
  for (const [k, vm] of t.vms.entries()) await attachVm(host, t, vm, `v${k}`);

  if (t.mgmt) {
    await sysctlIn(host, t.mgmt.ns, { 'net.ipv6.conf.eth0.accept_dad': '0' });
    await ipIn(t.mgmt.ns, host, ['link set eth0 up', ...t.mgmt.cidrs.map((c) => `address add ${c} dev eth0 nodad`)]);
  }
  if (t.ext) {
    await sysctlIn(host, t.ext.ns, { 'net.ipv6.conf.eth0.accept_dad': '0', 'net.ipv4.ip_forward': '1' });
    await ipIn(t.ext.ns, host, [
      'link set eth0 up',
      ...t.ext.cidrs.map((c) => `address add ${c} dev eth0${c.includes(':') ? ' nodad' : ''}`),
    ]);
  }
}

async function startServices(lab: Lab): Promise<void> {
  const t = lab.topo;
  const logf = (name: string) => path.join(t.dir, `${name}.log`);
  const node = (mode: string, h: string, port: number) => [process.execPath, LAB_NODE, mode, h, String(port)];
  if (t.mgmt) await spawnIn(t.mgmt.ns, node('http-echo', t.mgmt.orchestrator.address, t.mgmt.orchestrator.port), logf('metadata-endpoint'));
  if (t.ext) {
    await spawnIn(t.ext.ns, node('http-echo', '::', EXT_HTTP_PORT), logf('ext-http'));
    await spawnIn(t.ext.ns, node('tcp-echo', '::', TCP_ECHO_PORT), logf('ext-tcp'));
    if (t.ext.bgp) {
      const b = t.ext.bgp;
      const conf = `router id 192.0.2.254;
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
      await writeFile(path.join(t.dir, 'ext-bird6.conf'), conf);
      await spawnIn(
        t.ext.ns,
        [
          'bird6',
          '-f',
          '-c',
          path.join(t.dir, 'ext-bird6.conf'),
          '-s',
          path.join(t.dir, 'ext-bird6.ctl'),
          '-P',
          path.join(t.dir, 'ext-bird6.pid'),
        ],
        logf('ext-bird6'),
      );
    }
  }
  for (const vm of t.vms) await startVmServices(vm, t.dir);
}

async function startVmServices(vm: LabVm, dir: string): Promise<void> {
  await spawnIn(
    vm.ns,
    [process.execPath, LAB_NODE, 'http-echo', '::', String(VM_HTTP_PORT), vm.name],
    path.join(dir, `${vm.name}-http.log`),
  );
}

async function attachVm(host: Host, t: LabTopology, vm: LabVm, port: string): Promise<void> {
  await ipIn(null, host, [`link add eth0 netns ${vm.ns} address ${vm.mac} type veth peer name ${port} netns ${t.switchNs}`]);
  await ipIn(t.switchNs, host, [`link set ${port} master br${vm.index} up`]);
  await sysctlIn(host, vm.ns, { 'net.ipv6.conf.eth0.accept_dad': '0', 'net.ipv6.conf.eth0.accept_ra': '1' });
  await ipIn(vm.ns, host, ['link set eth0 up']);
}

function parseModel(body: unknown) {
  const parsed = parseConfiguration(body, defaultInterfaceMap());
  if (!parsed.ok) throw new Error(`the payload is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return parsed.model;
}

export async function labUp(opts: LabUpOptions = {}): Promise<Lab> {
  const prefix = opts.prefix ?? 'lab';
  if (!PREFIX.test(prefix)) throw new Error('--prefix must be 1-8 lowercase letters and digits, starting with a letter');
  const say = opts.log ?? (() => {});
  const payloadFile = path.resolve(opts.payload ?? DEFAULT_PAYLOAD);
  const bodyText = await readFile(payloadFile, 'utf8');
  const model = parseModel(JSON.parse(bodyText));
  await labDown(prefix);
  const dir = labDir(prefix);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const topo = buildTopology(model, prefix, dir, opts.maxVmsPerNetwork ?? 4);
  if (opts.agentEntry) topo.agentEntry = path.resolve(opts.agentEntry);
  await writeFile(path.join(dir, 'lab.json'), `${JSON.stringify(topo, null, 1)}\n`);
  await writeFile(path.join(dir, 'payload.json'), bodyText);
  await writeFile(path.join(dir, 'dhclient.conf'), DHCLIENT_CONF);
  await writeFile(path.join(dir, 'dhclient-script'), dhclientScript(dir), { mode: 0o755 });
  const lab = new Lab(topo);
  try {
    say(`building ${namespaces(topo).length} namespaces`);
    await build(lab, model);
    await startServices(lab);
    if (topo.mgmt) {
      say('configuring the management interface (first boot)');
      const mac = (await lab.must(topo.routerNs, ['cat', `/sys/class/net/eth${topo.mgmt.index}/address`])).trim();
      await lab.must(topo.routerNs, [process.execPath, APPLIANCE, 'configure-management', '--mac', mac, '--address', topo.mgmt.routerCidr]);
    }
    say('starting the agent');
    await lab.startAgent(opts.agentEnv);
    if (opts.push !== false) {
      say('pushing the payload from the management host');
      const answer = await lab.push(bodyText);
      if (answer.status !== 200) throw new Error(`the push failed with ${answer.status}: ${answer.body.slice(0, 2000)}`);
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

export async function labDown(prefix: string): Promise<void> {
  const host = new Host();
  const list = await host.run(['ip', 'netns', 'list']);
  const ours = list.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${prefix}-`));
  // everything running inside, then the namespaces themselves
  for (const ns of ours) {
    const pids = await host.run(['ip', 'netns', 'pids', ns]);
    for (const pid of pids.stdout.split('\n').filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  if (ours.length) await sleep(100);
  for (const ns of ours) await host.run(['ip', 'netns', 'del', ns]);
  await rm(labDir(prefix), { recursive: true, force: true });
}

export async function labStatus(prefix: string): Promise<string> {
  const lab = await Lab.load(prefix);
  const t = lab.topo;
  const out: string[] = [
    `lab ${prefix}: router namespace ${t.routerNs}, agent pid ${(await lab.agentPid()) ?? 'not running'}, root ${lab.root}`,
  ];
  const ifs = await lab.api('GET', '/v1/system/interfaces');
  out.push(`interfaces (GET /v1/system/interfaces from the management host: ${ifs.status})`);
  if (ifs.status === 200) {
    for (const i of (
      JSON.parse(ifs.body) as { interfaces: { ifname: string; lladdr: string; state: string; mtu: number; addresses: string[] }[] }
    ).interfaces) {
      out.push(
        `  ${i.ifname.padEnd(5)} ${i.lladdr} ${i.state.padEnd(4)} mtu ${i.mtu}  ${i.addresses.filter((a) => !a.startsWith('fe80')).join(' ')}`,
      );
    }
  }
  out.push('VMs (DHCP leases):');
  for (const vm of t.vms) {
    const d4 = await lab.dhcpState(vm, 4);
    const d6 = await lab.dhcpState(vm, 6);
    const addrs = (await lab.vmAddresses(vm).catch(() => ''))
      .split('\n')
      .map((l) => l.split(/\s+/)[3])
      .filter((a): a is string => !!a && !a.startsWith('fe80'));
    out.push(
      `  ${vm.name.padEnd(5)} ${vm.mac} v4 ${d4.ip ?? '-'} host ${d4.hostname || '-'} dns ${d4.dns || '-'} v6 ${vm.v6Mode ?? '-'}${d6.ip6 ? ` ${d6.ip6}` : ''}  addresses ${addrs.join(' ')}`,
    );
  }
  if (t.ext?.bgp) {
    const bgp = await lab.bgpState();
    out.push(`BGP (external peer): ${bgp.state}; learned ${bgp.learned.length ? bgp.learned.join(' ') : 'nothing'}`);
  }
  const probe = t.vms.find((v) => v.ipv4);
  if (probe) {
    const md = await lab.http(probe.ns, 'GET', 'http://169.254.169.254/latest/meta-data/instance-id', { timeoutS: 5 });
    let seen = '';
    try {
      const echo = JSON.parse(md.body) as { headers: Record<string, string> };
      seen = ` X-Instance-ID ${echo.headers['x-instance-id']} X-Forwarded-For ${echo.headers['x-forwarded-for']}`;
    } catch {
      seen = ` ${md.body.slice(0, 80)}`;
    }
    out.push(`metadata from ${probe.name}: ${md.status || 'unreachable'}${seen}`);
  }
  return `${out.join('\n')}\n`;
}
