// The plan's routes, sysctls and hostname, against written-out host facts.
// No root, no processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { build, hostRoutesHost, input, lines, runStep, seedHost } from '../../test/plan-facts.ts';
import { planConfiguration } from './plan.ts';

// ---------------------------------------------------------------------------
// Routes

test('routes: a missing default route is replaced with proto static, per family', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  facts.routes = facts.routes.filter((r) => r.dst !== 'default');
  assert.equal(lines(planConfiguration(model, files, facts)), [
    'routes run routes: ip -batch - <<< route replace default via 172.24.4.1 dev eth1 proto static; route replace ::/0 via 2001:db8::2 dev eth1 proto static',
  ]);
});

test('routes: a default route through another gateway is replaced, not deleted first', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  const v4 = facts.routes.find((r) => r.dst === 'default' && r.family === 4);
  if (!v4) throw new Error('fixture');
  v4.gateway = '172.24.4.254';
  assert.equal(lines(planConfiguration(model, files, facts)), [
    'routes run routes: ip -batch - <<< route replace default via 172.24.4.1 dev eth1 proto static',
  ]);
});

test('routes: stale static routes on managed links are removed; kernel and foreign routes are untouched', () => {
  const { model, files } = build(input('host-routes-stateful-v6'));
  const facts = hostRoutesHost(files);
  facts.routes.push(
    // the agent's own, no longer wanted
    { family: 4, dst: '192.168.99.0/24', gateway: '10.0.0.254', dev: 'eth2', protocol: 'static' },
    { family: 6, dst: 'fd00:99::/64', gateway: 'fdc3:6ee6:d81f:ede::fe', dev: 'eth2', protocol: 'static' },
    // not the agent's: another protocol, or a link it does not manage
    { family: 4, dst: '192.168.98.0/24', gateway: '10.0.0.254', dev: 'eth2', protocol: 'boot' },
    { family: 4, dst: '192.168.97.0/24', gateway: '10.0.0.254', dev: 'eth2', protocol: 'bird' },
    { family: 4, dst: '192.168.96.0/24', gateway: '192.0.2.1', dev: 'eth9', protocol: 'static' },
    { family: 4, dst: '192.168.95.0/24', gateway: null, dev: null, protocol: 'static' },
  );
  const plan = planConfiguration(model, files, facts);
  // the wanted routes are all there, and the kernel's (10.0.0.0/24 proto kernel) are in no command
  assert.equal(lines(plan), [
    'stale-routes run stale routes: ip -force -batch - <<< route del 192.168.99.0/24 via 10.0.0.254 dev eth2; route del fd00:99::/64 via fdc3:6ee6:d81f:ede::fe dev eth2',
  ]);
  assert.is(runStep(plan, 'stale routes')?.okExit, 'any', 'a stale route may already be gone with its address');
});

test('routes: a host route whose next hop changed is deleted and re-added', () => {
  const before = build(input('host-routes-stateful-v6'));
  const body = input('host-routes-stateful-v6');
  body.networks.find((n: { network_type: string }) => n.network_type === 'internal').subnets[0].host_routes[0].nexthop = '10.0.0.253';
  const after = build(body);
  const plan = planConfiguration(after.model, after.files, hostRoutesHost(before.files));
  assert.equal(
    lines(plan).filter((l) => /^(stale-routes|routes) /.test(l)),
    [
      'stale-routes run stale routes: ip -force -batch - <<< route del 192.168.200.0/24 via 10.0.0.254 dev eth2',
      'routes run routes: ip -batch - <<< route replace 192.168.200.0/24 via 10.0.0.253 dev eth2 proto static',
    ],
  );
});

test('routes: a new address on the gateway link re-asserts the routes through it', () => {
  // Replacing the only IPv4 address of a link leaves it without IPv4 for a
  // moment: the kernel then flushes every IPv4 route through that link,
  // including the default route, which the facts (taken before) still show.
  const before = build(input('seed-example'));
  const body = input('seed-example');
  body.networks[1].interface.addresses = ['172.24.4.5/24', '2001:db8::3/64'];
  const after = build(body);
  const plan = planConfiguration(after.model, after.files, seedHost(before.files));
  assert.equal(
    lines(plan).filter((l) => /^(addresses|routes|conntrack|announce) /.test(l)),
    [
      'addresses run links and addresses + routes: ip -batch - <<< address del 172.24.4.3/24 dev eth1; address add 172.24.4.5/24 brd + dev eth1; route replace default via 172.24.4.1 dev eth1 proto static',
      'conntrack run conntrack flush: conntrack -D -d 172.24.4.3',
      'conntrack run conntrack flush: conntrack -D -q 172.24.4.3',
      'announce announce arping -U -c 1 -I eth1 172.24.4.5',
    ],
  );
});

test('routes: a route the agent added without proto static is taken over', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  const v6 = facts.routes.find((r) => r.dst === 'default' && r.family === 6);
  if (!v6) throw new Error('fixture');
  v6.protocol = 'boot';
  assert.equal(lines(planConfiguration(model, files, facts)), [
    'routes run routes: ip -batch - <<< route replace ::/0 via 2001:db8::2 dev eth1 proto static',
  ]);
});

test('routes: subnet host routes never replace the default route, and off-link next hops are skipped', () => {
  const body = input('seed-example');
  body.networks[2].subnets[0].host_routes = [
    { destination: '0.0.0.0/0', nexthop: '10.0.0.254' },
    { destination: '192.168.50.0/24', nexthop: '192.0.2.1' },
    { destination: '192.168.60.0/24', nexthop: '10.0.0.254' },
  ];
  const { model, files } = build(body);
  assert.equal(lines(planConfiguration(model, files, seedHost(files))), [
    'routes run routes: ip -batch - <<< route replace 192.168.60.0/24 via 10.0.0.254 dev eth2 proto static',
  ]);
});

// ---------------------------------------------------------------------------
// Sysctls and hostname

test('sysctls: only the ones not at their value are written', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  facts.sysctls['net/ipv4/ip_forward'] = '0';
  delete facts.sysctls['net/ipv6/conf/eth2/accept_dad'];
  assert.equal(lines(planConfiguration(model, files, facts)), [
    'sysctl sysctl net/ipv4/ip_forward=1',
    'sysctl sysctl net/ipv6/conf/eth2/accept_dad=0',
  ]);
});

test('sysctls: DAD stays on for the external network', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  facts.sysctls = {};
  const dad = lines(planConfiguration(model, files, facts)).filter((l) => l.includes('accept_dad'));
  assert.equal(dad, ['sysctl sysctl net/ipv6/conf/eth0/accept_dad=0', 'sysctl sysctl net/ipv6/conf/eth2/accept_dad=0']);
});

test('hostname: set only when it differs', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  facts.hostname = 'localhost';
  assert.equal(lines(planConfiguration(model, files, facts)), ['system hostname ak-d22b149cee9b4eac8349c517eda00b89']);
});

test.run();
