// The plan's links and addresses: what the interfaces feature asks of ip,
// conntrack and arping, against written-out host facts. No root, no processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyPlan, bareHost, build, floatingIpsHost, input, lines, link, nic, runStep, seedHost, show } from '../../test/plan-facts.ts';
import { planConfiguration } from './plan.ts';

test('addresses: deletes come before adds, across all links', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  // eth1 misses its IPv4 address; eth2 (a later link) carries a stale one
  link(facts, 'eth1').addresses = link(facts, 'eth1').addresses.filter((a) => a.address !== '172.24.4.3');
  link(facts, 'eth2').addresses.push({ address: '10.0.0.99', prefixLength: 24, family: 4, scope: 'global' });
  const plan = planConfiguration(model, files, facts);
  assert.equal(lines(plan), [
    'addresses run links and addresses: ip -batch - <<< address del 10.0.0.99/24 dev eth2; address add 172.24.4.3/24 brd + dev eth1',
    // the stale address went away: its connections are flushed, both directions; the new one is announced
    'conntrack run conntrack flush: conntrack -D -d 10.0.0.99',
    'conntrack run conntrack flush: conntrack -D -q 10.0.0.99',
    'announce announce arping -U -c 1 -I eth1 172.24.4.3',
  ]);
  assert.is(runStep(plan, 'links and addresses')?.okExit, undefined, 'a failed address change must fail the apply');
  for (const s of plan.steps) if (s.phase === 'conntrack') assert.is(s.kind === 'run' && s.okExit, 'any', 'nothing to flush is fine');
});

test('addresses: a prefix change is a delete and an add of the same address, without a conntrack flush', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  const a = link(facts, 'eth2').addresses.find((x) => x.address === '10.0.0.1');
  if (!a) throw new Error('fixture');
  a.prefixLength = 16;
  const plan = planConfiguration(model, files, facts);
  assert.equal(lines(plan), [
    'addresses run links and addresses: ip -batch - <<< address del 10.0.0.1/16 dev eth2; address add 10.0.0.1/24 brd + dev eth2',
    // the kernel flushed the IPv4 routes through eth2 with the old address: none are the agent's, nothing to re-assert
    'announce announce arping -U -c 1 -I eth2 10.0.0.1',
  ]);
});

test('addresses: IPv6 ones are added without DAD and not announced; link-local ones are never touched', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  link(facts, 'eth2').addresses = link(facts, 'eth2').addresses.filter((x) => x.family === 4 || x.scope === 'link');
  link(facts, 'eth1').addresses.push({ address: 'fe80::1234', prefixLength: 64, family: 6, scope: 'link' });
  const plan = planConfiguration(model, files, facts);
  assert.equal(lines(plan), ['addresses run links and addresses: ip -batch - <<< address add fdc3:6ee6:d81f:ede::1/64 nodad dev eth2']);
});

test('links the configuration does not name, and never named: addresses, link state and routes are left alone', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  facts.links.push({ ...nic(40, 'eth7', 9000, ['192.0.2.7/24']), up: false, operstate: 'down' });
  facts.routes.push({ family: 4, dst: '198.51.100.0/24', gateway: '192.0.2.1', dev: 'eth7', protocol: 'static' });
  assert.equal(lines(planConfiguration(model, files, facts)), []);
});

test('addresses: one with a finite lifetime (SLAAC, DHCP) is made permanent, the others left alone', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  const mgmt = link(facts, 'eth0').addresses.find((a) => a.address.startsWith('fdca:'));
  if (!mgmt) throw new Error('fixture');
  mgmt.permanent = false;
  const plan = planConfiguration(model, files, facts);
  assert.equal(lines(plan), [
    'addresses run links and addresses: ip -batch - <<< address replace fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1/64 nodad dev eth0 valid_lft forever preferred_lft forever',
  ]);
});

test('addresses: a NIC the configuration no longer names loses its addresses (A then B leaves the host as B)', () => {
  const full = build(input('seed-example'));
  const body = input('seed-example');
  body.networks = body.networks.slice(0, 2);
  const smaller = build(body);
  const facts = seedHost(full.files);
  facts.links.push({ ...nic(50, 'eth0.42', 1500, ['198.51.100.9/24']), kind: 'vlan' });
  assert.equal(
    linesOfAddresses(planConfiguration(smaller.model, smaller.files, facts)),
    [],
    'without a previous configuration nothing is the agent\u2019s to remove',
  );
  const plan = planConfiguration(smaller.model, smaller.files, facts, { previous: full.model });
  // an address the agent never configured (on eth0.42) stays; the link-local one too
  assert.equal(
    linesOfAddresses(plan),
    [
      'addresses run links and addresses: ip -batch - <<< address del 10.0.0.1/24 dev eth2; address del fdc3:6ee6:d81f:ede::1/64 dev eth2',
      'conntrack run conntrack flush: conntrack -D -d 10.0.0.1',
      'conntrack run conntrack flush: conntrack -D -q 10.0.0.1',
      'conntrack run conntrack flush: conntrack -D -d fdc3:6ee6:d81f:ede::1',
      'conntrack run conntrack flush: conntrack -D -q fdc3:6ee6:d81f:ede::1',
    ],
    show(plan),
  );
  // applied, the host is as B alone
  const after = applyPlan(facts, plan);
  assert.equal(linesOfAddresses(planConfiguration(smaller.model, smaller.files, after, { previous: smaller.model })), []);
  assert.equal(
    link(after, 'eth2').addresses.map((a) => a.address),
    ['fe80::f816:3eff:fe00:04'],
  );
});

const linesOfAddresses = (plan: Parameters<typeof lines>[0]) =>
  lines(plan).filter((l) => l.startsWith('addresses ') || l.startsWith('conntrack '));

// ---------------------------------------------------------------------------
// Floating IPs

test('floating IP: added as an address on the external link, with its subnet prefix, and announced', () => {
  const { model, files } = build(input('floating-ips'));
  const facts = floatingIpsHost(files);
  link(facts, 'eth1').addresses = link(facts, 'eth1').addresses.filter((a) => a.address !== '172.24.4.21');
  assert.equal(lines(planConfiguration(model, files, facts)), [
    'addresses run links and addresses: ip -batch - <<< address add 172.24.4.21/24 brd + dev eth1',
    'announce announce arping -U -c 1 -I eth1 172.24.4.21',
  ]);
});

test('floating IP: removal deletes the address and flushes its connections after the new NAT rules are loaded', () => {
  const before = build(input('floating-ips'));
  const body = input('floating-ips');
  body.floating_ips = body.floating_ips.filter((f: { floating_ip: string }) => f.floating_ip !== '172.24.4.13');
  const after = build(body);
  // the host still carries the old configuration; only the IPv4 rules change
  const plan = planConfiguration(after.model, after.files, floatingIpsHost(before.files));
  assert.equal(lines(plan), [
    'check check iptables-restore: iptables-restore --test < stdin',
    'files write etc/iptables/rules.v4 mode 0600',
    // the kernel may have flushed the routes through eth1 with the address: they are re-asserted
    'addresses run links and addresses + routes: ip -batch - <<< address del 172.24.4.13/24 dev eth1; route replace default via 172.24.4.1 dev eth1 proto static',
    'firewall run firewall v4: iptables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v4',
    'conntrack run conntrack flush: conntrack -D -d 172.24.4.13',
    'conntrack run conntrack flush: conntrack -D -q 172.24.4.13',
  ]);
});

// ---------------------------------------------------------------------------
// Links

test('MTU: a link whose MTU differs is set; a network without MTU leaves the link as it is', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  link(facts, 'eth2').mtu = 1500;
  assert.equal(lines(planConfiguration(model, files, facts)), [
    'addresses run links and addresses: ip -batch - <<< link set dev eth2 mtu 1450',
  ]);

  const noMtu = build(input('no-external'));
  assert.equal(
    noMtu.model.networks.filter((n) => n.mtu === null).map((n) => n.ifname),
    ['eth1', 'eth2'],
    'fixture: networks without MTU',
  );
  const fresh = bareHost(noMtu.model);
  const configured = applyPlan(fresh, planConfiguration(noMtu.model, noMtu.files, fresh));
  link(configured, 'eth1').mtu = 9000;
  link(configured, 'eth2').mtu = 1280;
  assert.equal(lines(planConfiguration(noMtu.model, noMtu.files, configured)), []);
});

test('links: a link that is down is brought up, before any address is added', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  link(facts, 'eth2').up = false;
  link(facts, 'eth2').addresses = [];
  assert.equal(lines(planConfiguration(model, files, facts)), [
    'addresses run links and addresses: ip -batch - <<< link set dev eth2 up; ' +
      'address add 10.0.0.1/24 brd + dev eth2; address add fdc3:6ee6:d81f:ede::1/64 nodad dev eth2',
    'announce announce arping -U -c 1 -I eth2 10.0.0.1',
  ]);
});

test.run();
