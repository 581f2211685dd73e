// Hostile input: every string that can reach a config file or a command line
// gets injection attempts, every field gets wrong types and out-of-range
// numbers, and the body itself is malformed or huge. For each, parsing must
// not throw, must not produce a model (so nothing can be rendered), and must
// name the exact JSON path of the bad field with a message.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Issue } from './issues.ts';
import { MAX_ISSUES } from './issues.ts';
import type { ParseResult } from './parse.ts';
import { defaultInterfaceMap, parseConfiguration } from './parse.ts';

// biome-ignore lint/suspicious/noExplicitAny: test bodies are free-form JSON that the tests mutate
type Json = any;

const seedText = readFileSync(new URL('../test/cases/seed-example/input.json', import.meta.url), 'utf8');

/**
 * The seed payload plus a value in every optional string field the seed
 * leaves empty (description, DNS, host route, floating IP), so that each
 * field can be poisoned in place.
 */
function base(): Json {
  const b = JSON.parse(seedText);
  const int = b.networks[2];
  int.interface.description = 'tenant_net';
  int.subnets[0].dns_nameservers = ['8.8.8.8'];
  int.subnets[0].host_routes = [{ destination: '192.168.1.0/24', nexthop: '10.0.0.254' }];
  b.floating_ips = [{ floating_ip: '172.24.4.10', fixed_ip: '10.0.0.3' }];
  return b;
}

function parse(body: unknown): ParseResult {
  try {
    return parseConfiguration(body, defaultInterfaceMap());
  } catch (err) {
    assert.unreachable(`parseConfiguration threw: ${(err as Error)?.stack ?? String(err)}`);
    throw err;
  }
}

const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 60)}…(${s.length} chars)` : s);

/** Rejected, nothing to render, and an issue with a message at exactly `path`. */
function assertRejected(body: unknown, path: string, label: string): Issue[] {
  const r = parse(body);
  if (r.ok) assert.unreachable(`${label}: accepted; a model would be rendered`);
  assert.not.ok('model' in r, `${label}: a rejected parse carries no model`);
  const issues = (r as Extract<ParseResult, { ok: false }>).issues;
  assert.ok(issues.length > 0, `${label}: no issues`);
  // record keys in paths are cut to 64 characters
  const hit = issues.find((i) => i.path === path || (path.length > 200 && i.path.length > 64 && path.startsWith(i.path)));
  assert.ok(hit, `${label}: no issue at ${show(path)}; got ${show(JSON.stringify(issues.slice(0, 5)))}`);
  assert.type(hit?.message, 'string');
  assert.ok((hit?.message.trim().length ?? 0) > 0, `${label}: empty message at ${show(path)}`);
  for (const i of issues) {
    assert.type(i.path, 'string');
    assert.ok(i.message.length > 0, `${label}: empty message at ${show(i.path)}`);
  }
  return issues;
}

// ------------------------------------------------------------ the fields

interface Field {
  name: string;
  /** a valid value, checked by the sanity test below */
  valid: string;
  set: (body: Json, value: string) => void;
  path: (value: string) => string;
  hostname?: boolean;
}

const at = (p: string) => () => p;

const FIELDS: Field[] = [
  {
    name: 'hostname',
    valid: 'router-1',
    set: (b, v) => {
      b.hostname = v;
    },
    path: at('hostname'),
    hostname: true,
  },
  {
    name: 'tenant_id',
    valid: 'd22b149cee9b4eac8349c517eda00b89',
    set: (b, v) => {
      b.tenant_id = v;
    },
    path: at('tenant_id'),
  },
  {
    name: 'network_id',
    valid: '3bab6c39-8d88-448a-beed-8d14f06d3fef',
    set: (b, v) => {
      b.networks[2].network_id = v;
    },
    path: at('networks.2.network_id'),
  },
  {
    name: 'interface.ifname',
    valid: 'ge2',
    set: (b, v) => {
      b.networks[2].interface.ifname = v;
    },
    path: at('networks.2.interface.ifname'),
  },
  {
    name: 'interface.addresses[]',
    valid: '10.0.0.1/24',
    set: (b, v) => {
      b.networks[2].interface.addresses[0] = v;
    },
    path: at('networks.2.interface.addresses.0'),
  },
  {
    name: 'interface.description',
    valid: 'tenant_net',
    set: (b, v) => {
      b.networks[2].interface.description = v;
    },
    path: at('networks.2.interface.description'),
  },
  {
    name: 'subnet id',
    valid: '025b413f-8a9a-421e-a648-a7dd06839eb9',
    set: (b, v) => {
      b.networks[2].subnets[0].id = v;
    },
    path: at('networks.2.subnets.0.id'),
  },
  {
    name: 'subnet cidr',
    valid: '10.0.0.0/24',
    set: (b, v) => {
      b.networks[2].subnets[0].cidr = v;
    },
    path: at('networks.2.subnets.0.cidr'),
  },
  {
    name: 'subnet gateway_ip',
    valid: '10.0.0.1',
    set: (b, v) => {
      b.networks[2].subnets[0].gateway_ip = v;
    },
    path: at('networks.2.subnets.0.gateway_ip'),
  },
  {
    name: 'subnet dns_nameservers[]',
    valid: '8.8.4.4',
    set: (b, v) => {
      b.networks[2].subnets[0].dns_nameservers.push(v);
    },
    path: at('networks.2.subnets.0.dns_nameservers.1'),
  },
  {
    name: 'host_routes[].destination',
    valid: '192.168.1.0/24',
    set: (b, v) => {
      b.networks[2].subnets[0].host_routes[0].destination = v;
    },
    path: at('networks.2.subnets.0.host_routes.0.destination'),
  },
  {
    name: 'host_routes[].nexthop',
    valid: '10.0.0.254',
    set: (b, v) => {
      b.networks[2].subnets[0].host_routes[0].nexthop = v;
    },
    path: at('networks.2.subnets.0.host_routes.0.nexthop'),
  },
  {
    name: 'allocation mac_address',
    valid: 'fa:16:3e:3d:aa:d8',
    set: (b, v) => {
      b.networks[2].allocations[1].mac_address = v;
    },
    path: at('networks.2.allocations.1.mac_address'),
  },
  {
    name: 'allocation hostname',
    valid: '10-0-0-3.local',
    set: (b, v) => {
      b.networks[2].allocations[1].hostname = v;
    },
    path: at('networks.2.allocations.1.hostname'),
    hostname: true,
  },
  {
    name: 'allocation device_id',
    valid: '966baea1-48be-4b13-8da9-8f1d3099fdf5',
    set: (b, v) => {
      b.networks[2].allocations[1].device_id = v;
    },
    path: at('networks.2.allocations.1.device_id'),
  },
  {
    name: 'allocation ip_addresses key',
    valid: '10.0.0.33',
    set: (b, v) => {
      b.networks[2].allocations[1].ip_addresses[v] = true;
    },
    path: (v) => `networks.2.allocations.1.ip_addresses.${v}`,
  },
  {
    name: 'floating_ip',
    valid: '172.24.4.11',
    set: (b, v) => {
      b.floating_ips[0].floating_ip = v;
    },
    path: at('floating_ips.0.floating_ip'),
  },
  {
    name: 'fixed_ip',
    valid: '10.0.0.4',
    set: (b, v) => {
      b.floating_ips[0].fixed_ip = v;
    },
    path: at('floating_ips.0.fixed_ip'),
  },
  {
    name: 'default_v4_gateway',
    valid: '172.24.4.1',
    set: (b, v) => {
      b.default_v4_gateway = v;
    },
    path: at('default_v4_gateway'),
  },
  {
    name: 'orchestrator.address',
    valid: 'fdca:3ba5:a17a:acda::1',
    set: (b, v) => {
      b.orchestrator.address = v;
    },
    path: at('orchestrator.address'),
  },
  {
    name: 'orchestrator.host',
    valid: 'devstack',
    set: (b, v) => {
      b.orchestrator.host = v;
    },
    path: at('orchestrator.host'),
    hostname: true,
  },
  {
    name: 'labels key',
    valid: 'ext_2',
    set: (b, v) => {
      b.labels[v] = ['10.0.0.0/8'];
    },
    path: (v) => `labels.${v}`,
  },
  {
    name: 'labels value',
    valid: '10.0.0.0/8',
    set: (b, v) => {
      b.labels.ext.push(v);
    },
    path: at('labels.ext.1'),
  },
];

interface Injection {
  name: string;
  make: (valid: string) => string;
}

const INJECTIONS: Injection[] = [
  { name: 'newline + dnsmasq directive', make: (v) => `${v}\ndhcp-script=/bin/sh` },
  { name: 'bare newline directive', make: () => 'x\ndhcp-script=/bin/sh' },
  { name: 'carriage return', make: (v) => `${v}\r` },
  { name: 'double quote', make: (v) => `${v}"` },
  { name: 'leading double quote', make: (v) => `"${v}` },
  { name: 'single quote', make: (v) => `${v}'` },
  { name: 'option: -j ACCEPT', make: () => '-j ACCEPT' },
  { name: 'option: --help', make: () => '--help' },
  { name: 'option: -x', make: () => '-x' },
  { name: 'space-separated injection', make: (v) => `${v} -j ACCEPT` },
  { name: 'space-separated injection (ge1)', make: () => 'ge1 -j ACCEPT' },
  { name: 'comma (dnsmasq field separator)', make: (v) => `${v},set:x` },
  { name: 'semicolon and brace (bird)', make: (v) => `${v}; }` },
  { name: 'shell substitution', make: (v) => `${v}$(reboot)` },
  { name: 'tab', make: (v) => `${v}\t-j` },
  { name: 'NUL byte', make: (v) => `${v}\u0000` },
  { name: 'NUL byte inside', make: (v) => `${v.slice(0, 2)}\u0000${v.slice(2)}` },
  { name: 'unicode line separator', make: (v) => `${v}\u2028x` },
  { name: '10 000 characters', make: () => 'a'.repeat(10_000) },
  { name: '10 000 characters of the valid value', make: (v) => v.repeat(Math.ceil(10_000 / v.length)) },
  { name: '10 000 zeros appended', make: (v) => `${v}${'0'.repeat(10_000)}` },
];

test('sanity: the base body and every valid field value are accepted', () => {
  const r = parse(base());
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.issues));
  for (const f of FIELDS) {
    const b = base();
    f.set(b, f.valid);
    const rf = parse(b);
    assert.ok(rf.ok, `${f.name} = ${show(f.valid)}: ${rf.ok ? '' : JSON.stringify(rf.issues)}`);
  }
});

/** Runs every check, then fails once with the list of all that failed. */
function collect(checks: [string, () => void][]): void {
  const failures: string[] = [];
  for (const [label, check] of checks) {
    try {
      check();
    } catch (err) {
      failures.push((err as Error).message.startsWith(label) ? (err as Error).message : `${label}: ${(err as Error).message}`);
    }
  }
  assert.ok(failures.length === 0, `${failures.length} of ${checks.length} failed:\n${failures.join('\n')}`);
}

for (const f of FIELDS) {
  test(`hostile strings in ${f.name} are rejected at ${f.path('<key>')}`, () => {
    const checks: [string, () => void][] = INJECTIONS.map((inj) => {
      const value = inj.make(f.valid);
      return [
        inj.name,
        () => {
          const b = base();
          f.set(b, value);
          assertRejected(b, f.path(value), `${f.name} <- ${inj.name} ${show(value)}`);
        },
      ];
    });
    if (f.hostname) {
      // syntactically fine labels, but far too long
      const long = Array(2000).fill('abcd').join('.');
      checks.push([
        '10 000-character dotted name',
        () => {
          const b = base();
          f.set(b, long);
          assertRejected(b, f.path(long), `${f.name} <- 10 000-character dotted name`);
        },
      ]);
    }
    collect(checks);
  });
}

// ------------------------------------------------------------ wrong types

interface Case {
  name: string;
  mutate: (b: Json) => void;
  path: string;
}

const run = (cases: Case[]) =>
  collect(
    cases.map((c) => [
      c.name,
      () => {
        const b = base();
        c.mutate(b);
        assertRejected(b, c.path, c.name);
      },
    ]),
  );

test('wrong types: number for string', () => {
  run([
    {
      name: 'hostname 5',
      mutate: (b) => {
        b.hostname = 5;
      },
      path: 'hostname',
    },
    {
      name: 'tenant_id 123',
      mutate: (b) => {
        b.tenant_id = 123;
      },
      path: 'tenant_id',
    },
    {
      name: 'network_id 42',
      mutate: (b) => {
        b.networks[2].network_id = 42;
      },
      path: 'networks.2.network_id',
    },
    {
      name: 'ifname 2',
      mutate: (b) => {
        b.networks[2].interface.ifname = 2;
      },
      path: 'networks.2.interface.ifname',
    },
    {
      name: 'address 167772161',
      mutate: (b) => {
        b.networks[2].interface.addresses[0] = 167772161;
      },
      path: 'networks.2.interface.addresses.0',
    },
    {
      name: 'cidr 24',
      mutate: (b) => {
        b.networks[2].subnets[0].cidr = 24;
      },
      path: 'networks.2.subnets.0.cidr',
    },
    {
      name: 'gateway_ip 0',
      mutate: (b) => {
        b.networks[2].subnets[0].gateway_ip = 0;
      },
      path: 'networks.2.subnets.0.gateway_ip',
    },
    {
      name: 'mac 1',
      mutate: (b) => {
        b.networks[2].allocations[0].mac_address = 1;
      },
      path: 'networks.2.allocations.0.mac_address',
    },
    {
      name: 'allocation hostname 1',
      mutate: (b) => {
        b.networks[2].allocations[0].hostname = 1;
      },
      path: 'networks.2.allocations.0.hostname',
    },
    {
      name: 'device_id 7',
      mutate: (b) => {
        b.networks[2].allocations[0].device_id = 7;
      },
      path: 'networks.2.allocations.0.device_id',
    },
    {
      name: 'floating_ip 1',
      mutate: (b) => {
        b.floating_ips[0].floating_ip = 1;
      },
      path: 'floating_ips.0.floating_ip',
    },
    {
      name: 'default_v4_gateway 1',
      mutate: (b) => {
        b.default_v4_gateway = 1;
      },
      path: 'default_v4_gateway',
    },
    {
      name: 'orchestrator.address 1',
      mutate: (b) => {
        b.orchestrator.address = 1;
      },
      path: 'orchestrator.address',
    },
    {
      name: 'labels value 1',
      mutate: (b) => {
        b.labels.ext[0] = 1;
      },
      path: 'labels.ext.0',
    },
    {
      name: 'description 1',
      mutate: (b) => {
        b.networks[2].interface.description = 1;
      },
      path: 'networks.2.interface.description',
    },
  ]);
});

test('wrong types: string or other for number and boolean', () => {
  run([
    {
      name: 'asn "64512"',
      mutate: (b) => {
        b.asn = '64512';
      },
      path: 'asn',
    },
    {
      name: 'neighbor_asn "64512"',
      mutate: (b) => {
        b.neighbor_asn = '64512';
      },
      path: 'neighbor_asn',
    },
    {
      name: 'asn true',
      mutate: (b) => {
        b.asn = true;
      },
      path: 'asn',
    },
    {
      name: 'network mtu "1450"',
      mutate: (b) => {
        b.networks[2].mtu = '1450';
      },
      path: 'networks.2.mtu',
    },
    {
      name: 'interface mtu "1450"',
      mutate: (b) => {
        b.networks[2].interface.mtu = '1450';
      },
      path: 'networks.2.interface.mtu',
    },
    {
      name: 'metadata_port "9697"',
      mutate: (b) => {
        b.orchestrator.metadata_port = '9697';
      },
      path: 'orchestrator.metadata_port',
    },
    {
      name: 'dhcp_enabled "true"',
      mutate: (b) => {
        b.networks[2].subnets[0].dhcp_enabled = 'true';
      },
      path: 'networks.2.subnets.0.dhcp_enabled',
    },
    {
      name: 'dhcp_enabled 1',
      mutate: (b) => {
        b.networks[2].subnets[0].dhcp_enabled = 1;
      },
      path: 'networks.2.subnets.0.dhcp_enabled',
    },
    {
      name: 'ip_addresses value "yes"',
      mutate: (b) => {
        b.networks[2].allocations[1].ip_addresses['10.0.0.3'] = 'yes';
      },
      path: 'networks.2.allocations.1.ip_addresses.10.0.0.3',
    },
    {
      name: 'ha_resource "false"',
      mutate: (b) => {
        b.ha_resource = 'false';
      },
      path: 'ha_resource',
    },
    {
      name: 'network_type "loadbalancer"',
      mutate: (b) => {
        b.networks[2].network_type = 'loadbalancer';
      },
      path: 'networks.2.network_type',
    },
    {
      name: 'network_type 1',
      mutate: (b) => {
        b.networks[2].network_type = 1;
      },
      path: 'networks.2.network_type',
    },
  ]);
});

test('wrong types: objects and strings for lists, lists for objects', () => {
  run([
    {
      name: 'networks {}',
      mutate: (b) => {
        b.networks = {};
      },
      path: 'networks',
    },
    {
      name: 'networks "ge1"',
      mutate: (b) => {
        b.networks = 'ge1';
      },
      path: 'networks',
    },
    {
      name: 'addresses {}',
      mutate: (b) => {
        b.networks[2].interface.addresses = {};
      },
      path: 'networks.2.interface.addresses',
    },
    {
      name: 'addresses "10.0.0.1/24"',
      mutate: (b) => {
        b.networks[2].interface.addresses = '10.0.0.1/24';
      },
      path: 'networks.2.interface.addresses',
    },
    {
      name: 'subnets {}',
      mutate: (b) => {
        b.networks[2].subnets = {};
      },
      path: 'networks.2.subnets',
    },
    {
      name: 'dns_nameservers {}',
      mutate: (b) => {
        b.networks[2].subnets[0].dns_nameservers = {};
      },
      path: 'networks.2.subnets.0.dns_nameservers',
    },
    {
      name: 'dns_nameservers "8.8.8.8"',
      mutate: (b) => {
        b.networks[2].subnets[0].dns_nameservers = '8.8.8.8';
      },
      path: 'networks.2.subnets.0.dns_nameservers',
    },
    {
      name: 'host_routes non-empty {}',
      mutate: (b) => {
        b.networks[2].subnets[0].host_routes = { destination: '10.1.0.0/16', nexthop: '10.0.0.254' };
      },
      path: 'networks.2.subnets.0.host_routes',
    },
    {
      name: 'allocations {}',
      mutate: (b) => {
        b.networks[2].allocations = {};
      },
      path: 'networks.2.allocations',
    },
    {
      name: 'address_allocations {}',
      mutate: (b) => {
        b.networks[2].address_allocations = {};
      },
      path: 'networks.2.address_allocations',
    },
    {
      name: 'ip_addresses []',
      mutate: (b) => {
        b.networks[2].allocations[1].ip_addresses = ['10.0.0.3'];
      },
      path: 'networks.2.allocations.1.ip_addresses',
    },
    {
      name: 'floating_ips {}',
      mutate: (b) => {
        b.floating_ips = { floating_ip: '172.24.4.10', fixed_ip: '10.0.0.3' };
      },
      path: 'floating_ips',
    },
    {
      name: 'labels []',
      mutate: (b) => {
        b.labels = ['10.0.0.0/8'];
      },
      path: 'labels',
    },
    {
      name: 'labels.ext {}',
      mutate: (b) => {
        b.labels.ext = {};
      },
      path: 'labels.ext',
    },
    {
      name: 'labels.ext "10.0.0.0/8"',
      mutate: (b) => {
        b.labels.ext = '10.0.0.0/8';
      },
      path: 'labels.ext',
    },
    {
      name: 'interface []',
      mutate: (b) => {
        b.networks[2].interface = [];
      },
      path: 'networks.2.interface',
    },
    {
      name: 'interface "ge2"',
      mutate: (b) => {
        b.networks[2].interface = 'ge2';
      },
      path: 'networks.2.interface',
    },
    {
      name: 'orchestrator []',
      mutate: (b) => {
        b.orchestrator = [];
      },
      path: 'orchestrator',
    },
    {
      name: 'orchestrator "x"',
      mutate: (b) => {
        b.orchestrator = 'fdca::1';
      },
      path: 'orchestrator',
    },
    {
      name: 'network entry "x"',
      mutate: (b) => {
        b.networks[2] = 'x';
      },
      path: 'networks.2',
    },
    {
      name: 'subnet entry []',
      mutate: (b) => {
        b.networks[2].subnets[0] = [];
      },
      path: 'networks.2.subnets.0',
    },
    {
      name: 'allocation entry 5',
      mutate: (b) => {
        b.networks[2].allocations[0] = 5;
      },
      path: 'networks.2.allocations.0',
    },
    {
      name: 'floating entry "172.24.4.10"',
      mutate: (b) => {
        b.floating_ips[0] = '172.24.4.10';
      },
      path: 'floating_ips.0',
    },
    {
      name: 'vpn "x"',
      mutate: (b) => {
        b.vpn = 'x';
      },
      path: 'vpn',
    },
    {
      name: 'ha_config []',
      mutate: (b) => {
        b.ha_config = [];
      },
      path: 'ha_config',
    },
    {
      name: 'ha_config.peers "x"',
      mutate: (b) => {
        b.ha_config = { peers: '10.0.0.1' };
      },
      path: 'ha_config.peers',
    },
  ]);
});

test('null for required values', () => {
  run([
    {
      name: 'networks null',
      mutate: (b) => {
        b.networks = null;
      },
      path: 'networks',
    },
    {
      name: 'network entry null',
      mutate: (b) => {
        b.networks[2] = null;
      },
      path: 'networks.2',
    },
    {
      name: 'network_id null',
      mutate: (b) => {
        b.networks[2].network_id = null;
      },
      path: 'networks.2.network_id',
    },
    {
      name: 'interface null',
      mutate: (b) => {
        b.networks[2].interface = null;
      },
      path: 'networks.2.interface',
    },
    {
      name: 'ifname null',
      mutate: (b) => {
        b.networks[2].interface.ifname = null;
      },
      path: 'networks.2.interface.ifname',
    },
    {
      name: 'addresses item null',
      mutate: (b) => {
        b.networks[2].interface.addresses[0] = null;
      },
      path: 'networks.2.interface.addresses.0',
    },
    {
      name: 'subnet null',
      mutate: (b) => {
        b.networks[2].subnets[0] = null;
      },
      path: 'networks.2.subnets.0',
    },
    {
      name: 'cidr null',
      mutate: (b) => {
        b.networks[2].subnets[0].cidr = null;
      },
      path: 'networks.2.subnets.0.cidr',
    },
    {
      name: 'dns item null',
      mutate: (b) => {
        b.networks[2].subnets[0].dns_nameservers[0] = null;
      },
      path: 'networks.2.subnets.0.dns_nameservers.0',
    },
    {
      name: 'host route null',
      mutate: (b) => {
        b.networks[2].subnets[0].host_routes[0] = null;
      },
      path: 'networks.2.subnets.0.host_routes.0',
    },
    {
      name: 'destination null',
      mutate: (b) => {
        b.networks[2].subnets[0].host_routes[0].destination = null;
      },
      path: 'networks.2.subnets.0.host_routes.0.destination',
    },
    {
      name: 'nexthop null',
      mutate: (b) => {
        b.networks[2].subnets[0].host_routes[0].nexthop = null;
      },
      path: 'networks.2.subnets.0.host_routes.0.nexthop',
    },
    {
      name: 'allocation null',
      mutate: (b) => {
        b.networks[2].allocations[0] = null;
      },
      path: 'networks.2.allocations.0',
    },
    {
      name: 'mac_address null',
      mutate: (b) => {
        b.networks[2].allocations[0].mac_address = null;
      },
      path: 'networks.2.allocations.0.mac_address',
    },
    {
      name: 'allocation hostname null',
      mutate: (b) => {
        b.networks[2].allocations[0].hostname = null;
      },
      path: 'networks.2.allocations.0.hostname',
    },
    {
      name: 'ip_addresses value null',
      mutate: (b) => {
        b.networks[2].allocations[0].ip_addresses['10.0.0.1'] = null;
      },
      path: 'networks.2.allocations.0.ip_addresses.10.0.0.1',
    },
    {
      name: 'floating entry null',
      mutate: (b) => {
        b.floating_ips[0] = null;
      },
      path: 'floating_ips.0',
    },
    {
      name: 'floating_ip null',
      mutate: (b) => {
        b.floating_ips[0].floating_ip = null;
      },
      path: 'floating_ips.0.floating_ip',
    },
    {
      name: 'fixed_ip null',
      mutate: (b) => {
        b.floating_ips[0].fixed_ip = null;
      },
      path: 'floating_ips.0.fixed_ip',
    },
    {
      name: 'labels.ext null',
      mutate: (b) => {
        b.labels.ext = null;
      },
      path: 'labels.ext',
    },
    {
      name: 'labels.ext item null',
      mutate: (b) => {
        b.labels.ext[0] = null;
      },
      path: 'labels.ext.0',
    },
    {
      name: 'asn null',
      mutate: (b) => {
        b.asn = null;
      },
      path: 'asn',
    },
  ]);
});

test('missing required keys', () => {
  run([
    {
      name: 'no network_id',
      mutate: (b) => {
        delete b.networks[2].network_id;
      },
      path: 'networks.2.network_id',
    },
    {
      name: 'no interface',
      mutate: (b) => {
        delete b.networks[2].interface;
      },
      path: 'networks.2.interface',
    },
    {
      name: 'no ifname',
      mutate: (b) => {
        delete b.networks[2].interface.ifname;
      },
      path: 'networks.2.interface.ifname',
    },
    {
      name: 'no cidr',
      mutate: (b) => {
        delete b.networks[2].subnets[0].cidr;
      },
      path: 'networks.2.subnets.0.cidr',
    },
    {
      name: 'no destination',
      mutate: (b) => {
        delete b.networks[2].subnets[0].host_routes[0].destination;
      },
      path: 'networks.2.subnets.0.host_routes.0.destination',
    },
    {
      name: 'no nexthop',
      mutate: (b) => {
        delete b.networks[2].subnets[0].host_routes[0].nexthop;
      },
      path: 'networks.2.subnets.0.host_routes.0.nexthop',
    },
    {
      name: 'no mac_address',
      mutate: (b) => {
        delete b.networks[2].allocations[0].mac_address;
      },
      path: 'networks.2.allocations.0.mac_address',
    },
    {
      name: 'no allocation hostname',
      mutate: (b) => {
        delete b.networks[2].allocations[0].hostname;
      },
      path: 'networks.2.allocations.0.hostname',
    },
    {
      name: 'no floating_ip',
      mutate: (b) => {
        delete b.floating_ips[0].floating_ip;
      },
      path: 'floating_ips.0.floating_ip',
    },
    {
      name: 'no fixed_ip',
      mutate: (b) => {
        delete b.floating_ips[0].fixed_ip;
      },
      path: 'floating_ips.0.fixed_ip',
    },
  ]);
});

test('huge, negative, fractional and non-finite numbers', () => {
  const inf = JSON.parse('1e400') as number; // what JSON.parse makes of an overlong exponent
  run([
    {
      name: 'asn 2**40',
      mutate: (b) => {
        b.asn = 2 ** 40;
      },
      path: 'asn',
    },
    {
      name: 'asn 2**32',
      mutate: (b) => {
        b.asn = 2 ** 32;
      },
      path: 'asn',
    },
    {
      name: 'asn 0',
      mutate: (b) => {
        b.asn = 0;
      },
      path: 'asn',
    },
    {
      name: 'asn -1',
      mutate: (b) => {
        b.asn = -1;
      },
      path: 'asn',
    },
    {
      name: 'asn 64512.5',
      mutate: (b) => {
        b.asn = 64512.5;
      },
      path: 'asn',
    },
    {
      name: 'asn Infinity',
      mutate: (b) => {
        b.asn = inf;
      },
      path: 'asn',
    },
    {
      name: 'asn NaN',
      mutate: (b) => {
        b.asn = Number.NaN;
      },
      path: 'asn',
    },
    {
      name: 'neighbor_asn 2**40',
      mutate: (b) => {
        b.neighbor_asn = 2 ** 40;
      },
      path: 'neighbor_asn',
    },
    {
      name: 'neighbor_asn -64512',
      mutate: (b) => {
        b.neighbor_asn = -64512;
      },
      path: 'neighbor_asn',
    },
    {
      name: 'interface mtu 1e9',
      mutate: (b) => {
        b.networks[2].interface.mtu = 1e9;
      },
      path: 'networks.2.interface.mtu',
    },
    {
      name: 'interface mtu -1500',
      mutate: (b) => {
        b.networks[2].interface.mtu = -1500;
      },
      path: 'networks.2.interface.mtu',
    },
    {
      name: 'interface mtu 1279',
      mutate: (b) => {
        b.networks[2].interface.mtu = 1279;
      },
      path: 'networks.2.interface.mtu',
    },
    {
      name: 'interface mtu 1450.5',
      mutate: (b) => {
        b.networks[2].interface.mtu = 1450.5;
      },
      path: 'networks.2.interface.mtu',
    },
    {
      name: 'interface mtu Infinity',
      mutate: (b) => {
        b.networks[2].interface.mtu = inf;
      },
      path: 'networks.2.interface.mtu',
    },
    {
      name: 'network mtu 1e9',
      mutate: (b) => {
        b.networks[2].mtu = 1e9;
      },
      path: 'networks.2.mtu',
    },
    {
      name: 'network mtu -1',
      mutate: (b) => {
        b.networks[2].mtu = -1;
      },
      path: 'networks.2.mtu',
    },
    {
      name: 'network mtu 1450.5',
      mutate: (b) => {
        b.networks[2].mtu = 1450.5;
      },
      path: 'networks.2.mtu',
    },
    {
      name: 'metadata_port 70000',
      mutate: (b) => {
        b.orchestrator.metadata_port = 70000;
      },
      path: 'orchestrator.metadata_port',
    },
    {
      name: 'metadata_port 0',
      mutate: (b) => {
        b.orchestrator.metadata_port = 0;
      },
      path: 'orchestrator.metadata_port',
    },
    {
      name: 'metadata_port -1',
      mutate: (b) => {
        b.orchestrator.metadata_port = -1;
      },
      path: 'orchestrator.metadata_port',
    },
    {
      name: 'metadata_port 9697.5',
      mutate: (b) => {
        b.orchestrator.metadata_port = 9697.5;
      },
      path: 'orchestrator.metadata_port',
    },
    {
      name: 'metadata_port 2**53',
      mutate: (b) => {
        b.orchestrator.metadata_port = 2 ** 53;
      },
      path: 'orchestrator.metadata_port',
    },
    {
      name: 'ha priority 256',
      mutate: (b) => {
        b.ha_config = { peers: [], priority: 256 };
      },
      path: 'ha_config.priority',
    },
    {
      name: 'ha priority -1',
      mutate: (b) => {
        b.ha_config = { peers: [], priority: -1 };
      },
      path: 'ha_config.priority',
    },
    {
      name: 'ha priority 0.5',
      mutate: (b) => {
        b.ha_config = { peers: [], priority: 0.5 };
      },
      path: 'ha_config.priority',
    },
  ]);
});

test('wrong address families', () => {
  run([
    {
      name: 'IPv6 default_v4_gateway',
      mutate: (b) => {
        b.default_v4_gateway = '2001:db8::1';
      },
      path: 'default_v4_gateway',
    },
    {
      name: 'IPv4 gateway on an IPv6 subnet',
      mutate: (b) => {
        b.networks[1].subnets[1].gateway_ip = '172.24.4.1';
      },
      path: 'networks.1.subnets.1.gateway_ip',
    },
    {
      name: 'IPv6 gateway on an IPv4 subnet',
      mutate: (b) => {
        b.networks[2].subnets[0].gateway_ip = 'fdc3:6ee6:d81f:ede::1';
      },
      path: 'networks.2.subnets.0.gateway_ip',
    },
    {
      name: 'IPv4 nexthop for an IPv6 destination',
      mutate: (b) => {
        b.networks[2].subnets[1].host_routes = [{ destination: '2001:db8:5::/64', nexthop: '10.0.0.254' }];
      },
      path: 'networks.2.subnets.1.host_routes.0.nexthop',
    },
    {
      name: 'IPv6 nexthop for an IPv4 destination',
      mutate: (b) => {
        b.networks[2].subnets[0].host_routes[0].nexthop = 'fdc3:6ee6:d81f:ede::fe';
      },
      path: 'networks.2.subnets.0.host_routes.0.nexthop',
    },
    {
      name: 'IPv6 fixed_ip for an IPv4 floating IP',
      mutate: (b) => {
        b.floating_ips[0].fixed_ip = 'fdc3:6ee6:d81f:ede::5';
      },
      path: 'floating_ips.0.fixed_ip',
    },
    {
      name: 'IPv4-mapped IPv6 gateway',
      mutate: (b) => {
        b.networks[1].subnets[1].gateway_ip = '::ffff:172.24.4.1';
      },
      path: 'networks.1.subnets.1.gateway_ip',
    },
  ]);
});

test('cross-field: floating IP outside the external subnets, ifname out of range', () => {
  run([
    {
      name: 'floating IP outside',
      mutate: (b) => {
        b.floating_ips[0].floating_ip = '203.0.113.9';
      },
      path: 'floating_ips.0.floating_ip',
    },
    {
      name: 'ge10000',
      mutate: (b) => {
        b.networks[2].interface.ifname = 'ge10000';
      },
      path: 'networks.2.interface.ifname',
    },
    {
      name: 'ge01',
      mutate: (b) => {
        b.networks[2].interface.ifname = 'ge01';
      },
      path: 'networks.2.interface.ifname',
    },
    {
      name: 'eth0',
      mutate: (b) => {
        b.networks[2].interface.ifname = 'eth0';
      },
      path: 'networks.2.interface.ifname',
    },
  ]);
});

test('host route entries of the wrong type are reported at the entry, with a real message', () => {
  run([
    {
      name: 'route 5',
      mutate: (b) => {
        b.networks[2].subnets[0].host_routes[0] = 5;
      },
      path: 'networks.2.subnets.0.host_routes.0',
    },
    {
      name: 'destination 5',
      mutate: (b) => {
        b.networks[2].subnets[0].host_routes[0].destination = 5;
      },
      path: 'networks.2.subnets.0.host_routes.0.destination',
    },
  ]);
});

// ------------------------------------------------------------ the body itself

test('a non-object body is rejected at (body)', () => {
  for (const body of [[], [JSON.parse(seedText)], 'x', '{"asn": 1}', '', null, undefined, 42, 0, true, false]) {
    assertRejected(body, '(body)', `body ${JSON.stringify(body)?.slice(0, 30)}`);
  }
});

test('a "configuration" wrapper around a non-object is rejected, not taken as an empty config', () => {
  for (const inner of [[], null, 'x', 42, [JSON.parse(seedText)]]) {
    const r = parse({ configuration: inner });
    assert.not.ok(r.ok, `{"configuration": ${JSON.stringify(inner)?.slice(0, 20)}} was accepted as a configuration`);
    if (!r.ok)
      assert.ok(
        r.issues.some((i) => ['configuration', '(body)'].includes(i.path) && i.message.length > 0),
        JSON.stringify(r.issues),
      );
  }
});

test('a "configuration" wrapper with a sibling key is not silently taken as an empty config', () => {
  const r = parse({ configuration: JSON.parse(seedText), version: 2 });
  // either unwrap it (and get the seed's networks) or reject it; an empty model would tear down every network
  if (r.ok) assert.is(r.model.networks.length, 3, 'the wrapped networks were dropped');
  else assert.ok(r.issues.length > 0);
});

// ------------------------------------------------------------ size

const timed = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
};

test('a 5 MB host name is rejected fast', () => {
  const b = base();
  b.hostname = 'a'.repeat(5_000_000);
  const [issues, ms] = timed(() => assertRejected(b, 'hostname', '5 MB hostname'));
  assert.ok(ms < 3000, `took ${ms} ms`);
  for (const i of issues) assert.ok(i.message.length < 1000, 'messages do not echo the value');
});

test('5 MB strings in other fields are rejected fast', () => {
  const huge = 'a'.repeat(5_000_000);
  const cases: Case[] = [
    {
      name: 'network_id',
      mutate: (b) => {
        b.networks[2].network_id = huge;
      },
      path: 'networks.2.network_id',
    },
    {
      name: 'ifname',
      mutate: (b) => {
        b.networks[2].interface.ifname = huge;
      },
      path: 'networks.2.interface.ifname',
    },
    {
      name: 'address',
      mutate: (b) => {
        b.networks[2].interface.addresses[0] = `10.0.0.1/${huge}`;
      },
      path: 'networks.2.interface.addresses.0',
    },
    {
      name: 'cidr',
      mutate: (b) => {
        b.networks[2].subnets[0].cidr = `${'1:'.repeat(2_500_000)}:/64`;
      },
      path: 'networks.2.subnets.0.cidr',
    },
    {
      name: 'description',
      mutate: (b) => {
        b.networks[2].interface.description = huge;
      },
      path: 'networks.2.interface.description',
    },
    {
      name: 'mac',
      mutate: (b) => {
        b.networks[2].allocations[0].mac_address = `fa:${huge}`;
      },
      path: 'networks.2.allocations.0.mac_address',
    },
    {
      name: 'allocation hostname',
      mutate: (b) => {
        b.networks[2].allocations[0].hostname = huge;
      },
      path: 'networks.2.allocations.0.hostname',
    },
    {
      name: 'labels value',
      mutate: (b) => {
        b.labels.ext[0] = huge;
      },
      path: 'labels.ext.0',
    },
    {
      name: 'orchestrator.host',
      mutate: (b) => {
        b.orchestrator.host = Array(1_000_000).fill('abcd').join('.');
      },
      path: 'orchestrator.host',
    },
  ];
  for (const c of cases) {
    const b = base();
    c.mutate(b);
    const [, ms] = timed(() => assertRejected(b, c.path, `5 MB ${c.name}`));
    assert.ok(ms < 3000, `${c.name}: took ${ms} ms`);
  }
});

test('20 000 bad allocations (~5 MB) are rejected fast with a bounded issue list', () => {
  const b = base();
  const junk = `-${'x'.repeat(200)}`;
  b.networks[2].allocations = Array.from({ length: 20_000 }, (_, i) => ({
    mac_address: `zz:${i}`,
    hostname: junk,
    device_id: ' ',
    ip_addresses: { '1.2.3': true },
  }));
  const size = JSON.stringify(b).length;
  assert.ok(size > 5_000_000, `body is ${size} bytes`);
  const [issues, ms] = timed(() => assertRejected(b, 'networks.2.allocations.0.mac_address', '20 000 allocations'));
  assert.ok(ms < 5000, `took ${ms} ms`);
  assert.ok(issues.length <= MAX_ISSUES, `${issues.length} issues`);
  assert.ok(issues.some((i) => i.path === 'networks.2.allocations.0.hostname'));
  assert.ok(issues.some((i) => i.path === 'networks.2.allocations.0.device_id'));
  assert.ok(issues.some((i) => i.path === 'networks.2.allocations.0.ip_addresses.1.2.3'));
});

test('more list entries than allowed are rejected at the list', () => {
  const b = base();
  b.networks[2].interface.addresses = Array.from({ length: 70_000 }, () => '10.0.0.1/24');
  const [, ms] = timed(() => assertRejected(b, 'networks.2.interface.addresses', '70 000 addresses'));
  assert.ok(ms < 3000, `took ${ms} ms`);
});

// ------------------------------------------------------------ all at once

test('all problems are reported at once (schema level)', () => {
  const b = base();
  b.hostname = 'bad host';
  b.networks[2].allocations[0].mac_address = 'not-a-mac';
  b.orchestrator.metadata_port = 70000;
  const issues = assertRejected(b, 'hostname', 'three bad fields');
  for (const p of ['networks.2.allocations.0.mac_address', 'orchestrator.metadata_port']) {
    assert.ok(
      issues.some((i) => i.path === p),
      `no issue at ${p}: ${JSON.stringify(issues)}`,
    );
  }
});

test('all problems are reported at once (cross-field level)', () => {
  const b = base();
  b.networks[1].subnets[1].gateway_ip = '172.24.4.1';
  b.networks[2].subnets[0].host_routes[0].nexthop = 'fdc3:6ee6:d81f:ede::fe';
  b.floating_ips[0].floating_ip = '203.0.113.9';
  const issues = assertRejected(b, 'networks.1.subnets.1.gateway_ip', 'three bad cross-field values');
  for (const p of ['networks.2.subnets.0.host_routes.0.nexthop', 'floating_ips.0.floating_ip']) {
    assert.ok(
      issues.some((i) => i.path === p),
      `no issue at ${p}: ${JSON.stringify(issues)}`,
    );
  }
});

test('all injections in one body are reported together', () => {
  const b = base();
  const expected: string[] = [];
  for (const f of FIELDS) {
    const value = `${f.valid}\ndhcp-script=/bin/sh`;
    f.set(b, value);
    expected.push(f.path(value));
  }
  const r = parse(b);
  assert.not.ok(r.ok);
  const paths = new Set(r.ok ? [] : r.issues.map((i) => i.path));
  for (const p of expected) assert.ok(paths.has(p), `no issue at ${show(p)}`);
});

test.run();
