// A simulated host behind the host port (links, addresses, routes, files, sysctls,
// firewall, daemons) that runs the plan's commands as the real tools would, fails
// a chosen command on demand, and prints its state as text so tests can state the
// expected host after a sequence of configurations (tailscale's router tests).
import { sha256 } from '../../features/kit/digest.ts';
import type { LinkFact, RouteFact } from '../../features/kit/facts.ts';
import type { CommandResult, DaemonProcess, HostPort, RunOptions } from './port.ts';
import { applyIpBatch, applyIpBatchUntil } from './simulated-ip.ts';

interface Failure {
  match: (argv: string[], input?: string) => boolean;
  /** the text a string match looks for: in an `ip -batch`, the lines before the first with it still apply */
  text?: string;
  exitCode: number;
  stderr: string;
  times: number;
}

interface FakeProcess {
  argv: string[];
  alive: boolean;
  end: (how: { code: number | null; signal: string | null }) => void;
}

/** A NIC as the kernel would list it. */
export function fakeNic(ifindex: number, ifname: string, over: Partial<LinkFact> = {}): LinkFact {
  const mac = `fa:16:3e:00:00:${ifindex.toString(16).padStart(2, '0')}`;
  return { ifindex, ifname, mac, mtu: 1500, up: false, operstate: 'down', linkType: 'ether', kind: null, addresses: [], ...over };
}

export class FakeHost implements HostPort {
  spawns = 0;
  links_: LinkFact[];
  routes_: RouteFact[] = [];
  neighbours: { address: string; mac: string; dev: string }[] = [];
  readonly files = new Map<string, { content: string; mode: number }>();
  readonly sysctls = new Map<string, string>();
  readonly firewall: Record<4 | 6, string | null> = { 4: null, 6: null };
  readonly processes = new Map<number, FakeProcess>();
  readonly commands: string[] = [];
  /** every file (and /proc entry) written, in order */
  readonly writes: string[] = [];
  readonly reachable = new Set<string>();
  name = 'debian';
  clock = 1_700_000_000_000;
  private nextPid = 1000;
  private failures: Failure[] = [];

  constructor(links: LinkFact[] = [fakeNic(2, 'eth0'), fakeNic(3, 'eth1'), fakeNic(4, 'eth2')]) {
    this.links_ = structuredClone(links);
  }

  /** Makes the next `times` commands that match fail with this exit code and message. */
  failOn(match: string | ((argv: string[], input?: string) => boolean), opts: { exitCode?: number; stderr?: string; times?: number } = {}) {
    const test =
      typeof match === 'string' ? (argv: string[], input?: string) => `${argv.join(' ')}\n${input ?? ''}`.includes(match) : match;
    this.failures.push({
      match: test,
      ...(typeof match === 'string' ? { text: match } : {}),
      exitCode: opts.exitCode ?? 1,
      stderr: opts.stderr ?? 'failure injected by the test',
      times: opts.times ?? 1,
    });
  }

  private holds: { match: (argv: string[]) => boolean; until: Promise<void> }[] = [];

  /** Makes commands that match wait until `until` settles (an apply held in flight). */
  hold(match: string, until: Promise<void>): void {
    this.holds.push({ match: (argv) => argv.join(' ').includes(match), until });
  }

  /** applies an ip batch to the simulated links and routes */
  private ip(input: string, force: boolean, failing?: string): string | null {
    const state = { links: this.links_, routes: this.routes_, neighbours: this.neighbours };
    const error = failing === undefined ? applyIpBatch(state, input, force) : applyIpBatchUntil(state, input, failing);
    this.routes_ = state.routes;
    this.neighbours = state.neighbours ?? [];
    return error;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    for (const h of this.holds) if (h.match(argv)) await h.until;
    this.spawns += 1;
    this.commands.push(argv.join(' '));
    const r = (exitCode: number, stdout = '', stderr = ''): CommandResult => ({ argv, exitCode, stdout, stderr, timedOut: false });
    const failure = this.failures.find((f) => f.times > 0 && f.match(argv, opts.input));
    if (failure) {
      failure.times -= 1;
      // as ip does, a strict batch applies its lines up to the failing one (the first with the failure's text)
      const strictIp = argv[0] === 'ip' && argv.includes('-batch') && !argv.includes('-force') && failure.text !== undefined;
      const at = strictIp ? this.ip(opts.input ?? '', false, failure.text) : null;
      return r(failure.exitCode, '', at ? `${failure.stderr}\n${at}` : failure.stderr);
    }
    // `env NAME=value ... cmd args`: the command, with its environment ignored
    const skip = argv[0] === 'env' ? argv.slice(1).findIndex((a) => !a.includes('=')) + 1 : 0;
    const [cmd] = argv.slice(skip);
    const last = argv.at(-1) ?? '';
    switch (cmd) {
      case 'ip': {
        if (!argv.includes('-batch')) return r(127, '', 'the fake runs only ip -batch');
        const error = this.ip(opts.input ?? '', argv.includes('-force'));
        return error ? r(1, '', error) : r(0);
      }
      case 'iptables-restore':
      case 'ip6tables-restore': {
        if (argv.includes('--test')) return r(0);
        const content = this.files.get(last)?.content;
        if (content === undefined) return r(1, '', `Can't open ${last}`);
        this.firewall[cmd === 'iptables-restore' ? 4 : 6] = content;
        return r(0);
      }
      case 'iptables':
      case 'ip6tables': {
        const loaded = this.firewall[cmd === 'iptables' ? 4 : 6];
        return r(0, `Chain INPUT (policy ${loaded ? 'DROP' : 'ACCEPT'})\n`);
      }
      case 'birdc6':
        return this.running('bird6') ? r(0, 'BIRD 1.6.8 ready.\nReconfigured\n') : r(1, '', 'Unable to connect to server');
      case 'dnsmasq':
      case 'bird6':
      case 'keepalived':
      case 'arping':
        return r(0);
      case 'conntrack':
        return r(1, '', '0 flow entries have been deleted');
      case 'hostname':
        this.name = last;
        return r(0);
      case 'ping':
        return r(this.reachable.has(last) ? 0 : 1);
      case 'rm':
        for (const f of argv.slice(1).filter((a) => !a.startsWith('-'))) this.files.delete(f);
        return r(0);
      case 'swanctl':
        return this.running('charon-systemd') ? r(0) : r(1, '', 'connecting to the vici socket failed: No such file or directory');
      default:
        return r(127, '', `${cmd}: command not found`);
    }
  }

  private running(name: string): boolean {
    return [...this.processes.values()].some((p) => p.alive && p.argv.find((a) => !a.includes('=') && a !== 'env') === name);
  }

  async writeFile(file: string, content: string, mode: number): Promise<void> {
    if (this.failures.some((f) => f.times > 0 && f.match(['write', file]))) {
      const f = this.failures.find((x) => x.times > 0 && x.match(['write', file]));
      if (f) f.times -= 1;
      throw new Error(`ENOSPC: no space left on device, write '${file}'`);
    }
    this.writes.push(file);
    this.files.set(file, { content, mode });
  }

  /** the simulated daemons write their ready files as they start: a few turns of the event loop at most */
  async whenExists(file: string, _timeoutMs: number, abort?: AbortSignal): Promise<boolean> {
    for (let i = 0; i < 100 && !abort?.aborted; i++) {
      if (this.files.has(file)) return true;
      await this.sleep();
    }
    return false;
  }

  async readFile(file: string): Promise<string | null> {
    return this.files.get(file)?.content ?? null;
  }

  async fileDigest(file: string): Promise<string | null> {
    const f = this.files.get(file);
    return f ? sha256(f.content) : null;
  }

  async fileSize(file: string): Promise<number | null> {
    return this.files.get(file)?.content.length ?? null;
  }

  async removeFile(file: string): Promise<void> {
    this.files.delete(file);
  }

  async makeDir(): Promise<void> {}

  async tempDir(base: string): Promise<{ dir: string; remove: () => Promise<void> }> {
    const dir = `${base}/check-${this.nextPid++}`;
    return {
      dir,
      remove: async () => {
        for (const k of [...this.files.keys()]) if (k.startsWith(`${dir}/`)) this.files.delete(k);
      },
    };
  }

  async readSysctl(key: string): Promise<string | null> {
    return this.sysctls.get(key) ?? (/^net\/ipv[46]\/conf\//.test(key) || key.startsWith('net/ipv') ? '0' : null);
  }

  async writeSysctl(key: string, value: string): Promise<void> {
    this.writes.push(`/proc/sys/${key}`);
    this.sysctls.set(key, value);
  }

  async links(): Promise<LinkFact[]> {
    return structuredClone(this.links_);
  }

  async routes(): Promise<RouteFact[]> {
    return structuredClone(this.routes_);
  }

  async hostname(): Promise<string> {
    return this.name;
  }

  /** as the real host: a write to /proc/sys/kernel/hostname, no process */
  async setHostname(name: string): Promise<CommandResult> {
    const argv = ['write', '/proc/sys/kernel/hostname', name];
    this.writes.push(argv[1] as string);
    this.name = name;
    return { argv, exitCode: 0, stdout: '', stderr: '', timedOut: false };
  }

  async spawnDaemon(argv: string[]): Promise<DaemonProcess> {
    this.spawns += 1;
    const pid = this.nextPid++;
    let end: FakeProcess['end'] = () => {};
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      end = resolve;
    });
    this.processes.set(pid, { argv, alive: true, end });
    // what the daemon writes once it serves: its pid file and control socket
    for (const [i, a] of argv.entries()) {
      // charon: the vici socket its strongswan.conf names
      const socket = a.startsWith('STRONGSWAN_CONF=')
        ? this.files.get(a.slice(16))?.content.match(/socket = unix:\/\/(\S+)/)?.[1]
        : undefined;
      if (socket) this.files.set(socket, { content: '', mode: 0o600 });
      if (a.startsWith('--pid-file=')) this.files.set(a.slice(11), { content: `${pid}\n`, mode: 0o644 });
      if (a === '-P' || a === '-s') this.files.set(argv[i + 1] ?? '', { content: a === '-P' ? `${pid}\n` : '', mode: 0o600 });
      if (a === '--pid') this.files.set(argv[i + 1] ?? '', { content: `${pid}\n`, mode: 0o644 });
      // conntrackd's control socket is named in its file (UNIX { Path ... })
      if (argv[0] === 'conntrackd' && a === '-C') {
        const socket = /^\s*Path\s+(\S+)/m.exec(this.files.get(argv[i + 1] ?? '')?.content ?? '')?.[1];
        if (socket) this.files.set(socket, { content: '', mode: 0o600 });
      }
    }
    return { pid, exited, unref: () => {} };
  }

  signal(pid: number, signal: NodeJS.Signals | 0): boolean {
    const p = this.processes.get(pid);
    if (!p?.alive) return false;
    if (signal === 'SIGTERM' || signal === 'SIGKILL') {
      p.alive = false;
      p.end({ code: null, signal });
    }
    return true;
  }

  async commandLine(pid: number): Promise<string> {
    const p = this.processes.get(pid);
    return p?.alive ? p.argv.join(' ') : '';
  }

  now(): number {
    return this.clock;
  }

  async sleep(): Promise<void> {
    await new Promise((r) => setImmediate(r));
  }

  /** The host as text: one line per fact, in a stable order. Files under `root` are shown relative to it. */
  dump(root = ''): string {
    const out: string[] = [`hostname ${this.name}`];
    for (const l of [...this.links_].sort((a, b) => a.ifindex - b.ifindex)) {
      out.push(`link ${l.ifname} ${l.up ? 'up' : 'down'} mtu ${l.mtu}`);
      for (const a of l.addresses) out.push(`  address ${a.address}/${a.prefixLength}`);
    }
    const routes = this.routes_.map(
      (r) => `route v${r.family} ${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev} proto ${r.protocol}`,
    );
    out.push(...routes.sort());
    out.push(...this.neighbours.map((n) => `neighbour ${n.address} lladdr ${n.mac} dev ${n.dev}`).sort());
    out.push(...[...this.sysctls].map(([k, v]) => `sysctl ${k}=${v}`).sort());
    const files = [...this.files].filter(([k]) => !k.includes('/check-'));
    out.push(
      ...files
        .map(([k, f]) => `file ${k.startsWith(root) ? k.slice(root.length + 1) : k} ${f.mode.toString(8)} ${sha256(f.content).slice(0, 8)}`)
        .sort(),
    );
    for (const fam of [4, 6] as const)
      out.push(`firewall v${fam} ${this.firewall[fam] ? sha256(this.firewall[fam] ?? '').slice(0, 8) : 'none'}`);
    const daemons = [...this.processes].filter(([, p]) => p.alive).map(([pid, p]) => `daemon ${p.argv[0]} pid ${pid}`);
    out.push(...daemons.sort());
    return `${out.join('\n')}\n`;
  }
}

export { FakeMetadata } from './simulated-metadata.ts';
