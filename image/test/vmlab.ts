// The image test's lab: the appliance VM under qemu (TCG) in a hypervisor
// namespace whose bridges join its three NICs' taps to the orchestrator's
// management host, the external network's gateway and one tenant VM, each a
// namespace made here. Nothing leaves these namespaces.
import { spawn } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const here = path.dirname(fileURLToPath(import.meta.url));
const ECHO = path.join(here, 'echo.mjs');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Result {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface LabNet {
  /** the appliance's NIC: its MAC and the tap it is plugged into */
  mac: string;
  /** the namespace on the far side of the bridge, its eth0 addresses */
  ns: string;
  cidrs: string[];
}

export interface LabPlan {
  mgmt: LabNet;
  ext: LabNet;
  tenant: LabNet & { vmMac: string };
  /** http-echo servers: namespace, address, port, name */
  echoes: { ns: 'mgmt' | 'ext'; host: string; port: number; name: string }[];
}

export class VmLab {
  readonly hv: string;
  readonly consoleFile: string;
  qemuPid: number | null = null;

  constructor(
    readonly prefix: string,
    readonly dir: string,
    readonly plan: LabPlan,
  ) {
    this.hv = `${prefix}-hv`;
    this.consoleFile = path.join(dir, 'console.log');
  }

  ns(role: 'mgmt' | 'ext' | 'vm'): string {
    return `${this.prefix}-${role}`;
  }

  async run(argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Result> {
    const [file, ...args] = argv as [string, ...string[]];
    const r = await execa(file, args, { input: opts.input, reject: false, timeout: opts.timeoutMs ?? 60_000 });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  }

  exec(ns: string, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Result> {
    return this.run(['ip', 'netns', 'exec', ns, ...argv], opts);
  }

  async must(argv: string[], input?: string): Promise<string> {
    const r = await this.run(argv, { input });
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: exit ${r.exitCode}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  private async ipBatch(ns: string, lines: string[]): Promise<void> {
    await this.must(['ip', '-n', ns, '-batch', '-'], `${lines.join('\n')}\n`);
  }

  /** A detached process inside a namespace, its output appended to a log file here. */
  async spawnIn(ns: string, argv: string[], log: string): Promise<number> {
    const out = await open(path.join(this.dir, log), 'a');
    try {
      const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', out.fd, out.fd], detached: true });
      child.unref();
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      return child.pid as number;
    } finally {
      await out.close();
    }
  }

  async up(): Promise<void> {
    await down(this.prefix);
    const nets = [this.plan.mgmt, this.plan.ext, this.plan.tenant];
    const far = [this.ns('mgmt'), this.ns('ext'), this.ns('vm')];
    for (const ns of [this.hv, ...far]) {
      await this.must(['ip', 'netns', 'add', ns]);
      await this.ipBatch(ns, ['link set lo up']);
    }
    const hv: string[] = [];
    for (const [i, ns] of far.entries()) {
      hv.push(`link add br${i} type bridge`, `link set br${i} up`);
      hv.push(`tuntap add dev tap${i} mode tap`, `link set tap${i} master br${i} up`);
      await this.must(['ip', 'link', 'add', `p${i}`, 'netns', this.hv, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      hv.push(`link set p${i} master br${i} up`);
    }
    await this.ipBatch(this.hv, hv);
    for (const [i, ns] of far.entries()) {
      const net = nets[i] as LabNet;
      await this.must(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.eth0.accept_dad=0']);
      const mac = i === 2 ? [`link set eth0 address ${this.plan.tenant.vmMac}`] : [];
      await this.ipBatch(ns, [
        ...mac,
        'link set eth0 up',
        ...net.cidrs.map((c) => `address add ${c} dev eth0${c.includes(':') ? ' nodad' : ''}`),
      ]);
    }
    for (const e of this.plan.echoes) {
      await this.spawnIn(this.ns(e.ns), [process.execPath, ECHO, e.host, String(e.port), e.name], `echo-${e.name}.log`);
    }
  }

  /** Boots the VM: disk and seed on virtio, NICs in mgmt, ext, tenant order (so ge0, ge1, ge2). */
  async boot(disk: string, seed: string): Promise<number> {
    const nets = [this.plan.mgmt, this.plan.ext, this.plan.tenant];
    const argv = [
      'qemu-system-x86_64',
      '-accel',
      'tcg,tb-size=128',
      '-cpu',
      'max',
      '-m',
      '512',
      '-smp',
      '1',
      '-nodefaults',
      '-display',
      'none',
      '-serial',
      `file:${this.consoleFile}`,
      '-device',
      'virtio-rng-pci',
      '-drive',
      `file=${disk},if=virtio,format=qcow2`,
      '-drive',
      `file=${seed},if=virtio,format=raw,readonly=on`,
    ];
    for (const [i, net] of nets.entries()) {
      argv.push('-netdev', `tap,id=n${i},ifname=tap${i},script=no,downscript=no`);
      argv.push('-device', `virtio-net-pci,netdev=n${i},mac=${net.mac},addr=0x${(10 + i).toString(16)},romfile=`);
    }
    await writeFile(this.consoleFile, '');
    this.qemuPid = await this.spawnIn(this.hv, argv, 'qemu.log');
    return this.qemuPid;
  }

  async console(): Promise<string> {
    return readFile(this.consoleFile, 'utf8').catch(() => '');
  }

  /** An HTTP request made with curl inside a namespace; status 0 when no answer came. */
  async http(ns: string, method: string, url: string, opts: { body?: string; timeoutS?: number } = {}) {
    const argv = ['curl', '-sS', '-g', '-X', method, '--max-time', String(opts.timeoutS ?? 10), '-w', '\n%{http_code}'];
    if (opts.body !== undefined) argv.push('-H', 'Content-Type: application/json', '--data-binary', '@-');
    argv.push(url);
    const r = await this.exec(ns, argv, { input: opts.body, timeoutMs: (opts.timeoutS ?? 10) * 1000 + 5000 });
    const cut = r.stdout.lastIndexOf('\n');
    const status = r.exitCode === 0 ? Number(r.stdout.slice(cut + 1)) : 0;
    return { status, body: r.exitCode === 0 ? r.stdout.slice(0, cut) : r.stderr.trim(), curlExit: r.exitCode };
  }

  /** Polls check until it yields; abort names a reason to give up early (a kernel panic, say). */
  async waitFor<T>(
    what: string,
    timeoutMs: number,
    check: () => Promise<T | null | undefined | false>,
    everyMs = 2000,
    abort: () => string | null = () => null,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check().catch(() => null);
      if (v) return v;
      const why = abort();
      if (why) throw new Error(`gave up waiting for ${what}: ${why}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(everyMs);
    }
  }
}

/** Stops everything in the lab's namespaces (qemu included) and removes them. */
export async function down(prefix: string): Promise<void> {
  const list = await execa('ip', ['netns', 'list'], { reject: false });
  const ours = String(list.stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${prefix}-`));
  for (const ns of ours) {
    const pids = await execa('ip', ['netns', 'pids', ns], { reject: false });
    for (const pid of String(pids.stdout ?? '')
      .split('\n')
      .filter(Boolean)
      .map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  if (ours.length) await sleep(300);
  for (const ns of ours) await execa('ip', ['netns', 'del', ns], { reject: false });
}
