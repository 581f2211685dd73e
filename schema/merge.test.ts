// Duplicate router ports merge into one network, values come out canonical,
// and names or subnets the daemons would misread are refused with their path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { network as byIfname, hasIssue, issuesOf, type Json, load, modelOf, seed } from '../test/schema-kit.ts';

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
test.run();
