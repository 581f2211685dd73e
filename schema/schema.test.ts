// The PUT body schema and the syntax helpers: every shared orchestrator payload
// parses, the tolerated edge cases of the orchestrator contract are accepted,
// duplicate router ports merge, values come out canonical, and the strict
// address / CIDR / host name parsers accept and reject what they should.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatV6, parseBytes, parseV4, parseV6 } from './ip.ts';
import type { Issue } from './issues.ts';
import type { Model } from './model.ts';
import type { InterfaceMap } from './normalise.ts';
import { defaultInterfaceMap, parseConfiguration, unwrap } from './parse.ts';
import {
  canonicalMac,
  cidrContains,
  compareAddresses,
  eui64Address,
  isHostname,
  isLinkLocal,
  networkAddress,
  parseAddress,
  parseCidr,
  prefixToNetmask,
} from './syntax.ts';

// biome-ignore lint/suspicious/noExplicitAny: test bodies are free-form JSON that the tests mutate
type Json = any;

const SHARED = ['seed-example', 'floating-ips', 'ipv6-only', 'no-external', 'legacy-2015-seed', 'large-scale'];

const load = (name: string): Json => JSON.parse(readFileSync(new URL(`../test/cases/${name}/input.json`, import.meta.url), 'utf8'));
const seed = (): Json => load('seed-example');

function issuesOf(body: unknown, ifmap: InterfaceMap = defaultInterfaceMap()): Issue[] {
  const r = parseConfiguration(body, ifmap);
  assert.not.ok(r.ok, 'expected the body to be rejected');
  return r.ok ? [] : r.issues;
}

function modelOf(body: unknown, ifmap: InterfaceMap = defaultInterfaceMap()): Model {
  const r = parseConfiguration(body, ifmap);
  if (!r.ok) assert.unreachable(`expected ok, got issues ${JSON.stringify(r.issues)}`);
  return (r as Extract<typeof r, { ok: true }>).model;
}

function hasIssue(issues: Issue[], path: string): boolean {
  return issues.some((i) => i.path === path && i.message.length > 0);
}

const byIfname = (m: Model, generic: string) => {
  const n = m.networks.find((x) => x.generic === generic);
  if (!n) assert.unreachable(`no network ${generic}`);
  return n as NonNullable<typeof n>;
};

// ---------------------------------------------------------------- payloads

for (const name of SHARED) {
  test(`shared payload ${name} parses with the default interface map`, () => {
    const body = load(name);
    const r = parseConfiguration(body, defaultInterfaceMap());
    assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.issues.slice(0, 5)));
    if (!r.ok) return;
    // every non-duplicate network entry survived
    const entries = (unwrap(body) as Json).networks as Json[];
    const distinct = new Set(entries.map((n) => `${n.network_id}/${n.interface.ifname}`));
    assert.is(r.model.networks.length, distinct.size);
    for (const n of r.model.networks) assert.is(n.ifname, `eth${n.index}`);
  });
}

test('the seed payload gives the expected shape', () => {
  const m = modelOf(seed());
  assert.equal(
    m.networks.map((n) => [n.generic, n.type, n.ifname]),
    [
      ['ge0', 'management', 'eth0'],
      ['ge1', 'external', 'eth1'],
      ['ge2', 'internal', 'eth2'],
    ],
  );
  assert.is(m.hostname, 'ak-d22b149cee9b4eac8349c517eda00b89');
  assert.is(m.tenantId, 'd22b149cee9b4eac8349c517eda00b89');
  assert.equal(m.labels, { ext: ['192.168.57.0/24'] });
  assert.equal(m.orchestrator, { address: 'fdca:3ba5:a17a:acda:f816:3eff:fe2b:ced0', port: 9697 });
  assert.is(byIfname(m, 'ge2').allocations.length, 4);
});

test('the wrapped form {"configuration": {...}} parses to the same model as the flat body', () => {
  for (const name of ['seed-example', 'floating-ips', 'legacy-2015-seed']) {
    const flat = parseConfiguration(load(name), defaultInterfaceMap());
    const wrapped = parseConfiguration({ configuration: load(name) }, defaultInterfaceMap());
    assert.ok(flat.ok && wrapped.ok, name);
    if (!flat.ok || !wrapped.ok) return;
    assert.equal(wrapped.model, flat.model, name);
    assert.equal(wrapped.config, flat.config, name);
  }
});

test('the shipped wrapped-address-allocations case equals its flat, "allocations" form', () => {
  const raw = load('wrapped-address-allocations');
  assert.ok(raw.configuration && Object.keys(raw).length === 1);
  const flat = structuredClone(raw.configuration);
  for (const n of flat.networks) {
    if (n.address_allocations) {
      n.allocations = n.address_allocations;
      delete n.address_allocations;
    }
  }
  assert.equal(modelOf(raw), modelOf(flat));
});

test('address_allocations works like allocations', () => {
  const a = seed();
  const b = seed();
  for (const n of b.networks) {
    n.address_allocations = n.allocations;
    delete n.allocations;
  }
  const ma = modelOf(a);
  const mb = modelOf(b);
  assert.equal(mb, ma);
  assert.is(byIfname(mb, 'ge2').allocations.length, 4);
});

test('allocations and address_allocations in one entry are united', () => {
  const b = seed();
  const net = b.networks[2];
  net.address_allocations = net.allocations.splice(2);
  assert.is(net.allocations.length, 2);
  const m = modelOf(b);
  assert.equal(
    byIfname(m, 'ge2')
      .allocations.map((a) => a.mac)
      .sort(),
    ['fa:16:3e:3d:aa:d8', 'fa:16:3e:bb:bf:2c', 'fa:16:3e:eb:94:0b', 'fa:16:3e:ff:c9:11'],
  );
});

// ---------------------------------------------------------- tolerated edges

test('mtu: null on the network and on the interface is accepted', () => {
  const b = seed();
  b.networks[2].mtu = null;
  b.networks[2].interface.mtu = null;
  delete b.networks[1].interface.mtu;
  b.networks[1].mtu = null;
  const m = modelOf(b);
  assert.is(byIfname(m, 'ge2').mtu, null);
  assert.is(byIfname(m, 'ge1').mtu, null);
  assert.is(byIfname(m, 'ge0').mtu, 1450);
});

test('interface mtu falls back to the network mtu', () => {
  const b = seed();
  delete b.networks[2].interface.mtu;
  b.networks[2].mtu = 9000;
  assert.is(byIfname(modelOf(b), 'ge2').mtu, 9000);
});

test('gateway_ip "" and null mean no gateway', () => {
  const b = seed();
  b.networks[2].subnets[0].gateway_ip = '';
  b.networks[2].subnets[1].gateway_ip = null;
  delete b.networks[0].subnets[0].gateway_ip;
  const m = modelOf(b);
  assert.equal(
    byIfname(m, 'ge2').subnets.map((s) => s.gateway),
    [null, null],
  );
  assert.is(byIfname(m, 'ge0').subnets[0]?.gateway, null);
});

test('default_v4_gateway "" (and null, and absent) is accepted', () => {
  for (const value of ['', null, undefined]) {
    const b = seed();
    if (value === undefined) delete b.default_v4_gateway;
    else b.default_v4_gateway = value;
    const m = modelOf(b);
    // falls back to the external network's first IPv4 subnet gateway
    assert.equal(m.defaultV4Gateway, { address: '172.24.4.1', ifname: 'eth1' });
  }
});

test('empty lists and objects are accepted', () => {
  const b = seed();
  b.floating_ips = [];
  b.labels = {};
  b.networks[2].allocations = [];
  b.networks[2].subnets[0].dns_nameservers = [];
  b.networks[2].subnets[0].host_routes = [];
  b.networks[0].subnets = [];
  b.vpn = {};
  const m = modelOf(b);
  assert.equal(m.floatingIps, []);
  assert.equal(m.labels, {});
  assert.equal(byIfname(m, 'ge2').allocations, []);
  assert.equal(byIfname(m, 'ge0').subnets, []);
});

test('labels, floating_ips, allocations and lists may be null or absent', () => {
  const b = seed();
  b.labels = null;
  b.floating_ips = null;
  b.orchestrator = null;
  b.tenant_id = null;
  delete b.networks[2].allocations;
  b.networks[2].subnets[0].dns_nameservers = null;
  b.networks[2].subnets[0].host_routes = null;
  const m = modelOf(b);
  assert.equal(m.labels, {});
  assert.equal(m.floatingIps, []);
  assert.equal(byIfname(m, 'ge2').allocations, []);
  assert.equal(byIfname(m, 'ge2').subnets[0]?.dnsServers, []);
  assert.equal(byIfname(m, 'ge2').subnets[0]?.hostRoutes, []);
});

test('host_routes: {} (unit-test fakes of the orchestrator) means no routes', () => {
  const b = seed();
  for (const n of b.networks) for (const s of n.subnets) s.host_routes = {};
  const m = modelOf(b);
  for (const n of m.networks) for (const s of n.subnets) assert.equal(s.hostRoutes, []);
});

test('a non-empty host_routes object is rejected', () => {
  const b = seed();
  b.networks[2].subnets[0].host_routes = { destination: '10.1.0.0/16', nexthop: '10.0.0.254' };
  assert.ok(hasIssue(issuesOf(b), 'networks.2.subnets.0.host_routes'));
});

test('unknown extra keys are accepted at every level and stripped', () => {
  const b = seed();
  b.future_key = { anything: [1, 2, 3] };
  b.services = { loadbalancer: {} };
  b.networks[2].extra = 'x';
  b.networks[2].interface.extra = true;
  b.networks[2].subnets[0].ipv6_ra_mode = 'slaac';
  b.networks[2].allocations[0].binding_host = 'compute-1';
  b.floating_ips = [{ floating_ip: '172.24.4.10', fixed_ip: '10.0.0.3', port_id: 'abc' }];
  b.orchestrator.extra = 1;
  const r = parseConfiguration(b, defaultInterfaceMap());
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.issues));
  if (!r.ok) return;
  const config = r.config as Json;
  assert.is(config.future_key, undefined);
  assert.is(config.services, undefined);
  assert.is(config.networks[2].extra, undefined);
  assert.is(config.networks[2].interface.extra, undefined);
  assert.is(config.networks[2].subnets[0].ipv6_ra_mode, undefined);
  assert.equal(r.model, modelOf({ ...seed(), floating_ips: [{ floating_ip: '172.24.4.10', fixed_ip: '10.0.0.3' }] }));
});

test('subnets the router has no address on are kept', () => {
  const b = seed();
  b.networks[2].subnets.push({ cidr: '10.9.0.0/24', dhcp_enabled: true, gateway_ip: '10.9.0.1' });
  const m = modelOf(b);
  assert.ok(byIfname(m, 'ge2').subnets.some((s) => s.cidr === '10.9.0.0/24'));
});

// ---------------------------------------------------------------- merging

function twoPortBody(): Json {
  const b = seed();
  b.networks.push({
    network_id: b.networks[2].network_id,
    network_type: 'internal',
    interface: { ifname: 'ge2', addresses: ['10.0.5.1/24', '10.0.0.1/24'], mtu: 1450 },
    mtu: 1450,
    subnets: [
      { id: 'second-subnet', cidr: '10.0.5.0/24', dhcp_enabled: true, gateway_ip: '10.0.5.1', dns_nameservers: [], host_routes: [] },
      // the same subnet again: kept once
      structuredClone(b.networks[2].subnets[0]),
    ],
    allocations: [
      { mac_address: 'fa:16:3e:05:00:07', hostname: '10-0-5-7.local', device_id: 'vm-7', ip_addresses: { '10.0.5.7': true } },
      // an allocation listed by both entries: kept once
      structuredClone(b.networks[2].allocations[1]),
    ],
  });
  return b;
}

test('two entries with the same network_id and ifname merge into one network', () => {
  const m = modelOf(twoPortBody());
  assert.is(m.networks.length, 3);
  assert.is(m.internal.length, 1);
  const n = byIfname(m, 'ge2');
  assert.equal(n.addresses.map((a) => a.cidr).sort(), ['10.0.0.1/24', '10.0.5.1/24', 'fdc3:6ee6:d81f:ede::1/64']);
  assert.equal(n.subnets.map((s) => s.cidr).sort(), ['10.0.0.0/24', '10.0.5.0/24', 'fdc3:6ee6:d81f:ede::/64']);
  assert.equal(n.allocations.map((a) => a.mac).sort(), [
    'fa:16:3e:05:00:07',
    'fa:16:3e:3d:aa:d8',
    'fa:16:3e:bb:bf:2c',
    'fa:16:3e:eb:94:0b',
    'fa:16:3e:ff:c9:11',
  ]);
});

test('the shipped multi-subnet-two-ports case merges its two ge2 entries', () => {
  const m = modelOf(load('multi-subnet-two-ports'));
  const ge2 = m.networks.filter((n) => n.generic === 'ge2');
  assert.is(ge2.length, 1);
  assert.ok(ge2[0]?.subnets.some((s) => s.cidr === '10.0.5.0/24'));
  assert.ok(ge2[0]?.addresses.some((a) => a.cidr === '10.0.5.1/24'));
  assert.ok(ge2[0]?.allocations.some((a) => a.mac === 'fa:16:3e:05:00:07'));
});

test('the same ifname with a different network id is an issue on the second entry', () => {
  const b = twoPortBody();
  b.networks[3].network_id = 'another-network';
  const issues = issuesOf(b);
  assert.ok(hasIssue(issues, 'networks.3.interface.ifname'), JSON.stringify(issues));
});

test('the same ifname and network id with a different network type is an issue', () => {
  const b = twoPortBody();
  b.networks[3].network_type = 'isolated';
  assert.ok(hasIssue(issuesOf(b), 'networks.3.interface.ifname'));
});

// --------------------------------------------------------- canonical forms

test('values are canonicalised: MAC lowercased, IPv6 compressed, CIDRs to network form', () => {
  const b = seed();
  const ext = b.networks[1];
  ext.interface.addresses = ['172.24.4.3/24', '2001:DB8:0:0::3/64'];
  ext.subnets[1].cidr = '2001:DB8:0:0::/64';
  ext.subnets[1].gateway_ip = '2001:0DB8:0000:0000:0000:0000:0000:0002';
  const int = b.networks[2];
  int.subnets[0].cidr = '10.0.0.77/24';
  int.subnets[0].dns_nameservers = ['2001:4860:4860:0:0:0:0:8888', '8.8.8.8'];
  int.subnets[0].host_routes = [{ destination: '192.168.7.9/16', nexthop: '10.0.0.254' }];
  int.allocations[1].mac_address = 'FA:16:3E:3D:AA:D8';
  int.allocations[1].ip_addresses = { '10.0.0.3': true, 'FDC3:6EE6:D81F:0EDE:F816:3EFF:FE3D:AAD8': true };
  b.orchestrator.address = 'FDCA:3BA5:A17A:ACDA:0:0:0:1';
  b.floating_ips = [{ floating_ip: '2001:DB8:0:0::10', fixed_ip: 'FDC3:6EE6:D81F:EDE:0:0:0:5' }];
  const m = modelOf(b);
  const e = byIfname(m, 'ge1');
  assert.ok(e.addresses.some((a) => a.address === '2001:db8::3' && a.cidr === '2001:db8::3/64'));
  assert.ok(e.subnets.some((s) => s.cidr === '2001:db8::/64' && s.network === '2001:db8::' && s.gateway === '2001:db8::2'));
  const i = byIfname(m, 'ge2');
  assert.is(i.subnets[0]?.cidr, '10.0.0.0/24');
  assert.equal(i.subnets[0]?.dnsServers, ['2001:4860:4860::8888', '8.8.8.8']);
  assert.equal(i.subnets[0]?.hostRoutes, [{ destination: '192.168.0.0/16', nexthop: '10.0.0.254', family: 4 }]);
  const alloc = i.allocations.find((a) => a.mac === 'fa:16:3e:3d:aa:d8');
  assert.ok(alloc, 'MAC lowercased');
  assert.equal(
    alloc?.ipAddresses.map((x) => x.address),
    ['10.0.0.3', 'fdc3:6ee6:d81f:ede:f816:3eff:fe3d:aad8'],
  );
  assert.is(m.orchestrator.address, 'fdca:3ba5:a17a:acda::1');
  assert.equal(m.floatingIps, [{ floating: '2001:db8::10', fixed: 'fdc3:6ee6:d81f:ede::5', family: 6, prefixLength: 64, ifname: 'eth1' }]);
  assert.ok(!JSON.stringify(m).match(/[A-F]{2}/), 'no uppercase hex left in the model');
});

test('allocation addresses are sorted numerically, IPv4 first', () => {
  const b = seed();
  b.networks[2].allocations[1].ip_addresses = { 'fdc3:6ee6:d81f:ede::9': true, '10.0.0.10': true, '10.0.0.9': false };
  const a = byIfname(modelOf(b), 'ge2').allocations.find((x) => x.mac === 'fa:16:3e:3d:aa:d8');
  assert.equal(a?.ipAddresses, [
    { address: '10.0.0.9', family: 4, dhcp: false },
    { address: '10.0.0.10', family: 4, dhcp: true },
    { address: 'fdc3:6ee6:d81f:ede::9', family: 6, dhcp: true },
  ]);
});

// ------------------------------------------------------------ parseAddress

test('parseAddress rejects malformed and ambiguous addresses', () => {
  const bad = [
    '',
    '1.2.3',
    '01.2.3.4',
    '1.02.3.4',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1.2.3.4\n',
    '0x1.2.3.4',
    '1.2.3.-4',
    '::ffff:1.2.3.4',
    '::ffff:102:304',
    '::FFFF:1.2.3.4',
    'fe80::1%eth0',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '1::2::3',
    ':::',
    ':1',
    '1:',
    '1:::2',
    '12345::1',
    'g::1',
    '::1.2.3',
    '::1.2.3.4:5',
    '::01.2.3.4',
    '[::1]',
    '::1/128',
    `${'1:'.repeat(30)}1`,
    '1'.repeat(46),
  ];
  for (const v of bad) assert.is(parseAddress(v), null, JSON.stringify(v));
});

test('parseAddress accepts and canonicalises valid addresses', () => {
  const good: [string, string, 4 | 6][] = [
    ['0.0.0.0', '0.0.0.0', 4],
    ['255.255.255.255', '255.255.255.255', 4],
    ['10.0.0.1', '10.0.0.1', 4],
    ['::', '::', 6],
    ['::1', '::1', 6],
    ['1::', '1::', 6],
    ['::1.2.3.4', '::102:304', 6],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221', 6],
    ['2001:DB8:0:0::1', '2001:db8::1', 6],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 6],
    ['FE80::1', 'fe80::1', 6],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0', 6],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8', 6],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', 6],
  ];
  for (const [input, address, family] of good) assert.equal(parseAddress(input), { address, family }, input);
});

test('a dotted quad is only allowed as the last 32 bits of an IPv6 address', () => {
  // RFC 4291 2.2(3): the IPv4 part is the low-order 32 bits, so nothing may follow it
  for (const v of ['1.2.3.4::', '1.2.3.4::1', '1:1.2.3.4::1', '1.2.3.4:1::']) {
    assert.is(parseV6(v), null, v);
    assert.is(parseAddress(v), null, v);
  }
});

test('parseV4 / parseV6 / parseBytes are strict', () => {
  assert.equal(parseV4('192.168.0.1'), [192, 168, 0, 1]);
  assert.is(parseV4('192.168.0'), null);
  assert.is(parseV4('192.168.00.1'), null);
  assert.equal(parseV6('::1'), [...new Array(15).fill(0), 1]);
  assert.equal(parseV6('::'), new Array(16).fill(0));
  assert.is(parseV6(':'), null);
  assert.is(parseV6('1.2.3.4'), null);
  assert.equal(parseBytes('10.0.0.1'), [10, 0, 0, 1]);
  assert.is(parseBytes('2001:db8::1')?.length, 16);
  assert.is(parseBytes('nonsense'), null);
});

// ----------------------------------------------------------------- formatV6

test('formatV6 follows RFC 5952', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero is not compressed
    ['2001:DB8::ABCD', '2001:db8::abcd'], // lowercase
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['1:0:0:0:0:0:0:1', '1::1'],
    ['0:1:0:0:0:0:0:0', '0:1::'],
    ['fe80:0:0:0:200:5eff:fe00:5301', 'fe80::200:5eff:fe00:5301'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
  ];
  for (const [input, expected] of cases) {
    const bytes = parseV6(input);
    assert.ok(bytes, input);
    assert.is(formatV6(bytes as number[]), expected, input);
    // and formatting is a fixed point
    assert.is(formatV6(parseV6(expected) as number[]), expected, expected);
  }
});

// ---------------------------------------------------------------- parseCidr

test('parseCidr parses network and host CIDRs', () => {
  assert.equal(parseCidr('10.0.0.0/24'), { address: '10.0.0.0', network: '10.0.0.0', prefixLength: 24, family: 4 });
  assert.equal(parseCidr('10.0.0.77/24'), { address: '10.0.0.77', network: '10.0.0.0', prefixLength: 24, family: 4 });
  assert.equal(parseCidr('172.24.0.3/20'), { address: '172.24.0.3', network: '172.24.0.0', prefixLength: 20, family: 4 });
  assert.equal(parseCidr('0.0.0.0/0'), { address: '0.0.0.0', network: '0.0.0.0', prefixLength: 0, family: 4 });
  assert.equal(parseCidr('10.1.2.3/32'), { address: '10.1.2.3', network: '10.1.2.3', prefixLength: 32, family: 4 });
  assert.equal(parseCidr('2001:DB8:0:0::5/64'), { address: '2001:db8::5', network: '2001:db8::', prefixLength: 64, family: 6 });
  assert.equal(parseCidr('fd00:1:2:3:4:5:6:7/61'), { address: 'fd00:1:2:3:4:5:6:7', network: 'fd00:1:2::', prefixLength: 61, family: 6 });
  assert.equal(parseCidr('::/0'), { address: '::', network: '::', prefixLength: 0, family: 6 });
  assert.equal(parseCidr('::1/128'), { address: '::1', network: '::1', prefixLength: 128, family: 6 });
});

test('parseCidr rejects malformed CIDRs', () => {
  const bad = [
    '10.0.0.0',
    '10.0.0.0/',
    '10.0.0.0/33',
    '10.0.0.0/024',
    '10.0.0.0/-1',
    '10.0.0.0/ 24',
    '10.0.0.0/24 ',
    '10.0.0.0/24/1',
    '10.0.0.0/24\n',
    '10.0.0.0/0x18',
    '/24',
    '10.0.0/24',
    'fd00::/129',
    'fd00::/1000',
    'fd00::',
    'fe80::1%eth0/64',
    '::ffff:10.0.0.0/120',
  ];
  for (const v of bad) assert.is(parseCidr(v), null, JSON.stringify(v));
});

test('parseCidr takes a bare address as a host route only when allowed', () => {
  assert.is(parseCidr('10.0.0.1'), null);
  assert.equal(parseCidr('10.0.0.1', true), { address: '10.0.0.1', network: '10.0.0.1', prefixLength: 32, family: 4 });
  assert.equal(parseCidr('2001:db8::1', true), { address: '2001:db8::1', network: '2001:db8::1', prefixLength: 128, family: 6 });
  assert.is(parseCidr('10.0.0.1/33', true), null);
});

test('networkAddress, cidrContains, prefixToNetmask', () => {
  assert.is(networkAddress('10.1.2.3', 8), '10.0.0.0');
  assert.is(networkAddress('2001:db8:aaaa:bbbb::1', 48), '2001:db8:aaaa::');
  assert.ok(cidrContains('172.24.4.0', 24, '172.24.4.10'));
  assert.not.ok(cidrContains('172.24.4.0', 24, '172.24.5.10'));
  assert.ok(cidrContains('172.24.0.0', 20, '172.24.15.255'));
  assert.not.ok(cidrContains('172.24.0.0', 20, '172.24.16.0'));
  assert.not.ok(cidrContains('10.0.0.0', 8, '::a00:1'), 'different families never contain each other');
  assert.ok(cidrContains('2001:db8::', 64, '2001:db8::10'));
  assert.not.ok(cidrContains('2001:db8::', 64, '2001:db8:0:1::10'));
  assert.not.ok(cidrContains('10.0.0.0', 8, 'garbage'));
  assert.is(prefixToNetmask(24), '255.255.255.0');
  assert.is(prefixToNetmask(20), '255.255.240.0');
  assert.is(prefixToNetmask(0), '0.0.0.0');
  assert.is(prefixToNetmask(32), '255.255.255.255');
});

// ------------------------------------------------------------------ others

test('eui64Address builds the modified EUI-64 SLAAC address', () => {
  assert.is(eui64Address('fdc3:6ee6:d81f:ede::', 'fa:16:3e:3d:aa:d8'), 'fdc3:6ee6:d81f:ede:f816:3eff:fe3d:aad8');
  assert.is(eui64Address('fdca:3ba5:a17a:acda::', 'fa:16:3e:fd:e6:f1'), 'fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1');
  // the universal/local bit flips both ways
  assert.is(eui64Address('2001:db8::', '00:00:00:00:00:01'), '2001:db8::200:ff:fe00:1');
  assert.is(eui64Address('2001:db8::', '02:00:00:00:00:00'), '2001:db8::ff:fe00:0');
  // only the /64 prefix of the network is used
  assert.is(eui64Address('2001:db8:1:2:3:4:5:6', 'fa:16:3e:3d:aa:d8'), '2001:db8:1:2:f816:3eff:fe3d:aad8');
});

test('isHostname accepts RFC 1123 names only', () => {
  const good = ['a', 'devstack', 'ak-d22b149cee9b4eac8349c517eda00b89', '10-0-0-1.local', 'a.b.c', 'A1', '1', 'x'.repeat(63)];
  for (const v of good) assert.ok(isHostname(v), v);
  assert.ok(isHostname(Array(4).fill('x'.repeat(63)).join('.').slice(0, 253)));
  const bad = [
    '',
    '-a',
    'a-',
    'a..b',
    '.a',
    'a.',
    'a_b',
    'a b',
    'a\nb',
    'a\u0000',
    'a"',
    "a'",
    '--help',
    'x'.repeat(64),
    Array(5).fill('x'.repeat(50)).join('.'), // 254 characters
    'ünïcode',
  ];
  for (const v of bad) assert.not.ok(isHostname(v), JSON.stringify(v));
});

test('compareAddresses orders numerically with IPv4 first', () => {
  assert.ok(compareAddresses('10.0.0.9', '10.0.0.10') < 0);
  assert.ok(compareAddresses('10.0.0.10', '10.0.0.9') > 0);
  assert.ok(compareAddresses('9.255.255.255', '10.0.0.0') < 0);
  assert.is(compareAddresses('10.0.0.1', '10.0.0.1'), 0);
  assert.ok(compareAddresses('255.255.255.255', '::') < 0);
  assert.ok(compareAddresses('::2', '::10') < 0);
  assert.ok(compareAddresses('2001:db8::ffff', '2001:db8:0:1::') < 0);
  assert.is(compareAddresses('2001:db8::1', '2001:DB8:0::1'), 0);
  const sorted = ['fd00::1', '10.0.0.10', '::1', '10.0.0.2', '2.0.0.0'].sort(compareAddresses);
  assert.equal(sorted, ['2.0.0.0', '10.0.0.2', '10.0.0.10', '::1', 'fd00::1']);
});

test('canonicalMac and isLinkLocal', () => {
  assert.is(canonicalMac('FA:16:3E:3D:AA:D8'), 'fa:16:3e:3d:aa:d8');
  for (const v of [
    'fa-16-3e-3d-aa-d8',
    'fa:16:3e:3d:aa',
    'fa:16:3e:3d:aa:d8:00',
    'fa163e3daad8',
    'fa:16:3e:3d:aa:d8\n',
    'zz:16:3e:3d:aa:d8',
  ]) {
    assert.is(canonicalMac(v), null, JSON.stringify(v));
  }
  assert.ok(isLinkLocal('fe80::1'));
  assert.ok(isLinkLocal('febf::1'));
  assert.not.ok(isLinkLocal('fec0::1'));
  assert.ok(isLinkLocal('169.254.169.254'));
  assert.not.ok(isLinkLocal('10.0.0.1'));
});

test('defaultInterfaceMap maps geN to ethN and nothing else', () => {
  const map = defaultInterfaceMap();
  assert.is(map.ge0, 'eth0');
  assert.is(map.ge12, 'eth12');
  assert.is(map.eth0, undefined);
  assert.is(map.constructor, undefined);
  assert.is(defaultInterfaceMap(3).ge3, undefined);
  assert.is(defaultInterfaceMap(3).ge2, 'eth2');
});

test('host names the kernel or dnsmasq would misread are refused', () => {
  const long = seed();
  long.hostname = `${'a'.repeat(60)}.bcdef`;
  assert.ok(hasIssue(issuesOf(long), 'hostname'), 'over 64 characters');
  for (const word of ['ignore', 'infinite', '12h', '3600', '10.0.0.9']) {
    const b = seed();
    b.networks[2].allocations[1].hostname = word;
    assert.ok(hasIssue(issuesOf(b), 'networks.2.allocations.1.hostname'), word);
  }
  const ok = seed();
  ok.networks[2].allocations[1].hostname = 'web-1.local';
  assert.is(modelOf(ok).internal[0]?.allocations.find((a) => a.hostname === 'web-1.local')?.hostname, 'web-1.local');
});

test('one network id on two interfaces is an issue', () => {
  const b = seed();
  b.networks.push({ ...structuredClone(b.networks[2]), interface: { ifname: 'ge3', addresses: ['10.0.9.1/24'] } });
  assert.ok(hasIssue(issuesOf(b), 'networks.3.network_id'));
});

test('a DHCP-enabled IPv6 tenant subnet shorter than /64 is refused: nothing could serve it', () => {
  const b = seed();
  b.networks[2].subnets[1].cidr = 'fdc3:6ee6:d81f:e00::/56';
  b.networks[2].subnets[1].dhcp_enabled = true;
  assert.ok(hasIssue(issuesOf(b), 'networks.2.subnets.1.cidr'));
});

test.run();
