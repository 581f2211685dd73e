// Fixtures for the plan tests: golden payloads, their rendered files, host
// facts written out literally for three cases, and a small simulated host that
// applies a plan to facts the way the real tools would (ip -batch through
// runtime/host/simulated-ip.ts), so "an identical host gives an empty plan"
// can be checked for every golden case without restating the planner's rules.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressFact, Facts, LinkFact, RouteFact } from '../features/kit/facts.ts';
import type { RenderedFile } from '../features/kit/feature.ts';
import { renderAll } from '../features/render.ts';
import { formatPlan } from '../handlers/plan/format.ts';
import type { Plan, Step } from '../handlers/plan/plan.ts';
import { applyIpBatch } from '../runtime/host/simulated-ip.ts';
import type { Model } from '../schema/model.ts';
import { defaultInterfaceMap, parseConfiguration } from '../schema/parse.ts';
import { testdataDir } from './golden-cases.ts';

export const ROOT = '/var/lib/appliance';
export const HOSTNAME = 'ak-d22b149cee9b4eac8349c517eda00b89';

// biome-ignore lint/suspicious/noExplicitAny: payloads are edited freely
export function input(name: string): any {
  return JSON.parse(readFileSync(path.join(testdataDir, name, 'input.json'), 'utf8'));
}

export function build(body: unknown, root = ROOT): { model: Model; files: RenderedFile[] } {
  const parsed = parseConfiguration(body, defaultInterfaceMap());
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return { model: parsed.model, files: renderAll(parsed.model, root) };
}

/** The file digests of a host whose files are exactly these. */
export function upToDate(files: readonly RenderedFile[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.path, f.digest]));
}

export function running(): Facts['services'] {
  return { dnsmasq: { running: true, pid: 200 }, bird6: { running: true, pid: 201 }, metadata: { running: true, pid: 1 } };
}

// ---------------------------------------------------------------------------
// Literal hosts, as runtime/facts.ts would report them

function addr(cidr: string, scope = 'global'): AddressFact {
  const [address = '', prefix = ''] = cidr.split('/');
  return { address, prefixLength: Number(prefix), family: address.includes(':') ? 6 : 4, scope };
}

/** A veth NIC, up, carrying these addresses and the kernel's own link-local one. */
export function nic(ifindex: number, ifname: string, mtu: number, cidrs: string[]): LinkFact {
  const hex = ifindex.toString(16).padStart(2, '0');
  return {
    ifindex,
    ifname,
    mac: `fa:16:3e:00:00:${hex}`,
    mtu,
    up: true,
    operstate: 'up',
    linkType: 'ether',
    kind: 'veth',
    addresses: [...cidrs.map((c) => addr(c)), addr(`fe80::f816:3eff:fe00:${hex}/64`, 'link')],
  };
}

export function loopback(): LinkFact {
  return {
    ...nic(1, 'lo', 65536, []),
    mac: '00:00:00:00:00:00',
    operstate: 'unknown',
    linkType: 'loopback',
    kind: null,
    addresses: [addr('127.0.0.1/8', 'host'), addr('::1/128', 'host')],
  };
}

const kernel = (family: 4 | 6, dst: string, dev: string): RouteFact => ({ family, dst, gateway: null, dev, protocol: 'kernel' });
const fixed = (family: 4 | 6, dst: string, gateway: string, dev: string): RouteFact => ({ family, dst, gateway, dev, protocol: 'static' });

/** seed-example, configured: a management, an external and an internal network. */
export function seedHost(files: readonly RenderedFile[]): Facts {
  return {
    links: [
      loopback(),
      nic(2, 'eth0', 1450, ['fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1/64']),
      nic(3, 'eth1', 1500, ['172.24.4.3/24', '2001:db8::3/64']),
      nic(4, 'eth2', 1450, ['10.0.0.1/24', 'fdc3:6ee6:d81f:ede::1/64']),
    ],
    routes: [
      kernel(6, 'fdca:3ba5:a17a:acda::/64', 'eth0'),
      kernel(6, 'fe80::/64', 'eth0'),
      kernel(4, '172.24.4.0/24', 'eth1'),
      kernel(6, '2001:db8::/64', 'eth1'),
      kernel(6, 'fe80::/64', 'eth1'),
      kernel(4, '10.0.0.0/24', 'eth2'),
      kernel(6, 'fdc3:6ee6:d81f:ede::/64', 'eth2'),
      kernel(6, 'fe80::/64', 'eth2'),
      fixed(4, 'default', '172.24.4.1', 'eth1'),
      fixed(6, 'default', '2001:db8::2', 'eth1'),
    ],
    files: upToDate(files),
    sysctls: {
      'net/ipv4/ip_forward': '1',
      'net/ipv6/conf/all/forwarding': '1',
      'net/ipv6/conf/eth0/accept_dad': '0',
      'net/ipv4/conf/eth0/arp_notify': '1',
      'net/ipv4/conf/eth0/promote_secondaries': '1',
      'net/ipv4/conf/eth1/arp_notify': '1',
      'net/ipv4/conf/eth1/promote_secondaries': '1',
      'net/ipv6/conf/eth2/accept_dad': '0',
      'net/ipv4/conf/eth2/arp_notify': '1',
      'net/ipv4/conf/eth2/promote_secondaries': '1',
    },
    hostname: HOSTNAME,
    services: running(),
  };
}

/** host-routes-stateful-v6, configured: seed-example's links plus two host routes through the internal router. */
export function hostRoutesHost(files: readonly RenderedFile[]): Facts {
  const facts = seedHost(files);
  facts.routes.push(fixed(4, '192.168.200.0/24', '10.0.0.254', 'eth2'), fixed(6, 'fd00:1::/64', 'fdc3:6ee6:d81f:ede::fe', 'eth2'));
  return facts;
}

/** floating-ips, configured: two internal networks, six floating IPs on the external link. */
export function floatingIpsHost(files: readonly RenderedFile[]): Facts {
  const fips = ['10', '11', '12', '13', '20', '21'].map((n) => `172.24.4.${n}/24`);
  return {
    links: [
      loopback(),
      nic(2, 'eth0', 1450, ['fdca:3ba5:a17a:acda:f816:3eff:fe56:9d80/64']),
      nic(3, 'eth1', 1500, ['172.24.4.3/24', '2001:db8::3/64', ...fips]),
      nic(4, 'eth2', 1450, ['10.0.0.1/24', 'fdc2:d8e3:5437:5ad8::1/64']),
      nic(5, 'eth3', 1450, ['10.0.1.1/24']),
    ],
    routes: [
      kernel(4, '172.24.4.0/24', 'eth1'),
      kernel(4, '10.0.0.0/24', 'eth2'),
      kernel(4, '10.0.1.0/24', 'eth3'),
      fixed(4, 'default', '172.24.4.1', 'eth1'),
      fixed(6, 'default', '2001:db8::2', 'eth1'),
    ],
    files: upToDate(files),
    sysctls: {
      'net/ipv4/ip_forward': '1',
      'net/ipv6/conf/all/forwarding': '1',
      'net/ipv6/conf/eth0/accept_dad': '0',
      'net/ipv4/conf/eth0/arp_notify': '1',
      'net/ipv4/conf/eth0/promote_secondaries': '1',
      'net/ipv4/conf/eth1/arp_notify': '1',
      'net/ipv4/conf/eth1/promote_secondaries': '1',
      'net/ipv6/conf/eth2/accept_dad': '0',
      'net/ipv4/conf/eth2/arp_notify': '1',
      'net/ipv4/conf/eth2/promote_secondaries': '1',
      'net/ipv6/conf/eth3/accept_dad': '0',
      'net/ipv4/conf/eth3/arp_notify': '1',
      'net/ipv4/conf/eth3/promote_secondaries': '1',
    },
    hostname: HOSTNAME,
    services: running(),
  };
}

export function link(facts: Facts, ifname: string): LinkFact {
  const l = facts.links.find((x) => x.ifname === ifname);
  if (!l) throw new Error(`no link ${ifname} in the facts`);
  return l;
}

// ---------------------------------------------------------------------------
// A simulated host

/** A host fresh from boot: loopback and one NIC per network of the model, down, no addresses, nothing configured. */
export function bareHost(model: Model): Facts {
  const links = model.networks.map((n, i) => ({ ...nic(2 + i, n.ifname, 1500, []), up: false, operstate: 'down', addresses: [] }));
  return { links: [loopback(), ...links], routes: [], files: {}, sysctls: {}, hostname: 'debian', services: {} };
}

/** The facts after running the plan: files, hostname, sysctls, ip batches and daemons as the tools would leave them. */
export function applyPlan(before: Facts, plan: Plan): Facts {
  const facts = structuredClone(before);
  let pid = 500;
  for (const s of plan.steps) {
    if (s.kind === 'write-file') facts.files[s.path] = s.digest;
    else if (s.kind === 'hostname') facts.hostname = s.name;
    else if (s.kind === 'sysctl') facts.sysctls[s.key] = s.value;
    else if (s.kind === 'metadata') facts.services.metadata = { running: true, pid: 1 };
    else if (s.kind === 'daemon')
      facts.services[s.name] = s.action === 'stop' ? { running: false, pid: null } : { running: true, pid: pid++ };
    else if (s.kind === 'run' && s.argv[0] === 'ip') {
      const error = applyIpBatch(facts, s.input ?? '', s.argv.includes('-force'));
      if (error && s.okExit !== 'any') throw new Error(`${s.reason}: ${error}`);
    }
  }
  return facts;
}

// ---------------------------------------------------------------------------
// Reading plans

/**
 * The plan as formatPlan prints it, one string per step, the phase column
 * squeezed to one space. File sizes and digests are left out (the golden
 * tests own the contents): `files write etc/hosts mode 0644`,
 * `check iptables-restore: iptables-restore --test < stdin`.
 */
export function lines(plan: Plan): string[] {
  return formatPlan(plan)
    .split('\n')
    .filter(Boolean)
    .map((l) =>
      l
        .replace(/^(\S+) +/, '$1 ')
        .replace(/ \(\d+ bytes, sha256 [0-9a-f]+\)$/, '')
        .replace(/ < \(\d+ bytes\)$/, ' < stdin'),
    );
}

/** Only the lines of these phases. */
export function linesOf(plan: Plan, ...phases: Step['phase'][]): string[] {
  return lines({ steps: plan.steps.filter((s) => phases.includes(s.phase)) });
}

/** The run step with this reason (there is at most one). */
export function runStep(plan: Plan, reason: string): Extract<Step, { kind: 'run' }> | undefined {
  return plan.steps.find((s): s is Extract<Step, { kind: 'run' }> => s.kind === 'run' && s.reason === reason);
}

export const show = (plan: Plan) => `\n${lines(plan).join('\n')}`;
