// What the model makes of a valid body, part 1: classification, gateways,
// host interface names and floating IPs. Cross-field problems must come back
// as issues with the JSON path of the offending field, never be dropped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metadataTable } from '../features/metadata/table.ts';
import { assertIssue, issuesOf, load, modelOf, network as net, seed } from '../test/schema-kit.ts';
import type { InterfaceMap } from './normalise.ts';
import { DEFAULT_ORCHESTRATOR } from './normalise.ts';
import { defaultInterfaceMap } from './parse.ts';

const CUSTOM: InterfaceMap = { ge0: 'ens3', ge1: 'ens4', ge2: 'ens5' };

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

test.run();
