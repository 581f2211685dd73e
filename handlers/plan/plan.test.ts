// planConfiguration on plain objects: a model from a golden payload, its
// rendered files, and hand-made host facts. No root, no processes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FILES, type RenderedFile, renderAll } from '../renderers/index.ts';
import type { Model } from '../schema/model.ts';
import { defaultInterfaceMap, parseConfiguration } from '../schema/parse.ts';
import { cidrContains } from '../schema/syntax.ts';
import { goldenCases, testdataDir } from '../test/golden-cases.ts';
import type { Facts, LinkFact, RouteFact } from './facts.ts';
import { type Plan, planConfiguration, type Step, sha256, summarise } from './plan.ts';

const ROOT = '/var/lib/appliance';

// ---------------------------------------------------------------------------
// Fixtures

// biome-ignore lint/suspicious/noExplicitAny: payloads are edited freely
function input(name: string): any {
  return JSON.parse(readFileSync(path.join(testdataDir, name, 'input.json'), 'utf8'));
}

function build(body: unknown): { model: Model; files: RenderedFile[] } {
  const parsed = parseConfiguration(body, defaultInterfaceMap());
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return { model: parsed.model, files: renderAll(parsed.model, ROOT) };
}

function digests(files: RenderedFile[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.path, sha256(f.content)]));
}

/** The sysctls the plan manages, all at their wanted values. */
function wantedSysctls(m: Model): Record<string, string> {
  const out: Record<string, string> = { 'net/ipv4/ip_forward': '1', 'net/ipv6/conf/all/forwarding': '1' };
  for (const n of m.networks) {
    if (n.type !== 'external') out[`net/ipv6/conf/${n.ifname}/accept_dad`] = '0';
    out[`net/ipv4/conf/${n.ifname}/arp_notify`] = '1';
    out[`net/ipv4/conf/${n.ifname}/promote_secondaries`] = '1';
  }
  return out;
}

/** Host facts exactly as the model wants them, as runtime/facts.ts would report them. */
function matchingFacts(m: Model, files: RenderedFile[]): Facts {
  const links: LinkFact[] = [
    {
      ifindex: 1,
      ifname: 'lo',
      mac: '00:00:00:00:00:00',
      mtu: 65536,
      up: true,
      operstate: 'unknown',
      linkType: 'loopback',
      kind: null,
      addresses: [
        { address: '127.0.0.1', prefixLength: 8, family: 4, scope: 'host' },
        { address: '::1', prefixLength: 128, family: 6, scope: 'host' },
      ],
    },
  ];
  const routes: RouteFact[] = [];
  for (const n of m.networks) {
    const own = n.addresses.map((a) => ({ address: a.address, prefixLength: a.prefixLength, family: a.family, scope: 'global' }));
    const fips = n.floatingIps
      .filter((f) => !own.some((a) => a.address === f.floating))
      .map((f) => ({ address: f.floating, prefixLength: f.prefixLength, family: f.family, scope: 'global' }));
    links.push({
      ifindex: 2 + n.index,
      ifname: n.ifname,
      mac: `fa:16:3e:00:00:${(16 + n.index).toString(16).padStart(2, '0')}`,
      mtu: n.mtu ?? 1500,
      up: true,
      operstate: 'up',
      linkType: 'ether',
      kind: 'veth',
      addresses: [
        ...own,
        ...fips,
        // the kernel's own link-local address is never the agent's business
        { address: `fe80::f816:3eff:fe00:${n.index}`, prefixLength: 64, family: 6, scope: 'link' },
      ],
    });
    for (const s of n.subnets) routes.push({ family: s.family, dst: s.cidr, gateway: null, dev: n.ifname, protocol: 'kernel' });
    routes.push({ family: 6, dst: 'fe80::/64', gateway: null, dev: n.ifname, protocol: 'kernel' });
  }
  if (m.defaultV4Gateway)
    routes.push({ family: 4, dst: 'default', gateway: m.defaultV4Gateway.address, dev: m.defaultV4Gateway.ifname, protocol: 'static' });
  if (m.defaultV6Gateway)
    routes.push({ family: 6, dst: 'default', gateway: m.defaultV6Gateway.address, dev: m.defaultV6Gateway.ifname, protocol: 'static' });
  const seen = new Set<string>();
  for (const n of m.networks) {
    for (const s of n.subnets) {
      for (const r of s.hostRoutes) {
        if (seen.has(r.destination)) continue;
        seen.add(r.destination);
        // the router installs neither a /0 host route nor one whose next hop is off-link
        if (r.destination.endsWith('/0')) continue;
        if (!n.addresses.some((a) => a.family === r.family && cidrContains(a.address, a.prefixLength, r.nexthop))) continue;
        routes.push({ family: r.family, dst: r.destination, gateway: r.nexthop, dev: n.ifname, protocol: 'static' });
      }
    }
  }
  return {
    links,
    routes,
    files: digests(files),
    sysctls: wantedSysctls(m),
    hostname: m.hostname,
    services: {
      dnsmasq: { running: true, pid: 200 },
      bird6: { running: true, pid: 201 },
      metadata: { running: true, pid: 1 },
    },
  };
}

function link(facts: Facts, ifname: string): LinkFact {
  const l = facts.links.find((x) => x.ifname === ifname);
  if (!l) throw new Error(`no link ${ifname} in the facts`);
  return l;
}

function batches(plan: Plan, reason?: string): Extract<Step, { kind: 'ip-batch' }>[] {
  return plan.steps.filter(
    (s): s is Extract<Step, { kind: 'ip-batch' }> => s.kind === 'ip-batch' && (reason === undefined || s.reason === reason),
  );
}

function commands(plan: Plan, reason?: string): string[] {
  return batches(plan, reason).flatMap((b) => b.commands);
}

function services(plan: Plan, name?: string): string[] {
  return plan.steps
    .filter((s): s is Extract<Step, { kind: 'service' }> => s.kind === 'service' && (name === undefined || s.name === name))
    .map((s) => `${s.name} ${s.action}`);
}

function indexOf(plan: Plan, pred: (s: Step) => boolean): number {
  return plan.steps.findIndex(pred);
}

const show = (plan: Plan) =>
  JSON.stringify(
    plan.steps.map((s) => (s.kind === 'write-file' ? { kind: s.kind, path: s.path } : s)),
    null,
    1,
  );

// ---------------------------------------------------------------------------
// Nothing to do

for (const name of goldenCases()) {
  test(`empty plan when the host already matches (${name})`, () => {
    const { model, files } = build(input(name));
    const plan = planConfiguration(model, files, matchingFacts(model, files));
    assert.equal(plan.steps, [], show(plan));
    assert.equal(summarise(plan), {});
  });
}

test('a fresh host gets every file, then kernel state, then services', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  facts.files = {};
  facts.services = {};
  facts.hostname = 'debian';
  facts.sysctls = {};
  for (const l of facts.links) if (l.linkType === 'ether') l.addresses = [];
  facts.routes = [];
  const plan = planConfiguration(model, files, facts);
  const kinds = plan.steps.map((s) => s.kind);
  assert.equal(
    plan.steps
      .filter((s) => s.kind === 'write-file')
      .map((s) => (s as { path: string }).path)
      .sort(),
    Object.values(FILES).sort(),
  );
  // order: files, hostname, sysctls, links and addresses, routes, firewall, services, announcements
  const firstOf = (k: Step['kind']) => kinds.indexOf(k);
  const lastOf = (k: Step['kind']) => kinds.lastIndexOf(k);
  assert.ok(lastOf('write-file') < firstOf('hostname'), show(plan));
  assert.ok(firstOf('hostname') < firstOf('sysctl'));
  assert.ok(lastOf('sysctl') < indexOf(plan, (s) => s.kind === 'ip-batch' && s.reason === 'links and addresses'));
  assert.ok(
    indexOf(plan, (s) => s.kind === 'ip-batch' && s.reason === 'links and addresses') <
      indexOf(plan, (s) => s.kind === 'ip-batch' && s.reason === 'routes'),
  );
  assert.ok(indexOf(plan, (s) => s.kind === 'ip-batch' && s.reason === 'routes') < firstOf('iptables-restore'));
  assert.ok(lastOf('iptables-restore') < firstOf('service'));
  assert.ok(lastOf('service') < firstOf('garp'));
  assert.equal(services(plan), ['dnsmasq start', 'bird6 start', 'metadata reload']);
  assert.equal(
    plan.steps.filter((s) => s.kind === 'garp'),
    [
      { kind: 'garp', ifname: 'eth1', address: '172.24.4.3' },
      { kind: 'garp', ifname: 'eth2', address: '10.0.0.1' },
    ],
  );
});

// ---------------------------------------------------------------------------
// Addresses

test('addresses: deletes come before adds, across all links', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  // eth1 misses its IPv4 address; eth2 (a later link) carries a stale one
  link(facts, 'eth1').addresses = link(facts, 'eth1').addresses.filter((a) => a.address !== '172.24.4.3');
  link(facts, 'eth2').addresses.push({ address: '10.0.0.99', prefixLength: 24, family: 4, scope: 'global' });
  const plan = planConfiguration(model, files, facts);
  const cmds = commands(plan, 'links and addresses');
  assert.equal(cmds, ['address del 10.0.0.99/24 dev eth2', 'address add 172.24.4.3/24 brd + dev eth1'], show(plan));
  assert.equal(batches(plan).length, 1);
  assert.not.ok(batches(plan)[0]?.tolerant, 'a failed address change must fail the apply');
  // the stale address went away: its connections are flushed; the new one is announced
  assert.equal(
    plan.steps.filter((s) => s.kind === 'conntrack-flush'),
    [{ kind: 'conntrack-flush', address: '10.0.0.99' }],
  );
  assert.equal(
    plan.steps.filter((s) => s.kind === 'garp'),
    [{ kind: 'garp', ifname: 'eth1', address: '172.24.4.3' }],
  );
});

test('addresses: a prefix change is a delete and an add of the same address, without a conntrack flush', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  const a = link(facts, 'eth2').addresses.find((x) => x.address === '10.0.0.1');
  if (!a) throw new Error('fixture');
  a.prefixLength = 16;
  const plan = planConfiguration(model, files, facts);
  assert.equal(commands(plan), ['address del 10.0.0.1/16 dev eth2', 'address add 10.0.0.1/24 brd + dev eth2'], show(plan));
  assert.equal(
    plan.steps.filter((s) => s.kind === 'conntrack-flush'),
    [],
  );
});

test('addresses: IPv6 ones are added without DAD, link-local ones are never touched', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  link(facts, 'eth2').addresses = link(facts, 'eth2').addresses.filter((x) => x.family === 4 || x.scope === 'link');
  link(facts, 'eth1').addresses.push({ address: 'fe80::1234', prefixLength: 64, family: 6, scope: 'link' });
  const plan = planConfiguration(model, files, facts);
  assert.equal(commands(plan), ['address add fdc3:6ee6:d81f:ede::1/64 nodad dev eth2'], show(plan));
  assert.equal(
    plan.steps.filter((s) => s.kind === 'garp'),
    [],
    'no gratuitous ARP for IPv6',
  );
});

test('links the configuration does not name, and never named: addresses, link state and routes are left alone', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  facts.links.push({
    ifindex: 40,
    ifname: 'eth7',
    mac: 'fa:16:3e:00:00:77',
    mtu: 9000,
    up: false,
    operstate: 'down',
    linkType: 'ether',
    kind: 'veth',
    addresses: [{ address: '192.0.2.7', prefixLength: 24, family: 4, scope: 'global' }],
  });
  facts.routes.push({ family: 4, dst: '198.51.100.0/24', gateway: '192.0.2.1', dev: 'eth7', protocol: 'static' });
  const plan = planConfiguration(model, files, facts);
  assert.equal(plan.steps, [], show(plan));
});

// ---------------------------------------------------------------------------
// Floating IPs

test('floating IP: added as an address on the external link, with its subnet prefix, and announced', () => {
  const body = input('floating-ips');
  const { model, files } = build(body);
  const facts = matchingFacts(model, files);
  link(facts, 'eth1').addresses = link(facts, 'eth1').addresses.filter((a) => a.address !== '172.24.4.21');
  const plan = planConfiguration(model, files, facts);
  assert.equal(commands(plan), ['address add 172.24.4.21/24 brd + dev eth1'], show(plan));
  assert.equal(
    plan.steps.filter((s) => s.kind === 'garp'),
    [{ kind: 'garp', ifname: 'eth1', address: '172.24.4.21' }],
  );
  assert.equal(
    plan.steps.filter((s) => s.kind === 'conntrack-flush'),
    [],
  );
});

test('floating IP: removal deletes the address and flushes its connections after the new rules are loaded', () => {
  const before = build(input('floating-ips'));
  const body = input('floating-ips');
  body.floating_ips = body.floating_ips.filter((f: { floating_ip: string }) => f.floating_ip !== '172.24.4.13');
  const after = build(body);
  // the host still carries the old configuration
  const facts = matchingFacts(before.model, before.files);
  const plan = planConfiguration(after.model, after.files, facts);
  assert.equal(commands(plan, 'links and addresses'), ['address del 172.24.4.13/24 dev eth1'], show(plan));
  assert.equal(
    plan.steps.filter((s) => s.kind === 'conntrack-flush'),
    [{ kind: 'conntrack-flush', address: '172.24.4.13' }],
  );
  const del = indexOf(plan, (s) => s.kind === 'ip-batch' && s.reason === 'links and addresses');
  const v4 = indexOf(plan, (s) => s.kind === 'iptables-restore' && s.family === 4);
  const flush = indexOf(plan, (s) => s.kind === 'conntrack-flush');
  assert.ok(v4 >= 0, 'the NAT rules changed: iptables v4 is reloaded');
  assert.ok(del < flush && v4 < flush, show(plan));
  assert.equal(
    plan.steps.filter((s) => s.kind === 'iptables-restore').map((s) => (s as { family: number }).family),
    [4],
    'the IPv6 rules did not change',
  );
});

// ---------------------------------------------------------------------------
// Links

test('MTU: a link whose MTU differs is set; a network without MTU leaves the link as it is', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  link(facts, 'eth2').mtu = 1500;
  const plan = planConfiguration(model, files, facts);
  assert.equal(commands(plan), ['link set dev eth2 mtu 1450'], show(plan));

  const noMtu = build(input('no-external'));
  assert.ok(
    noMtu.model.networks.some((n) => n.mtu === null),
    'fixture: a network without MTU',
  );
  const f2 = matchingFacts(noMtu.model, noMtu.files);
  for (const n of noMtu.model.networks) if (n.mtu === null) link(f2, n.ifname).mtu = 9000;
  assert.equal(planConfiguration(noMtu.model, noMtu.files, f2).steps, []);
});

test('links: a link that is down is brought up, before any address is added', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  link(facts, 'eth2').up = false;
  link(facts, 'eth2').addresses = [];
  const plan = planConfiguration(model, files, facts);
  const cmds = commands(plan);
  assert.equal(cmds[0], 'link set dev eth2 up', show(plan));
  assert.equal(cmds.slice(1).sort(), ['address add 10.0.0.1/24 brd + dev eth2', 'address add fdc3:6ee6:d81f:ede::1/64 nodad dev eth2']);
});

// ---------------------------------------------------------------------------
// Routes

test('routes: a missing default route is replaced with proto static, per family', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  facts.routes = facts.routes.filter((r) => r.dst !== 'default');
  const plan = planConfiguration(model, files, facts);
  assert.equal(
    commands(plan, 'routes'),
    ['route replace default via 172.24.4.1 dev eth1 proto static', 'route replace ::/0 via 2001:db8::2 dev eth1 proto static'],
    show(plan),
  );
  assert.equal(batches(plan).length, 1);
});

test('routes: a default route through another gateway is replaced, not deleted first', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  const v4 = facts.routes.find((r) => r.dst === 'default' && r.family === 4);
  if (!v4) throw new Error('fixture');
  v4.gateway = '172.24.4.254';
  const plan = planConfiguration(model, files, facts);
  assert.equal(commands(plan), ['route replace default via 172.24.4.1 dev eth1 proto static'], show(plan));
});

test('routes: stale static routes on managed links are removed; kernel and foreign routes are untouched', () => {
  const body = input('host-routes-stateful-v6');
  const { model, files } = build(body);
  const facts = matchingFacts(model, files);
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
  const stale = batches(plan, 'stale routes');
  assert.equal(stale.length, 1, show(plan));
  assert.equal(stale[0]?.commands, [
    'route del 192.168.99.0/24 via 10.0.0.254 dev eth2',
    'route del fd00:99::/64 via fdc3:6ee6:d81f:ede::fe dev eth2',
  ]);
  assert.ok(stale[0]?.tolerant, 'a stale route may already be gone with its address');
  assert.equal(batches(plan, 'routes'), [], 'the wanted routes are all there');
  // kernel routes are never in any command
  assert.not.ok(commands(plan).some((c) => c.includes('proto kernel') || c.includes('10.0.0.0/24')));
});

test('routes: a host route whose next hop changed is deleted and re-added', () => {
  const body = input('host-routes-stateful-v6');
  const before = build(body);
  body.networks.find((n: { network_type: string }) => n.network_type === 'internal').subnets[0].host_routes[0].nexthop = '10.0.0.253';
  const after = build(body);
  const plan = planConfiguration(after.model, after.files, matchingFacts(before.model, before.files));
  assert.equal(commands(plan, 'stale routes'), ['route del 192.168.200.0/24 via 10.0.0.254 dev eth2'], show(plan));
  assert.equal(commands(plan, 'routes'), ['route replace 192.168.200.0/24 via 10.0.0.253 dev eth2 proto static']);
  assert.ok(
    indexOf(plan, (s) => s.kind === 'ip-batch' && s.reason === 'stale routes') <
      indexOf(plan, (s) => s.kind === 'ip-batch' && s.reason === 'routes'),
  );
});

test('routes: a new address on the gateway link re-asserts the routes through it', () => {
  // Replacing the only IPv4 address of a link leaves it without IPv4 for a
  // moment: the kernel then flushes every IPv4 route through that link,
  // including the default route, which the facts (taken before) still show.
  const body = input('seed-example');
  const before = build(body);
  body.networks[1].interface.addresses = ['172.24.4.5/24', '2001:db8::3/64'];
  const after = build(body);
  const plan = planConfiguration(after.model, after.files, matchingFacts(before.model, before.files));
  assert.equal(
    commands(plan, 'links and addresses'),
    ['address del 172.24.4.3/24 dev eth1', 'address add 172.24.4.5/24 brd + dev eth1'],
    show(plan),
  );
  assert.ok(
    commands(plan, 'routes').includes('route replace default via 172.24.4.1 dev eth1 proto static'),
    `the default route is gone once 172.24.4.3/24 is deleted, and nothing puts it back: ${show(plan)}`,
  );
});

test('routes: a route the agent added without proto static is taken over', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  const v6 = facts.routes.find((r) => r.dst === 'default' && r.family === 6);
  if (!v6) throw new Error('fixture');
  v6.protocol = 'boot';
  const plan = planConfiguration(model, files, facts);
  assert.equal(commands(plan), ['route replace ::/0 via 2001:db8::2 dev eth1 proto static'], show(plan));
});

// ---------------------------------------------------------------------------
// Sysctls and hostname

test('sysctls: only the ones not at their value are written', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  facts.sysctls['net/ipv4/ip_forward'] = '0';
  delete facts.sysctls['net/ipv6/conf/eth2/accept_dad'];
  const plan = planConfiguration(model, files, facts);
  assert.equal(plan.steps, [
    { kind: 'sysctl', key: 'net/ipv4/ip_forward', value: '1' },
    { kind: 'sysctl', key: 'net/ipv6/conf/eth2/accept_dad', value: '0' },
  ]);
});

test('sysctls: DAD stays on for the external network', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  facts.sysctls = {};
  const keys = planConfiguration(model, files, facts).steps.map((s) => (s.kind === 'sysctl' ? s.key : ''));
  assert.ok(keys.includes('net/ipv6/conf/eth0/accept_dad'));
  assert.ok(keys.includes('net/ipv6/conf/eth2/accept_dad'));
  assert.not.ok(keys.includes('net/ipv6/conf/eth1/accept_dad'));
});

test('hostname: set only when it differs', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  facts.hostname = 'localhost';
  assert.equal(planConfiguration(model, files, facts).steps, [{ kind: 'hostname', name: 'ak-d22b149cee9b4eac8349c517eda00b89' }]);
});

// ---------------------------------------------------------------------------
// Services

function withChangedFiles(name: string, changed: string[]) {
  const { model, files } = build(input(name));
  const facts = matchingFacts(model, files);
  for (const p of changed) facts.files[p] = sha256('an older version');
  return { model, files, facts };
}

test('dnsmasq: a changed hosts or options file is a reload (SIGHUP), not a restart', () => {
  for (const changed of [[FILES.dnsmasqHosts], [FILES.dnsmasqOpts], [FILES.dnsmasqHosts, FILES.dnsmasqOpts]]) {
    const { model, files, facts } = withChangedFiles('seed-example', changed);
    const plan = planConfiguration(model, files, facts);
    assert.equal(services(plan), ['dnsmasq reload'], `${changed}: ${show(plan)}`);
    assert.equal(
      plan.steps.filter((s) => s.kind === 'write-file').map((s) => (s as { path: string }).path),
      changed,
    );
  }
});

test('dnsmasq: a changed main file is a restart, whatever else changed', () => {
  for (const changed of [[FILES.dnsmasqConf], [FILES.dnsmasqConf, FILES.dnsmasqHosts, FILES.dnsmasqOpts]]) {
    const { model, files, facts } = withChangedFiles('seed-example', changed);
    assert.equal(services(planConfiguration(model, files, facts)), ['dnsmasq restart'], String(changed));
  }
});

test('dnsmasq: not running is a start, even with nothing changed; running and unchanged is nothing', () => {
  const { model, files, facts } = withChangedFiles('seed-example', []);
  facts.services.dnsmasq = { running: false, pid: null };
  assert.equal(services(planConfiguration(model, files, facts)), ['dnsmasq start']);
  delete facts.services.dnsmasq;
  assert.equal(services(planConfiguration(model, files, facts)), ['dnsmasq start']);
  const changedToo = withChangedFiles('seed-example', [FILES.dnsmasqConf]);
  changedToo.facts.services.dnsmasq = { running: false, pid: 12 };
  assert.equal(services(planConfiguration(changedToo.model, changedToo.files, changedToo.facts)), ['dnsmasq start']);
});

test('dnsmasq: stopped when no tenant network is left', () => {
  const body = input('seed-example');
  body.networks = body.networks.filter((n: { network_type: string }) => n.network_type !== 'internal');
  const { model, files } = build(body);
  const facts = matchingFacts(model, files);
  assert.equal(services(planConfiguration(model, files, facts)), ['dnsmasq stop']);
  facts.services.dnsmasq = { running: false, pid: null };
  assert.equal(services(planConfiguration(model, files, facts)), []);
});

test('bird6: reloaded when its file changed, started when not running, else left alone', () => {
  const changed = withChangedFiles('seed-example', [FILES.bird6]);
  const plan = planConfiguration(changed.model, changed.files, changed.facts);
  assert.equal(services(plan), ['bird6 reload'], show(plan));
  const down = withChangedFiles('seed-example', [FILES.bird6]);
  down.facts.services.bird6 = { running: false, pid: null };
  assert.equal(services(planConfiguration(down.model, down.files, down.facts)), ['bird6 start']);
  const other = withChangedFiles('seed-example', [FILES.hosts, FILES.hostname]);
  assert.equal(services(planConfiguration(other.model, other.files, other.facts)), []);
});

test('metadata proxy: reloaded when its table changed or it is not serving yet', () => {
  const changed = withChangedFiles('seed-example', [FILES.metadata]);
  assert.equal(services(planConfiguration(changed.model, changed.files, changed.facts)), ['metadata reload']);
  const fresh = withChangedFiles('seed-example', []);
  fresh.facts.services.metadata = { running: false, pid: 1 };
  assert.equal(services(planConfiguration(fresh.model, fresh.files, fresh.facts)), ['metadata reload']);
});

test('iptables-restore runs only for the family whose rules file changed', () => {
  const v4 = withChangedFiles('seed-example', [FILES.rulesV4]);
  const p4 = planConfiguration(v4.model, v4.files, v4.facts);
  assert.equal(
    p4.steps.filter((s) => s.kind !== 'write-file'),
    [{ kind: 'iptables-restore', family: 4, path: FILES.rulesV4 }],
    show(p4),
  );
  const v6 = withChangedFiles('seed-example', [FILES.rulesV6]);
  const p6 = planConfiguration(v6.model, v6.files, v6.facts);
  assert.equal(
    p6.steps.filter((s) => s.kind !== 'write-file'),
    [{ kind: 'iptables-restore', family: 6, path: FILES.rulesV6 }],
    show(p6),
  );
  const both = withChangedFiles('seed-example', [FILES.rulesV6, FILES.rulesV4]);
  const pb = planConfiguration(both.model, both.files, both.facts);
  assert.equal(
    pb.steps.filter((s) => s.kind === 'iptables-restore').map((s) => (s as { family: number }).family),
    [4, 6],
  );
});

test('a changed file is written with its rendered content and mode, and nothing else is', () => {
  const { model, files, facts } = withChangedFiles('seed-example', [FILES.rulesV4, FILES.hosts]);
  const writes = planConfiguration(model, files, facts).steps.filter((s) => s.kind === 'write-file');
  const want = files
    .filter((f) => f.path === FILES.rulesV4 || f.path === FILES.hosts)
    .map((f) => ({ kind: 'write-file', path: f.path, content: f.content, mode: f.mode }));
  assert.equal(writes, want);
  assert.equal((writes[0] as { mode: number }).mode, 0o600, 'the firewall rules are not world-readable');
});

// ---------------------------------------------------------------------------
// force

test('force reloads firewall and services without rewriting anything', () => {
  const { model, files } = build(input('seed-example'));
  const plan = planConfiguration(model, files, matchingFacts(model, files), { force: true });
  assert.equal(plan.steps, [
    { kind: 'iptables-restore', family: 4, path: FILES.rulesV4 },
    { kind: 'iptables-restore', family: 6, path: FILES.rulesV6 },
    { kind: 'service', name: 'dnsmasq', action: 'reload' },
    { kind: 'service', name: 'bird6', action: 'reload' },
    { kind: 'service', name: 'metadata', action: 'reload' },
  ]);
  assert.equal(summarise(plan), {
    'iptables-restore': 2,
    'service:dnsmasq:reload': 1,
    'service:bird6:reload': 1,
    'service:metadata:reload': 1,
  });
});

test('force still starts what is not running and restarts dnsmasq for a changed main file', () => {
  const { model, files, facts } = withChangedFiles('seed-example', [FILES.dnsmasqConf]);
  facts.services.bird6 = { running: false, pid: null };
  const plan = planConfiguration(model, files, facts, { force: true });
  assert.equal(services(plan), ['dnsmasq restart', 'bird6 start', 'metadata reload'], show(plan));
});

test('force: false is the default', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  assert.equal(planConfiguration(model, files, facts, { force: false }), planConfiguration(model, files, facts));
  assert.equal(planConfiguration(model, files, facts, {}).steps, []);
});

test('routes: subnet host routes never replace the default route, and off-link next hops are skipped', () => {
  const body = input('seed-example');
  body.networks[2].subnets[0].host_routes = [
    { destination: '0.0.0.0/0', nexthop: '10.0.0.254' },
    { destination: '192.168.50.0/24', nexthop: '192.0.2.1' },
    { destination: '192.168.60.0/24', nexthop: '10.0.0.254' },
  ];
  const { model, files } = build(body);
  const facts = matchingFacts(model, files);
  facts.routes = facts.routes.filter((r) => r.dst !== '192.168.60.0/24');
  const plan = planConfiguration(model, files, facts);
  assert.equal(commands(plan), ['route replace 192.168.60.0/24 via 10.0.0.254 dev eth2 proto static'], show(plan));
});

test('addresses: one with a finite lifetime (SLAAC, DHCP) is made permanent, the others left alone', () => {
  const { model, files } = build(input('seed-example'));
  const facts = matchingFacts(model, files);
  const mgmt = link(facts, 'eth0').addresses.find((a) => a.address.startsWith('fdca:'));
  if (!mgmt) throw new Error('fixture');
  mgmt.permanent = false;
  const plan = planConfiguration(model, files, facts);
  assert.equal(
    commands(plan),
    ['address replace fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1/64 nodad dev eth0 valid_lft forever preferred_lft forever'],
    show(plan),
  );
});

test('addresses: a NIC the configuration no longer names loses its addresses (A then B leaves the host as B)', () => {
  const full = build(input('seed-example'));
  const facts = matchingFacts(full.model, full.files);
  const body = input('seed-example');
  body.networks = body.networks.slice(0, 2);
  const smaller = build(body);
  assert.equal(
    planConfiguration(smaller.model, smaller.files, facts).steps.filter((st) => st.kind === 'ip-batch'),
    [],
    'without a previous configuration nothing is the agent\u2019s to remove',
  );
  facts.links.push({
    ifindex: 50,
    ifname: 'eth0.42',
    mac: 'fa:16:3e:00:00:42',
    mtu: 1500,
    up: true,
    operstate: 'up',
    linkType: 'ether',
    kind: 'vlan',
    addresses: [{ address: '198.51.100.9', prefixLength: 24, family: 4, scope: 'global' }],
  });
  const plan = planConfiguration(smaller.model, smaller.files, facts, { previous: full.model });
  const dels = commands(plan, 'links and addresses');
  assert.not.ok(
    dels.some((c) => c.includes('198.51.100.9')),
    'an address the agent never configured stays',
  );
  assert.ok(dels.includes('address del 10.0.0.1/24 dev eth2'), show(plan));
  assert.ok(dels.includes('address del fdc3:6ee6:d81f:ede::1/64 dev eth2'), show(plan));
  assert.ok(plan.steps.some((s) => s.kind === 'conntrack-flush' && s.address === '10.0.0.1'));
});

test.run();
