// Facts the model derives from a valid body: classification, gateways, host
// interface names, floating IPs, router id, IPv6 address modes, the metadata
// table and the AS numbers. Cross-field problems must come back as issues with
// the JSON path of the offending field, never be dropped silently.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metadataTable } from '../renderers/system.ts';
import type { Issue } from './issues.ts';
import type { Model } from './model.ts';
import type { InterfaceMap } from './normalise.ts';
import { DEFAULT_ASN, DEFAULT_ORCHESTRATOR, firstAddress, normalise } from './normalise.ts';
import { defaultInterfaceMap, parseConfiguration } from './parse.ts';
import { configSchema } from './payload.ts';
import { eui64Address, parseAddress } from './syntax.ts';

// biome-ignore lint/suspicious/noExplicitAny: test bodies are free-form JSON that the tests mutate
type Json = any;

const load = (name: string): Json => JSON.parse(readFileSync(new URL(`../renderers/testdata/${name}/input.json`, import.meta.url), 'utf8'));
const seed = (): Json => load('seed-example');

const CUSTOM: InterfaceMap = { ge0: 'ens3', ge1: 'ens4', ge2: 'ens5' };

function modelOf(body: unknown, ifmap: InterfaceMap = defaultInterfaceMap()): Model {
  const r = parseConfiguration(body, ifmap);
  if (!r.ok) assert.unreachable(`expected ok, got issues ${JSON.stringify(r.issues)}`);
  return (r as Extract<typeof r, { ok: true }>).model;
}

function issuesOf(body: unknown, ifmap: InterfaceMap = defaultInterfaceMap()): Issue[] {
  const r = parseConfiguration(body, ifmap);
  assert.not.ok(r.ok, 'expected the body to be rejected');
  return r.ok ? [] : r.issues;
}

function assertIssue(issues: Issue[], path: string): void {
  const hit = issues.find((i) => i.path === path);
  assert.ok(hit, `no issue at ${path}; got ${JSON.stringify(issues)}`);
  assert.ok(hit && hit.message.length > 0, `empty message at ${path}`);
}

const net = (m: Model, generic: string) => {
  const n = m.networks.find((x) => x.generic === generic);
  if (!n) assert.unreachable(`no network ${generic}`);
  return n as NonNullable<typeof n>;
};

const DOTTED_QUAD = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

// ----------------------------------------------------------- classification

test('networks are classified as management, external, internal and isolated', () => {
  const b = seed();
  b.networks.push({
    network_id: 'isolated-net',
    network_type: 'isolated',
    interface: { ifname: 'ge3', addresses: ['192.168.99.1/24'] },
    subnets: [{ cidr: '192.168.99.0/24', dhcp_enabled: true, gateway_ip: '192.168.99.1' }],
  });
  b.networks.push({
    network_id: 'second-internal',
    network_type: 'internal',
    interface: { ifname: 'ge4', addresses: ['10.0.1.1/24'] },
    subnets: [{ cidr: '10.0.1.0/24', dhcp_enabled: true, gateway_ip: '10.0.1.1' }],
  });
  // no network_type at all: isolated
  b.networks.push({ network_id: 'untyped', interface: { ifname: 'ge5', addresses: [] } });
  const m = modelOf(b);
  assert.is(m.management?.generic, 'ge0');
  assert.is(m.management?.type, 'management');
  assert.is(m.external?.generic, 'ge1');
  assert.is(m.external?.type, 'external');
  assert.equal(
    m.internal.map((n) => n.generic),
    ['ge2', 'ge4'],
  );
  assert.equal(
    m.isolated.map((n) => n.generic),
    ['ge3', 'ge5'],
  );
  assert.equal(
    m.networks.map((n) => n.type),
    ['management', 'external', 'internal', 'isolated', 'internal', 'isolated'],
  );
  assert.is(m.managementAddress, 'fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1');
});

test('the first network of a kind wins, in the order of the body (legacy: external first)', () => {
  const m = modelOf(load('legacy-2015-seed'));
  assert.equal(
    m.networks.map((n) => n.type),
    ['external', 'management', 'internal'],
  );
  assert.is(m.external?.generic, 'ge1');
  assert.is(m.management?.generic, 'ge0');
  // the 2015 body has no orchestrator block: the hard-coded default
  assert.equal(m.orchestrator, DEFAULT_ORCHESTRATOR);
  assert.is(m.hostname, 'router1');
});

test('no external network: external is null and no default gateway', () => {
  const m = modelOf(load('no-external'));
  assert.is(m.external, null);
  assert.is(m.defaultV4Gateway, null);
  assert.is(m.defaultV6Gateway, null);
  assert.ok(m.internal.length >= 1);
});

test('host name defaults to ak-<tenant>, then to "appliance"', () => {
  const b = seed();
  b.hostname = '';
  assert.is(modelOf(b).hostname, 'ak-d22b149cee9b4eac8349c517eda00b89');
  b.tenant_id = '';
  assert.is(modelOf(b).hostname, 'appliance');
  delete b.hostname;
  delete b.tenant_id;
  assert.is(modelOf(b).hostname, 'appliance');
});

// ----------------------------------------------------------------- gateways

test('explicit default_v4_gateway wins over the external subnet gateway', () => {
  const b = seed();
  b.default_v4_gateway = '172.24.4.254';
  const m = modelOf(b);
  assert.equal(m.defaultV4Gateway, { address: '172.24.4.254', ifname: 'eth1' });
});

test('without default_v4_gateway the first external IPv4 subnet gateway is used', () => {
  const b = seed();
  b.default_v4_gateway = '';
  b.networks[1].subnets.unshift({ cidr: '2001:db8:9::/64', gateway_ip: '2001:db8:9::1' });
  b.networks[1].subnets.push({ cidr: '198.51.100.0/24', gateway_ip: '198.51.100.1' });
  const m = modelOf(b);
  assert.equal(m.defaultV4Gateway, { address: '172.24.4.1', ifname: 'eth1' });
});

test('an external IPv4 subnet without gateway is skipped for the default route', () => {
  const b = seed();
  b.default_v4_gateway = '';
  b.networks[1].subnets[0].gateway_ip = '';
  assert.is(modelOf(b).defaultV4Gateway, null);
  b.networks[1].subnets.push({ cidr: '198.51.100.0/24', gateway_ip: '198.51.100.1' });
  assert.is(modelOf(b).defaultV4Gateway, null, 'a subnet the router has no address on gives no reachable gateway');
  b.networks[1].interface.addresses.push('198.51.100.5/24');
  assert.equal(modelOf(b).defaultV4Gateway, { address: '198.51.100.1', ifname: 'eth1' });
});

test('no default route through an external network where the router has no address of that family', () => {
  const b = seed();
  b.default_v4_gateway = '';
  b.networks[1].interface.addresses = ['2001:db8::3/64'];
  assert.is(modelOf(b).defaultV4Gateway, null);
  b.networks[1].interface.addresses = ['172.24.4.3/24'];
  assert.is(modelOf(b).defaultV6Gateway, null);
  b.default_v4_gateway = '172.24.4.1';
  b.networks[1].interface.addresses = ['2001:db8::3/64'];
  assert.is(modelOf(b).defaultV4Gateway, null, 'even when named explicitly');
});

test('v6 gateway: the external IPv6 subnet gateway on the host interface', () => {
  assert.equal(modelOf(seed()).defaultV6Gateway, { address: '2001:db8::2', ifname: 'eth1' });
  assert.equal(modelOf(seed(), CUSTOM).defaultV6Gateway, { address: '2001:db8::2', ifname: 'ens4' });
  const four = { ...CUSTOM, ge3: 'ens6' };
  assert.equal(modelOf(load('ipv6-only'), four).defaultV6Gateway, { address: '2001:db8::2', ifname: 'ens4' });
  assert.is(modelOf(load('ipv6-only'), four).defaultV4Gateway, null);
});

test('without an external network an explicit v4 gateway goes out of the network holding it', () => {
  const b = load('no-external');
  b.default_v4_gateway = '192.168.10.254';
  const m = modelOf(b);
  const holder = m.networks.find((n) => n.addresses.some((a) => a.address === '192.168.10.1'));
  assert.equal(m.defaultV4Gateway, { address: '192.168.10.254', ifname: holder?.ifname as string });
});

test('without an external network an unreachable default_v4_gateway is an issue', () => {
  const b = load('no-external');
  b.default_v4_gateway = '203.0.113.1';
  assertIssue(issuesOf(b), 'default_v4_gateway');
});

// ----------------------------------------------------------- interface maps

test('generic names are resolved through a custom interface map', () => {
  const m = modelOf(seed(), CUSTOM);
  assert.equal(
    m.networks.map((n) => [n.generic, n.index, n.ifname]),
    [
      ['ge0', 0, 'ens3'],
      ['ge1', 1, 'ens4'],
      ['ge2', 2, 'ens5'],
    ],
  );
  assert.equal(m.defaultV4Gateway, { address: '172.24.4.1', ifname: 'ens4' });
  assert.is(m.external?.ifname, 'ens4');
  assert.is(m.management?.ifname, 'ens3');
  for (const l of metadataTable(m).listeners) assert.is(l.ifname, 'ens5');
});

test('an ifname missing from the interface map is an issue at networks.N.interface.ifname', () => {
  assertIssue(issuesOf(seed(), { ge0: 'ens3', ge1: 'ens4' }), 'networks.2.interface.ifname');
  assertIssue(issuesOf(seed(), { ge1: 'ens4', ge2: 'ens5' }), 'networks.0.interface.ifname');
  assertIssue(issuesOf(seed(), {}), 'networks.1.interface.ifname');
  assertIssue(issuesOf(seed(), defaultInterfaceMap(2)), 'networks.2.interface.ifname');
});

test('every missing interface is reported, not only the first', () => {
  const issues = issuesOf(seed(), {});
  for (const i of [0, 1, 2]) assertIssue(issues, `networks.${i}.interface.ifname`);
});

// ------------------------------------------------------------- floating IPs

test('floating IPs attach to the external network whose subnet holds them, with that prefix', () => {
  const b = seed();
  b.networks[1].interface.addresses.push('198.51.100.2/26');
  b.networks[1].subnets.push({ cidr: '198.51.100.0/26', gateway_ip: '198.51.100.1' });
  b.floating_ips = [
    { floating_ip: '172.24.4.10', fixed_ip: '10.0.0.3' },
    { floating_ip: '198.51.100.7', fixed_ip: '10.0.0.4' },
    { floating_ip: '2001:db8::10', fixed_ip: 'fdc3:6ee6:d81f:ede:f816:3eff:feff:c911' },
  ];
  const m = modelOf(b);
  assert.equal(m.floatingIps, [
    { floating: '172.24.4.10', fixed: '10.0.0.3', family: 4, prefixLength: 24, ifname: 'eth1' },
    { floating: '198.51.100.7', fixed: '10.0.0.4', family: 4, prefixLength: 26, ifname: 'eth1' },
    { floating: '2001:db8::10', fixed: 'fdc3:6ee6:d81f:ede:f816:3eff:feff:c911', family: 6, prefixLength: 64, ifname: 'eth1' },
  ]);
  assert.equal(net(m, 'ge1').floatingIps, m.floatingIps);
  assert.equal(net(m, 'ge2').floatingIps, []);
});

test('with two external networks a floating IP goes to the one holding it', () => {
  const b = seed();
  b.networks.push({
    network_id: 'second-external',
    network_type: 'external',
    interface: { ifname: 'ge3', addresses: ['198.51.100.2/26'] },
    subnets: [{ cidr: '198.51.100.0/26', gateway_ip: '198.51.100.1' }],
  });
  b.floating_ips = [
    { floating_ip: '198.51.100.7', fixed_ip: '10.0.0.4' },
    { floating_ip: '172.24.4.10', fixed_ip: '10.0.0.3' },
  ];
  const m = modelOf(b);
  assert.equal(net(m, 'ge3').floatingIps, [{ floating: '198.51.100.7', fixed: '10.0.0.4', family: 4, prefixLength: 26, ifname: 'eth3' }]);
  assert.equal(net(m, 'ge1').floatingIps, [{ floating: '172.24.4.10', fixed: '10.0.0.3', family: 4, prefixLength: 24, ifname: 'eth1' }]);
});

test('the shipped floating-ips payload attaches every floating IP', () => {
  const body = load('floating-ips');
  const m = modelOf(body);
  assert.is(m.floatingIps.length, body.floating_ips.length);
  assert.is(m.external?.floatingIps.length, body.floating_ips.length);
  for (const f of m.floatingIps) assert.is(f.prefixLength, 24);
});

test('a floating IP outside every external subnet is an issue, not dropped', () => {
  const b = seed();
  b.floating_ips = [
    { floating_ip: '172.24.4.10', fixed_ip: '10.0.0.3' },
    { floating_ip: '203.0.113.10', fixed_ip: '10.0.0.4' },
  ];
  const issues = issuesOf(b);
  assertIssue(issues, 'floating_ips.1.floating_ip');
  assert.not.ok(
    issues.some((i) => i.path.startsWith('floating_ips.0')),
    JSON.stringify(issues),
  );
});

test('a floating IP in an internal subnet (not external) is an issue', () => {
  const b = seed();
  b.floating_ips = [{ floating_ip: '10.0.0.50', fixed_ip: '10.0.0.3' }];
  assertIssue(issuesOf(b), 'floating_ips.0.floating_ip');
});

test('floating IPs without any external network are issues', () => {
  const b = load('no-external');
  b.floating_ips = [{ floating_ip: '172.24.4.10', fixed_ip: '192.168.10.3' }];
  assertIssue(issuesOf(b), 'floating_ips.0.floating_ip');
});

test('a mixed-family floating IP pair is an issue at fixed_ip', () => {
  const b = seed();
  b.floating_ips = [
    { floating_ip: '172.24.4.10', fixed_ip: 'fdc3:6ee6:d81f:ede:f816:3eff:fe3d:aad8' },
    { floating_ip: '2001:db8::10', fixed_ip: '10.0.0.4' },
  ];
  const issues = issuesOf(b);
  assertIssue(issues, 'floating_ips.0.fixed_ip');
  assertIssue(issues, 'floating_ips.1.fixed_ip');
});

test('a floating IP listed twice is an issue at the second one', () => {
  const b = seed();
  b.floating_ips = [
    { floating_ip: '172.24.4.10', fixed_ip: '10.0.0.3' },
    { floating_ip: '172.24.4.10', fixed_ip: '10.0.0.4' },
  ];
  assertIssue(issuesOf(b), 'floating_ips.1.floating_ip');
});

// ---------------------------------------------------------------- router id

test('router id is the external IPv4 address', () => {
  assert.is(modelOf(seed()).routerId, '172.24.4.3');
  assert.is(modelOf(load('legacy-2015-seed')).routerId, '172.16.77.3');
  const b = seed();
  b.networks[1].interface.addresses = ['2001:db8::3/64', '172.24.4.9/24', '172.24.4.30/24'];
  assert.is(modelOf(b).routerId, '172.24.4.9', 'the lowest external IPv4 address');
});

test('without an external IPv4 the router id is derived: stable, valid, tenant-specific', () => {
  for (const name of ['ipv6-only', 'no-external']) {
    const a = modelOf(load(name)).routerId;
    const again = modelOf(load(name)).routerId;
    assert.is(a, again, `${name}: deterministic`);
    assert.ok(DOTTED_QUAD.test(a), `${name}: ${a} is a dotted quad`);
    assert.is.not(a, '0.0.0.0', name);
    // not taken from an internal IPv4 address by accident
    const other = load(name);
    other.tenant_id = 'ffffffffffffffffffffffffffffffff';
    const b = modelOf(other).routerId;
    assert.ok(DOTTED_QUAD.test(b), b);
    assert.is.not(b, '0.0.0.0');
    assert.is.not(b, a, `${name}: a different tenant gets a different router id`);
  }
});

test('the derived router id does not depend on the order of the networks', () => {
  const a = load('ipv6-only');
  const b = load('ipv6-only');
  b.networks.reverse();
  assert.is(modelOf(b).routerId, modelOf(a).routerId);
});

test('the derived router id changes with the networks', () => {
  const a = load('ipv6-only');
  const b = load('ipv6-only');
  b.networks[2].network_id = 'a-different-network';
  assert.is.not(modelOf(b).routerId, modelOf(a).routerId);
});

test('no networks at all still gives a valid router id', () => {
  const m = modelOf({ tenant_id: 'abc', networks: [] });
  assert.ok(DOTTED_QUAD.test(m.routerId), m.routerId);
  assert.is.not(m.routerId, '0.0.0.0');
});

// --------------------------------------------------------------- IPv6 modes

function v6ModeBody(): Json {
  const b = seed();
  const s = b.networks[2].subnets[1];
  s.dhcp_enabled = true;
  return b;
}
const v6Mode = (m: Model, generic = 'ge2') => net(m, generic).subnets.find((s) => s.family === 6)?.v6Mode;

test('v6Mode: DHCP disabled means SLAAC', () => {
  const m = modelOf(seed());
  assert.is(v6Mode(m), 'slaac');
  assert.is(v6Mode(m, 'ge1'), 'slaac');
});

test('v6Mode: IPv4 subnets have none', () => {
  for (const n of modelOf(seed()).networks) {
    for (const s of n.subnets) if (s.family === 4) assert.is(s.v6Mode, null);
  }
});

test('v6Mode: DHCP on a /64 whose hosts all hold their EUI-64 address is stateless', () => {
  const m = modelOf(v6ModeBody());
  // sanity: the seed hosts do hold EUI-64 addresses
  for (const a of net(m, 'ge2').allocations.slice(1)) {
    const v6 = a.ipAddresses.find((x) => x.family === 6)?.address;
    assert.is(v6, eui64Address('fdc3:6ee6:d81f:ede::', a.mac));
  }
  assert.is(v6Mode(m), 'stateless');
});

test('v6Mode: the shipped stateless-v6 case is stateless', () => {
  const m = modelOf(load('stateless-v6'));
  assert.ok(m.networks.some((n) => n.subnets.some((s) => s.v6Mode === 'stateless')));
});

test('v6Mode: one host off its EUI-64 address makes it stateful', () => {
  const b = v6ModeBody();
  b.networks[2].allocations[2].ip_addresses = { '10.0.0.4': true, 'fdc3:6ee6:d81f:ede::4': true };
  assert.is(v6Mode(modelOf(b)), 'stateful');
});

test('v6Mode: a host with an EUI-64 address of another MAC makes it stateful', () => {
  const b = v6ModeBody();
  b.networks[2].allocations[2].mac_address = 'fa:16:3e:ff:c9:12';
  assert.is(v6Mode(modelOf(b)), 'stateful');
});

test('v6Mode: DHCP on a prefix other than /64 is stateful', () => {
  const b = v6ModeBody();
  const n = b.networks[2];
  n.subnets[1].cidr = 'fdc3:6ee6:d81f:ede::/80';
  n.interface.addresses[1] = 'fdc3:6ee6:d81f:ede::1/80';
  assert.is(v6Mode(modelOf(b)), 'stateful');
});

test('v6Mode: DHCP with no hosts (only the gateway) is stateful', () => {
  const b = v6ModeBody();
  b.networks[2].allocations = b.networks[2].allocations.slice(0, 1);
  assert.is(v6Mode(modelOf(b)), 'stateful');
  b.networks[2].allocations = [];
  assert.is(v6Mode(modelOf(b)), 'stateful');
  // the management subnet: DHCP enabled, no allocations
  assert.is(v6Mode(modelOf(seed()), 'ge0'), 'stateful');
});

test('v6Mode: hosts of other subnets do not count', () => {
  const b = v6ModeBody();
  b.networks[2].allocations.push({
    mac_address: 'fa:16:3e:00:00:99',
    hostname: 'other',
    ip_addresses: { 'fd00:9::5': true },
  });
  assert.is(v6Mode(modelOf(b)), 'stateless');
});

test('v6Mode is computed after merging two router ports of one network', () => {
  const b = v6ModeBody();
  const second = structuredClone(b.networks[2]);
  b.networks[2].allocations = [];
  second.subnets = [];
  second.interface.addresses = [];
  b.networks.push(second);
  // the hosts come from the second entry; the subnet from the first
  assert.is(v6Mode(modelOf(b)), 'stateless');
});

// ---------------------------------------------------------------- metadata

test('the metadata table maps every allocation address to its device id', () => {
  const b = seed();
  b.networks[2].allocations[1].ip_addresses = { '10.0.0.3': true, 'FDC3:6EE6:D81F:EDE:F816:3EFF:FE3D:AAD8': true };
  const m = modelOf(b, CUSTOM);
  const table = metadataTable(m);
  assert.is(table.tenant_id, 'd22b149cee9b4eac8349c517eda00b89');
  assert.equal(table.upstream, { address: 'fdca:3ba5:a17a:acda:f816:3eff:fe2b:ced0', port: 9697 });
  assert.is(table.listeners.length, 1);
  const l = table.listeners[0];
  assert.is(l?.network_id, '3bab6c39-8d88-448a-beed-8d14f06d3fef');
  assert.is(l?.ifname, 'ens5');
  assert.is(l?.listen_address, '10.0.0.1');
  let count = 0;
  for (const a of b.networks[2].allocations) {
    for (const ip of Object.keys(a.ip_addresses)) {
      const canonical = parseAddress(ip)?.address as string;
      assert.is(l?.ip_instance_map[canonical], a.device_id, `${ip} -> ${a.device_id}`);
      count++;
    }
  }
  assert.is(Object.keys(l?.ip_instance_map ?? {}).length, count);
});

test('the metadata table covers every tenant network of the shipped payloads', () => {
  for (const name of ['floating-ips', 'no-external', 'legacy-2015-seed', 'large-scale']) {
    const m = modelOf(load(name));
    const table = metadataTable(m);
    for (const n of [...m.internal, ...m.isolated]) {
      const v4 = firstAddress(n, 4);
      const l = table.listeners.find((x) => x.network_id === n.id);
      if (!v4) {
        assert.is(l, undefined);
        continue;
      }
      assert.ok(l, `${name}: no listener for ${n.id}`);
      for (const a of n.allocations) {
        if (!a.deviceId) continue;
        for (const ip of a.ipAddresses) assert.is(l?.ip_instance_map[ip.address], a.deviceId, `${name}: ${ip.address}`);
      }
    }
  }
});

test('allocations without a device id are left out of the metadata map', () => {
  const b = seed();
  b.networks[2].allocations[1].device_id = '';
  b.networks[2].allocations[2].device_id = null;
  const map = metadataTable(modelOf(b)).listeners[0]?.ip_instance_map ?? {};
  assert.is(map['10.0.0.3'], undefined);
  assert.is(map['10.0.0.4'], undefined);
  assert.is(map['10.0.0.5'], 'd707107e-855c-4844-a9e8-21a4c74803e3');
});

// ------------------------------------------------------------- AS numbers

test('asn defaults to 64512 and neighbor_asn to asn', () => {
  const b = seed();
  delete b.asn;
  delete b.neighbor_asn;
  let m = modelOf(b);
  assert.is(DEFAULT_ASN, 64512);
  assert.is(m.asn, 64512);
  assert.is(m.neighborAsn, 64512);
  b.asn = 65001;
  m = modelOf(b);
  assert.is(m.asn, 65001);
  assert.is(m.neighborAsn, 65001);
  b.neighbor_asn = 65002;
  m = modelOf(b);
  assert.is(m.asn, 65001);
  assert.is(m.neighborAsn, 65002);
  delete b.asn;
  m = modelOf(b);
  assert.is(m.asn, 64512);
  assert.is(m.neighborAsn, 65002);
});

test('a 4-byte AS number is accepted', () => {
  const b = seed();
  b.asn = 4200000000;
  assert.is(modelOf(b).asn, 4200000000);
});

// ------------------------------------------------------------ normalise()

test('normalise is pure: same config, same model; the input is not modified', () => {
  const config = configSchema.parse(seed());
  const before = JSON.stringify(config);
  const a = normalise(config, CUSTOM);
  const b = normalise(config, CUSTOM);
  assert.equal(a, b);
  assert.equal(a.issues, []);
  assert.is(JSON.stringify(config), before);
});

test('link-local interface addresses are skipped with a notice at their path, as the reference did', () => {
  const b = seed();
  b.networks[2].interface.addresses.push('fe80::1/64', '169.254.0.5/16');
  const r = parseConfiguration(b, defaultInterfaceMap());
  if (!r.ok) assert.unreachable(JSON.stringify(r.issues));
  const ok = r as Extract<typeof r, { ok: true }>;
  assert.equal(
    net(ok.model, 'ge2').addresses.map((a) => a.cidr),
    ['10.0.0.1/24', 'fdc3:6ee6:d81f:ede::1/64'],
  );
  assert.equal(
    ok.notices.map((n) => n.path),
    ['networks.2.interface.addresses.2', 'networks.2.interface.addresses.3'],
  );
  for (const n of ok.notices) assert.match(n.message, /link-local/);
  assert.equal(ok.model, modelOf(seed()), 'the model is the one without them');
  assert.equal(
    parseConfiguration(seed(), defaultInterfaceMap()).ok && (parseConfiguration(seed(), defaultInterfaceMap()) as typeof ok).notices,
    [],
  );
});

test('a gateway of the wrong family is an issue at gateway_ip', () => {
  const b = seed();
  b.networks[2].subnets[0].gateway_ip = 'fdc3:6ee6:d81f:ede::1';
  b.networks[2].subnets[1].gateway_ip = '10.0.0.1';
  const issues = issuesOf(b);
  assertIssue(issues, 'networks.2.subnets.0.gateway_ip');
  assertIssue(issues, 'networks.2.subnets.1.gateway_ip');
});

test('host routes are canonicalised; a nexthop of the wrong family is an issue', () => {
  const b = seed();
  b.networks[2].subnets[0].host_routes = [{ destination: '192.168.5.0/24', nexthop: '10.0.0.254' }];
  assert.equal(net(modelOf(b), 'ge2').subnets[0]?.hostRoutes, [{ destination: '192.168.5.0/24', nexthop: '10.0.0.254', family: 4 }]);
  b.networks[2].subnets[1].host_routes = [
    { destination: 'fd00:5::/64', nexthop: 'fdc3:6ee6:d81f:ede::fe' },
    { destination: 'fd00:6::/64', nexthop: '10.0.0.254' },
  ];
  assertIssue(issuesOf(b), 'networks.2.subnets.1.host_routes.1.nexthop');
});

test.run();
