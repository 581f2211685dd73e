// What the model makes of a valid body, part 2: router id, IPv6 address
// modes, the metadata table, AS numbers, and normalise() itself (pure, link-local
// addresses left out with a notice, family mismatches as issues).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metadataTable } from '../features/metadata/table.ts';
import { accepted, assertIssue, issuesOf, type Json, load, modelOf, network as net, seed } from '../test/schema-kit.ts';
import type { Model } from './model.ts';
import { firstAddress } from './model-reads.ts';
import type { InterfaceMap } from './normalise.ts';
import { DEFAULT_ASN, normalise } from './normalise.ts';
import { configSchema } from './payload.ts';
import { eui64Address, parseAddress } from './syntax.ts';

const CUSTOM: InterfaceMap = { ge0: 'ens3', ge1: 'ens4', ge2: 'ens5' };

const DOTTED_QUAD = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

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
  b.networks[0].interface.addresses.unshift('FE80::F816:3EFF:FE66:33B6/64');
  const r = accepted(b);
  assert.equal(
    r.notices.map((n) => n.path),
    ['networks.0.interface.addresses.0', 'networks.2.interface.addresses.2', 'networks.2.interface.addresses.3'],
  );
  for (const n of r.notices) assert.match(n.message, /link-local/);
  assert.match(r.notices[0]?.message ?? '', /^fe80::f816:3eff:fe66:33b6\/64 /);
  // as if they had not been there: the model of the body without them
  assert.equal(r.model, modelOf(seed()));
  assert.equal(accepted(seed()).notices, []);
});

test('a body whose only interface address is link-local is taken, without the address', () => {
  const b = seed();
  b.networks[2].interface.addresses = ['fe80::1/64'];
  const r = accepted(b);
  assert.equal(net(r.model, 'ge2').addresses, []);
  assert.equal(
    r.notices.map((n) => n.path),
    ['networks.2.interface.addresses.0'],
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
