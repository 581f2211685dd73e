// The PUT body schema on whole payloads: every shared orchestrator payload
// parses, the wrapped and legacy forms give the same model, and the tolerated
// edge cases of the orchestrator contract are accepted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { network as byIfname, hasIssue, issuesOf, type Json, load, modelOf, seed } from '../test/schema-kit.ts';
import { defaultInterfaceMap, parseConfiguration, unwrap } from './parse.ts';

const SHARED = ['seed-example', 'floating-ips', 'ipv6-only', 'no-external', 'legacy-2015-seed', 'large-scale'];

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

test.run();
