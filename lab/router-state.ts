// What the router namespace and the agent's root look like, as the kernel and
// the files show them: for assertions and snapshots.
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { must, namespacePids } from './netns.ts';

interface IpLink {
  ifname: string;
  addr_info?: { local: string; prefixlen: number; family: string }[];
  mtu: number;
  flags?: string[];
}

const ipJson = async <T>(ns: string, args: string[]): Promise<T> => JSON.parse(await must(['ip', '-n', ns, '-j', ...args])) as T;

/** Global addresses (CIDR) of a link, sorted; link-local ones left out. */
export async function addresses(ns: string, ifname: string): Promise<string[]> {
  const links = await ipJson<IpLink[]>(ns, ['address', 'show', 'dev', ifname]);
  return (links[0]?.addr_info ?? [])
    .filter((a) => !a.local.startsWith('fe80:'))
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
}

/** Every link but lo: its MTU and addresses (CIDR, link-local ones included, in the kernel's order). */
export async function links(ns: string): Promise<Record<string, { mtu: number; up: boolean; addrs: string[] }>> {
  const all = await ipJson<IpLink[]>(ns, ['address', 'show']);
  return Object.fromEntries(
    all
      .filter((l) => l.ifname !== 'lo')
      .map((l) => [
        l.ifname,
        { mtu: l.mtu, up: (l.flags ?? []).includes('UP'), addrs: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`) },
      ]),
  );
}

export async function link(ns: string, ifname: string): Promise<{ mtu: number; up: boolean }> {
  const l = (await ipJson<IpLink[]>(ns, ['link', 'show', 'dev', ifname]))[0] as IpLink;
  return { mtu: l.mtu, up: (l.flags ?? []).includes('UP') };
}

/** Routes of the main table as "dst via gw dev X proto P" strings, sorted. */
export async function routes(ns: string, family: 4 | 6): Promise<string[]> {
  const raw = await ipJson<{ dst: string; gateway?: string; dev?: string; protocol?: string }[]>(ns, [
    `-${family}`,
    'route',
    'show',
    'table',
    'main',
  ]);
  return raw
    .map((x) =>
      [x.dst, x.gateway ? `via ${x.gateway}` : '', x.dev ? `dev ${x.dev}` : '', x.protocol ? `proto ${x.protocol}` : '']
        .filter(Boolean)
        .join(' '),
    )
    .sort();
}

/** iptables-save / ip6tables-save output without comments and counters. */
export async function rules(ns: string, family: 4 | 6): Promise<string> {
  const out = await must(['ip', 'netns', 'exec', ns, family === 4 ? 'iptables-save' : 'ip6tables-save']);
  return out
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]$/, '[*]'))
    .join('\n');
}

/** The packet counter of every IPv4 rule, keyed by table and rule. */
export async function ruleCounters(ns: string): Promise<Map<string, number>> {
  const text = await must(['ip', 'netns', 'exec', ns, 'iptables-save', '-c']);
  const out = new Map<string, number>();
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line;
    const m = /^\[(\d+):\d+\] (-A .*)$/.exec(line);
    if (m) out.set(`${table} ${m[2]}`, Number(m[1]));
  }
  return out;
}

/** Sum of the packet counters of every rule and chain policy of one family. */
export async function packetCount(ns: string, family: 4 | 6): Promise<number> {
  const out = await must(['ip', 'netns', 'exec', ns, family === 4 ? 'iptables-save' : 'ip6tables-save', '-c']);
  let total = 0;
  for (const m of out.matchAll(/^\[(\d+):\d+\]/gm)) total += Number(m[1]);
  return total;
}

/** pids of the processes in a namespace by command name (dnsmasq, bird6, node, ...); zombies left out. */
export async function processes(ns: string): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const pid of await namespacePids(ns)) {
    let comm: string;
    try {
      comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
      const st = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ')[0];
      if (st === 'Z') continue;
    } catch {
      continue;
    }
    out[comm] = [...(out[comm] ?? []), pid];
  }
  return out;
}

export async function daemonPids(ns: string): Promise<{ dnsmasq: number[]; bird6: number[] }> {
  const p = await processes(ns);
  return { dnsmasq: (p.dnsmasq ?? []).sort(), bird6: (p.bird6 ?? []).sort() };
}

/** The host name inside a process's UTS namespace (the agent's own). */
export async function hostnameOf(pid: number): Promise<string> {
  return (await must(['nsenter', '--target', String(pid), '--uts', 'hostname'])).trim();
}

export interface FileState {
  mtimeMs: number;
  sha256: string;
}

/** Every file under <root>/<sub> (default etc), keyed by its path relative to the root. */
export async function files(root: string, sub = 'etc'): Promise<Record<string, FileState>> {
  const out: Record<string, FileState> = {};
  const walk = async (dir: string) => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        const st = await stat(full);
        out[path.relative(root, full)] = {
          mtimeMs: st.mtimeMs,
          sha256: createHash('sha256')
            .update(await readFile(full))
            .digest('hex'),
        };
      }
    }
  };
  await walk(path.join(root, sub));
  return out;
}

/** The configuration the agent persisted under its root, or null. */
export async function savedConfiguration(root: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path.join(root, 'state', 'config.json'), 'utf8')).configuration;
  } catch {
    return null;
  }
}
