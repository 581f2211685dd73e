// Boot-side helpers of the image test: the orchestrator's user data, the
// boot timeline read off the VM's serial console, SSH as the orchestrator.
import { readFile } from 'node:fs/promises';

/**
 * The #cloud-config the orchestrator gives the router VM, in its own words
 * (its template, with the astara names): the first-boot command, the login,
 * and its own list of config modules.
 */
export function userData(opts: { mac: string; cidr: string; sshKey: string }): string {
  return `#cloud-config

cloud_config_modules:
  - emit_upstart
  - set_hostname
  - locale
  - set-passwords
  - timezone
  - disable-ec2-metadata
  - runcmd

output: {all: '| tee -a /var/log/cloud-init-output.log'}

debug:
  - verbose: true

bootcmd:
  - /usr/local/bin/astara-configure-management ${opts.mac} ${opts.cidr}

users:
  - name: astara
    gecos: Astara
    groups: users
    shell: /bin/bash
    sudo: ALL=(ALL) NOPASSWD:ALL
    lock-passwd: true
    ssh-authorized-keys:
      - ${opts.sshKey}

final_message: "Astara appliance is running"
`;
}

/** The MAC whose EUI-64 interface identifier an IPv6 address carries (fa:16:3e:... for f816:3eff:fe..), else null. */
export function eui64Mac(address: string): string | null {
  const groups = address.split('::');
  const head = (groups[0] ?? '').split(':').filter(Boolean);
  const tail = groups.length > 1 ? (groups[1] ?? '').split(':').filter(Boolean) : [];
  const all = [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail].map((g) => g.padStart(4, '0'));
  const id = all.slice(4).join('');
  if (id.length !== 16 || id.slice(6, 10) !== 'fffe') return null;
  const bytes = [id.slice(0, 2), id.slice(2, 4), id.slice(4, 6), id.slice(10, 12), id.slice(12, 14), id.slice(14, 16)];
  bytes[0] = (Number.parseInt(bytes[0] as string, 16) ^ 2).toString(16).padStart(2, '0');
  return bytes.join(':');
}

export function sshArgv(key: string, target: string, command: string): string[] {
  return [
    'ssh',
    '-i',
    key,
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ConnectTimeout=15',
    target,
    command,
  ];
}

/** Seconds from qemu start (or the reboot) at which each step was first seen. */
export type Marks = Record<string, number>;

const CONSOLE_MARKS: [string, RegExp][] = [
  ['kernel', /Linux version \d/],
  ['userspace', /Welcome to |systemd\[1\]: /],
  ['cloud-init', /Cloud-init v\. \S+ running 'init-local'/],
  ['cloud-init config', /Cloud-init v\. \S+ running 'modules:config'/],
  ['agent started', /Started .*(appliance-agent|Router appliance agent)/],
  ['cloud-init done', /Cloud-init v\. \S+ finished/],
  ['panic', /Kernel panic|end Kernel panic|Unable to mount root/],
  ['boot loader error', /error: file .* not found|error: no such device/],
];

/** Watches the serial console file from an offset, noting when each boot step first shows. */
export class ConsoleWatch {
  readonly marks: Marks = {};
  private t0 = 0;
  private offset = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly file: string) {}

  start(offset: number): void {
    this.t0 = Date.now();
    this.offset = offset;
    this.timer = setInterval(() => void this.scan(), 500);
  }

  mark(name: string): void {
    this.marks[name] ??= (Date.now() - this.t0) / 1000;
  }

  private async scan(): Promise<void> {
    const text = (await readFile(this.file, 'utf8').catch(() => '')).slice(this.offset);
    for (const [name, re] of CONSOLE_MARKS) if (this.marks[name] === undefined && re.test(text)) this.mark(name);
  }

  /** A reason the boot cannot succeed, seen on the console, or null. */
  failure(): string | null {
    if (this.marks.panic !== undefined) return 'the kernel panicked (see the console)';
    if (this.marks['boot loader error'] !== undefined) return 'GRUB reported an error (see the console)';
    return null;
  }

  stop(): Marks {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return { ...this.marks };
  }
}

export function timeline(title: string, marks: Marks): string {
  const order = Object.entries(marks).sort((a, b) => a[1] - b[1]);
  return `${title} timeline (s): ${order.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`;
}
