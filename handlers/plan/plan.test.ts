// planConfiguration as a whole: a fresh host's plan, written out; convergence
// (a host the plan was applied to needs nothing more) for every golden case;
// force; summarise. No root, no processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Facts } from '../../features/kit/facts.ts';
import { goldenCases } from '../../test/golden-cases.ts';
import { applyPlan, bareHost, build, floatingIpsHost, hostRoutesHost, input, lines, seedHost, show } from '../../test/plan-facts.ts';
import { fuseIpBatches, planConfiguration, type Step, summarise } from './plan.ts';

// ---------------------------------------------------------------------------
// Nothing to do

for (const name of goldenCases()) {
  test(`empty plan when the host already matches: a fresh host after its plan (${name})`, () => {
    const { model, files } = build(input(name));
    const fresh = bareHost(model);
    const first = planConfiguration(model, files, fresh);
    assert.ok(first.steps.length >= files.length, `a fresh host needs at least every file: ${show(first)}`);
    const plan = planConfiguration(model, files, applyPlan(fresh, first));
    assert.equal(lines(plan), []);
    assert.equal(summarise(plan), {});
  });
}

for (const [name, host] of [
  ['seed-example', seedHost],
  ['host-routes-stateful-v6', hostRoutesHost],
  ['floating-ips', floatingIpsHost],
] as const) {
  test(`empty plan when the host already matches: the written-out host (${name})`, () => {
    const { model, files } = build(input(name));
    const plan = planConfiguration(model, files, host(files));
    assert.equal(lines(plan), []);
  });

  test(`a fresh host after its plan is the written-out host, kernel-made state aside (${name})`, () => {
    const { model, files } = build(input(name));
    const view = (f: Facts) => ({
      links: f.links.map((l) => ({
        ifname: l.ifname,
        mtu: l.mtu,
        up: l.up,
        addresses: l.addresses
          .filter((a) => a.scope === 'global')
          .map((a) => `${a.address}/${a.prefixLength}`)
          .sort(),
      })),
      routes: f.routes.filter((r) => r.protocol === 'static').map((r) => `${r.family} ${r.dst} via ${r.gateway} dev ${r.dev}`),
      files: f.files,
      sysctls: f.sysctls,
      hostname: f.hostname,
      services: Object.keys(f.services).filter((k) => f.services[k]?.running),
    });
    const fresh = bareHost(model);
    assert.equal(view(applyPlan(fresh, planConfiguration(model, files, fresh))), view(host(files)));
  });
}

test('a fresh host gets checks, every file, hostname, sysctls, links and addresses, routes, firewall, services, then announcements', () => {
  const { model, files } = build(input('seed-example'));
  const plan = planConfiguration(model, files, bareHost(model));
  assert.equal(lines(plan), [
    'check check iptables-restore: iptables-restore --test < stdin',
    'check check ip6tables-restore: ip6tables-restore --test < stdin',
    'check check dnsmasq: dnsmasq --test --conf-file={tmp}/dnsmasq.conf',
    'check check bird6: bird6 -p -c {tmp}/bird6.conf',
    'files write etc/hostname mode 0644',
    'files write etc/hosts mode 0644',
    'files write etc/iptables/rules.v4 mode 0600',
    'files write etc/iptables/rules.v6 mode 0600',
    'files write etc/dnsmasq/dnsmasq.conf mode 0644',
    'files write etc/dnsmasq/dhcp-hosts mode 0644',
    'files write etc/dnsmasq/dhcp-opts mode 0644',
    'files write etc/bird/bird6.conf mode 0644',
    'files write etc/metadata.json mode 0644',
    'system hostname ak-d22b149cee9b4eac8349c517eda00b89',
    'sysctl sysctl net/ipv4/ip_forward=1',
    'sysctl sysctl net/ipv6/conf/all/forwarding=1',
    'sysctl sysctl net/ipv6/conf/eth0/accept_dad=0',
    'sysctl sysctl net/ipv4/conf/eth0/arp_notify=1',
    'sysctl sysctl net/ipv4/conf/eth0/promote_secondaries=1',
    'sysctl sysctl net/ipv4/conf/eth1/arp_notify=1',
    'sysctl sysctl net/ipv4/conf/eth1/promote_secondaries=1',
    'sysctl sysctl net/ipv6/conf/eth2/accept_dad=0',
    'sysctl sysctl net/ipv4/conf/eth2/arp_notify=1',
    'sysctl sysctl net/ipv4/conf/eth2/promote_secondaries=1',
    'addresses run links and addresses + routes: ip -batch - <<< link set dev eth0 mtu 1450; link set dev eth0 up; link set dev eth1 up; ' +
      'link set dev eth2 mtu 1450; link set dev eth2 up; address add fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1/64 nodad dev eth0; ' +
      'address add 172.24.4.3/24 brd + dev eth1; address add 2001:db8::3/64 nodad dev eth1; ' +
      'address add 10.0.0.1/24 brd + dev eth2; address add fdc3:6ee6:d81f:ede::1/64 nodad dev eth2; route replace default via 172.24.4.1 dev eth1 proto static; route replace ::/0 via 2001:db8::2 dev eth1 proto static',
    'firewall run firewall v4: iptables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v4',
    'firewall run firewall v6: ip6tables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v6',
    'services daemon dnsmasq start: dnsmasq --keep-in-foreground --conf-file=/var/lib/appliance/etc/dnsmasq/dnsmasq.conf ' +
      '--pid-file=/var/lib/appliance/run/dnsmasq.pid --dhcp-leasefile=/var/lib/appliance/var/dnsmasq.leases --log-facility=- --log-dhcp',
    'services daemon bird6 start: bird6 -f -c /var/lib/appliance/etc/bird/bird6.conf -s /var/lib/appliance/run/bird6.ctl -P /var/lib/appliance/run/bird6.pid',
    'services metadata listeners eth2=10.0.0.1:9602',
    'announce announce arping -U -c 1 -I eth1 172.24.4.3',
    'announce announce arping -U -c 1 -I eth2 10.0.0.1',
  ]);
  assert.equal(summarise(plan), {
    check: 4,
    'write-file': 9,
    hostname: 1,
    sysctl: 10,
    'run:links': 1,
    'run:firewall': 2,
    'daemon:dnsmasq:start': 1,
    'daemon:bird6:start': 1,
    metadata: 1,
    announce: 2,
  });
});

test('the root option puts every path in argv under it', () => {
  const { model, files } = build(input('seed-example'), '/srv/r1');
  const facts = seedHost(files);
  facts.services = {};
  const plan = planConfiguration(model, files, facts, { root: '/srv/r1', force: true });
  assert.equal(lines(plan), [
    'firewall run firewall v4: iptables-restore -w 5 /srv/r1/etc/iptables/rules.v4',
    'firewall run firewall v6: ip6tables-restore -w 5 /srv/r1/etc/iptables/rules.v6',
    'services daemon dnsmasq start: dnsmasq --keep-in-foreground --conf-file=/srv/r1/etc/dnsmasq/dnsmasq.conf ' +
      '--pid-file=/srv/r1/run/dnsmasq.pid --dhcp-leasefile=/srv/r1/var/dnsmasq.leases --log-facility=- --log-dhcp',
    'services daemon bird6 start: bird6 -f -c /srv/r1/etc/bird/bird6.conf -s /srv/r1/run/bird6.ctl -P /srv/r1/run/bird6.pid',
    'services metadata listeners eth2=10.0.0.1:9602',
  ]);
});

// ---------------------------------------------------------------------------
// force

test('force reloads firewall and services without rewriting anything', () => {
  const { model, files } = build(input('seed-example'));
  const plan = planConfiguration(model, files, seedHost(files), { force: true });
  assert.equal(lines(plan), [
    'firewall run firewall v4: iptables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v4',
    'firewall run firewall v6: ip6tables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v6',
    'services signal dnsmasq SIGHUP',
    'services run bird6 reconfigure: birdc6 -s /var/lib/appliance/run/bird6.ctl configure',
    'services metadata listeners eth2=10.0.0.1:9602',
  ]);
  assert.equal(summarise(plan), { 'run:firewall': 2, 'signal:dnsmasq': 1, 'run:bird6': 1, metadata: 1 });
});

test('force still starts what is not running and restarts dnsmasq for a changed main file', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  facts.files['etc/dnsmasq/dnsmasq.conf'] = 'an older digest';
  facts.services.bird6 = { running: false, pid: null };
  const plan = planConfiguration(model, files, facts, { force: true });
  assert.equal(
    lines(plan),
    [
      'check check dnsmasq: dnsmasq --test --conf-file={tmp}/dnsmasq.conf',
      'files write etc/dnsmasq/dnsmasq.conf mode 0644',
      'firewall run firewall v4: iptables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v4',
      'firewall run firewall v6: ip6tables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v6',
      'services daemon dnsmasq restart: dnsmasq --keep-in-foreground --conf-file=/var/lib/appliance/etc/dnsmasq/dnsmasq.conf ' +
        '--pid-file=/var/lib/appliance/run/dnsmasq.pid --dhcp-leasefile=/var/lib/appliance/var/dnsmasq.leases --log-facility=- --log-dhcp',
      'services daemon bird6 start: bird6 -f -c /var/lib/appliance/etc/bird/bird6.conf -s /var/lib/appliance/run/bird6.ctl -P /var/lib/appliance/run/bird6.pid',
      'services metadata listeners eth2=10.0.0.1:9602',
    ],
    show(plan),
  );
});

test('neighbouring strict ip batches are one process; a tolerant (-force) batch or any other run is never merged in', () => {
  const ip = (phase: Step['phase'], reason: string, input: string): Extract<Step, { kind: 'run' }> => ({
    phase,
    kind: 'run',
    reason,
    argv: ['ip', '-batch', '-'],
    input,
  });
  const stale: Step = {
    phase: 'stale-routes',
    kind: 'run',
    reason: 'stale routes',
    argv: ['ip', '-force', '-batch', '-'],
    input: 'route del x\n',
    okExit: 'any',
  };
  const firewall: Step = { phase: 'firewall', kind: 'run', reason: 'firewall v4', argv: ['iptables-restore', 'f'], counts: 'firewall' };
  const links = ip('addresses', 'links and addresses', 'link set dev eth1 up\naddress add 10.0.0.1/24 dev eth1\n');
  const routes = ip('routes', 'routes', 'route replace default via 10.0.0.254 dev eth1\n');
  assert.equal(fuseIpBatches([links, routes, firewall]), [
    {
      ...links,
      reason: 'links and addresses + routes',
      input: 'link set dev eth1 up\naddress add 10.0.0.1/24 dev eth1\nroute replace default via 10.0.0.254 dev eth1\n',
    },
    firewall,
  ]);
  // stale routes may fail line by line: they stay their own -force run, between the two
  assert.equal(fuseIpBatches([links, stale, routes]), [links, stale, routes]);
  // an input without a last newline still ends its own line
  assert.equal(fuseIpBatches([{ ...links, input: 'link set dev eth1 up' }, routes])[0], {
    ...links,
    reason: 'links and addresses + routes',
    input: 'link set dev eth1 up\nroute replace default via 10.0.0.254 dev eth1\n',
  });
  // a run that expects other exit codes or output is never merged
  const tolerant = { ...routes, okExit: [0, 2] };
  assert.equal(fuseIpBatches([links, tolerant]), [links, tolerant]);
});

test('force: false is the default', () => {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  facts.hostname = 'debian';
  assert.equal(planConfiguration(model, files, facts, { force: false }), planConfiguration(model, files, facts));
  assert.equal(lines(planConfiguration(model, files, facts, {})), ['system hostname ak-d22b149cee9b4eac8349c517eda00b89']);
});

test.run();
