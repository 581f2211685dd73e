// The daemons' own syntax checkers, run on rendered files before anything is
// applied. A wrapper argv (e.g. ip netns exec NAME) can be given so tests run
// them inside a throwaway namespace.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FILES } from '../renderers/index.ts';
import { Host } from './host.ts';

export interface CheckFailure {
  checker: string;
  argv: string[];
  exitCode: number | undefined;
  stderr: string;
}

export interface CheckerOptions {
  /** argv prefix, such as ['ip', 'netns', 'exec', 'ns1'] */
  wrap?: string[];
  tmpDir?: string;
  /** run through the agent's Host, so the spawns are counted */
  host?: Host;
}

async function run(name: string, argv: string[], opts: CheckerOptions, input?: string): Promise<CheckFailure | null> {
  const full = [...(opts.wrap ?? []), ...argv];
  const r = await (opts.host ?? new Host()).run(full, { input, timeoutMs: 20_000 });
  if (r.exitCode === 0) return null;
  return { checker: name, argv: full, exitCode: r.exitCode, stderr: (r.stderr || r.stdout).slice(0, 4000) };
}

export function checkIptables(family: 4 | 6, payload: string, opts: CheckerOptions = {}) {
  const bin = family === 4 ? 'iptables-restore' : 'ip6tables-restore';
  return run(bin, [bin, '--test'], opts, payload);
}

/** dnsmasq --test does not read the hosts and options files, so they are inlined into a copy. */
export function dnsmasqCheckText(conf: string, hosts: string, opts: string): string {
  const keep = conf.split('\n').filter((l) => !/^dhcp-(hosts|opts)file=/.test(l));
  const lines = (text: string, prefix: string) =>
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => `${prefix}=${l}`);
  return [...keep, ...lines(hosts, 'dhcp-host'), ...lines(opts, 'dhcp-option'), ''].join('\n');
}

async function withTemp<T>(opts: CheckerOptions, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(opts.tmpDir ?? os.tmpdir(), 'appliance-check-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function checkDnsmasq(conf: string, hosts: string, optsText: string, opts: CheckerOptions = {}) {
  return withTemp(opts, async (dir) => {
    const file = path.join(dir, 'dnsmasq.conf');
    await writeFile(file, dnsmasqCheckText(conf, hosts, optsText));
    return run('dnsmasq', ['dnsmasq', '--test', `--conf-file=${file}`], opts);
  });
}

export function checkBird6(conf: string, opts: CheckerOptions = {}) {
  return withTemp(opts, async (dir) => {
    const file = path.join(dir, 'bird6.conf');
    await writeFile(file, conf);
    return run('bird6', ['bird6', '-p', '-c', file], opts);
  });
}

export interface RenderedSet {
  rulesV4: string;
  rulesV6: string;
  dnsmasqConf: string;
  dnsmasqHosts: string;
  dnsmasqOpts: string;
  bird6: string;
}

/** The checked files out of a render, by their place under the root. */
export function renderedSet(files: { path: string; content: string }[]): RenderedSet {
  const content = (p: string) => files.find((f) => f.path === p)?.content ?? '';
  return {
    rulesV4: content(FILES.rulesV4),
    rulesV6: content(FILES.rulesV6),
    dnsmasqConf: content(FILES.dnsmasqConf),
    dnsmasqHosts: content(FILES.dnsmasqHosts),
    dnsmasqOpts: content(FILES.dnsmasqOpts),
    bird6: content(FILES.bird6),
  };
}

export type CheckGroup = 'iptables-v4' | 'iptables-v6' | 'dnsmasq' | 'bird6';
export const ALL_CHECKS: readonly CheckGroup[] = ['iptables-v4', 'iptables-v6', 'dnsmasq', 'bird6'];

/** The checkers of the given groups (all by default), in parallel; the failures (empty when all passed). */
export async function checkAll(
  files: RenderedSet,
  opts: CheckerOptions = {},
  groups: readonly CheckGroup[] = ALL_CHECKS,
): Promise<CheckFailure[]> {
  const jobs: Record<CheckGroup, () => Promise<CheckFailure | null>> = {
    'iptables-v4': () => checkIptables(4, files.rulesV4, opts),
    'iptables-v6': () => checkIptables(6, files.rulesV6, opts),
    dnsmasq: () => checkDnsmasq(files.dnsmasqConf, files.dnsmasqHosts, files.dnsmasqOpts, opts),
    bird6: () => checkBird6(files.bird6, opts),
  };
  const results = await Promise.all(groups.map((g) => jobs[g]()));
  return results.filter((r): r is CheckFailure => r !== null);
}
