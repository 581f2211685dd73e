// Gathers host facts fresh for every request that needs them.
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressFact, Facts, LinkFact, RouteFact, ServiceFact } from '../handlers/facts.ts';
import { sha256 } from '../handlers/plan.ts';
import { FILES } from '../renderers/index.ts';
import { HOST_IFNAME } from '../schema/syntax.ts';
import type { Host } from './host.ts';

interface IpAddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  scope: string;
  valid_life_time?: number;
}

const FOREVER = 4294967295;
interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu: number;
  operstate?: string;
  link_type?: string;
  address?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: IpAddrInfo[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  type?: string;
}

async function ipJson<T>(host: Host, args: string[]): Promise<T[]> {
  const r = await host.run(['ip', '-j', ...args], { timeoutMs: 5000 });
  if (r.exitCode !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`);
  const text = r.stdout.trim();
  return text ? (JSON.parse(text) as T[]) : [];
}

export function parseLinks(raw: IpLink[]): LinkFact[] {
  return raw
    .filter((l) => HOST_IFNAME.test(l.ifname))
    .map((l) => ({
      ifindex: l.ifindex,
      ifname: l.ifname,
      mac: (l.address ?? '').toLowerCase(),
      mtu: l.mtu,
      up: (l.flags ?? []).includes('UP'),
      operstate: (l.operstate ?? 'UNKNOWN').toLowerCase(),
      linkType: l.link_type ?? 'unknown',
      kind: l.linkinfo?.info_kind ?? null,
      addresses: (l.addr_info ?? [])
        .filter((a) => a.family === 'inet' || a.family === 'inet6')
        .map(
          (a): AddressFact => ({
            address: a.local,
            prefixLength: a.prefixlen,
            family: a.family === 'inet' ? 4 : 6,
            scope: a.scope,
            permanent: a.valid_life_time === undefined || a.valid_life_time === FOREVER,
          }),
        ),
    }));
}

export function parseRoutes(raw: IpRoute[], family: 4 | 6): RouteFact[] {
  return raw
    .filter((r) => !r.type || r.type === 'unicast')
    .map((r) => ({
      family,
      // ip prints a single-address destination without its prefix length
      dst: r.dst === 'default' || r.dst.includes('/') ? r.dst : `${r.dst}/${family === 4 ? 32 : 128}`,
      gateway: r.gateway ?? null,
      dev: r.dev ?? null,
      protocol: r.protocol ?? null,
    }));
}

export async function linkFacts(host: Host): Promise<LinkFact[]> {
  return parseLinks(await ipJson<IpLink>(host, ['-d', 'address', 'show']));
}

/** Digests of managed files by identity (inode, size, mtime): unchanged files are not read again. */
const digestCache = new Map<string, { stamp: string; digest: string }>();

async function digest(root: string, rel: string): Promise<string | null> {
  const file = path.join(root, rel);
  try {
    const st = await stat(file, { bigint: true });
    const stamp = `${st.ino}/${st.size}/${st.mtimeNs}/${st.ctimeNs}`;
    const cached = digestCache.get(file);
    if (cached?.stamp === stamp) return cached.digest;
    const d = sha256(await readFile(file, 'utf8'));
    digestCache.set(file, { stamp, digest: d });
    return d;
  } catch {
    digestCache.delete(file);
    return null;
  }
}

async function sysctl(key: string): Promise<string | null> {
  try {
    return (await readFile(`/proc/sys/${key}`, 'utf8')).trim();
  } catch {
    return null;
  }
}

export async function gatherFacts(host: Host, root: string, services: Record<string, ServiceFact>): Promise<Facts> {
  const [links, v4, v6] = await Promise.all([
    linkFacts(host),
    ipJson<IpRoute>(host, ['-4', 'route', 'show', 'table', 'main']),
    ipJson<IpRoute>(host, ['-6', 'route', 'show', 'table', 'main']),
  ]);
  const files: Record<string, string> = {};
  await Promise.all(
    Object.values(FILES).map(async (rel) => {
      const d = await digest(root, rel);
      if (d) files[rel] = d;
    }),
  );
  const keys = ['net/ipv4/ip_forward', 'net/ipv6/conf/all/forwarding'];
  for (const l of links) {
    keys.push(
      `net/ipv6/conf/${l.ifname}/accept_dad`,
      `net/ipv4/conf/${l.ifname}/arp_notify`,
      `net/ipv4/conf/${l.ifname}/promote_secondaries`,
    );
  }
  const sysctls: Record<string, string> = {};
  await Promise.all(
    keys.map(async (k) => {
      const v = await sysctl(k);
      if (v !== null) sysctls[k] = v;
    }),
  );
  return {
    links,
    routes: [...parseRoutes(v4, 4), ...parseRoutes(v6, 6)],
    files,
    sysctls,
    hostname: os.hostname(),
    services,
  };
}
