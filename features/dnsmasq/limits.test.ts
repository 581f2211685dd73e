// The daemons' limits in the schema (limits.ts): a body past one is a 422
// naming its JSON path, a body at it is taken, and the lines the schema
// predicts are the lines the renderer writes. limits-checkers.test.ts runs the
// same bodies through the daemons' own checkers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Model } from '../../schema/model.ts';
import { goldenCases, renderCase } from '../../test/golden-cases.ts';
import { LIMIT_CASES, v6 } from '../../test/limit-cases.ts';
import { accepted, assertIssue, issuesOf, type Json, modelOf, network, seed } from '../../test/schema-kit.ts';
import { DNSMASQ_LINE, dhcpServed, hostLineLength, optionLines } from './limits.ts';
import { renderDnsmasq } from './render.ts';

const PATHS = { hostsFile: '/h', optsFile: '/o' };

/** Every dhcp-option and dhcp-host line of a model, as the checker reads them. */
function checkerLines(m: Model): { options: string[]; hosts: string[] } {
  const { hosts, opts } = renderDnsmasq(m, PATHS);
  const lines = (text: string, prefix: string) =>
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => `${prefix}=${l}`);
  return { options: lines(opts, 'dhcp-option'), hosts: lines(hosts, 'dhcp-host') };
}

const longest = (lines: string[]) => Math.max(0, ...lines.map((l) => l.length));

for (const c of LIMIT_CASES) {
  test(`limit: ${c.name}`, () => {
    const at = accepted(c.at());
    if (c.longest) {
      const { options, hosts } = checkerLines(at.model);
      assert.is(longest([...options, ...hosts]), c.longest, 'the body sits exactly at the limit');
    }
    const issue = assertIssue(issuesOf(c.over()), c.path);
    assert.ok(issue.message.length < 300, issue.message);
  });
}

test('the bodies of the issue: 1,000 DNS servers and 1,000 host routes are refused at their lists', () => {
  const dns = seed();
  dns.networks[2].subnets[0].dns_nameservers = Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.53`);
  assertIssue(issuesOf(dns), 'networks.2.subnets.0.dns_nameservers');
  const routes = seed();
  routes.networks[2].subnets[0].host_routes = Array.from({ length: 1000 }, (_, i) => ({
    destination: `172.16.${i >> 8}.${i & 255}/32`,
    nexthop: '10.0.0.254',
  }));
  assertIssue(issuesOf(routes), 'networks.2.subnets.0.host_routes');
});

test('limits hold where dnsmasq serves: a subnet without DHCP may list more DNS servers', () => {
  const b = seed();
  b.networks[2].subnets[0].dhcp_enabled = false;
  b.networks[2].subnets[0].dns_nameservers = Array.from({ length: 100 }, (_, i) => `10.1.0.${i + 1}`);
  assert.is(network(modelOf(b), 'ge2').subnets[0]?.dnsServers.length, 100);
});

test('an address is allocated once: IPv6 too, and across networks; the same host listed twice is one host', () => {
  const v6dup = seed();
  v6dup.networks[2].allocations[2].ip_addresses = { '10.0.0.4': true, 'fdc3:6ee6:d81f:ede:f816:3eff:fe3d:aad8': true };
  assertIssue(issuesOf(v6dup), 'networks.2.allocations.2.ip_addresses.fdc3:6ee6:d81f:ede:f816:3eff:fe3d:aad8');

  const written = seed(); // the key as the body wrote it, not its canonical form
  written.networks[2].allocations[2].ip_addresses = { 'FDC3:6EE6:D81F:EDE:F816:3EFF:FE3D:AAD8': false };
  assertIssue(issuesOf(written), 'networks.2.allocations.2.ip_addresses.FDC3:6EE6:D81F:EDE:F816:3EFF:FE3D:AAD8');

  const across = seed();
  across.networks.push({
    network_id: 'second',
    network_type: 'internal',
    interface: { ifname: 'ge3', addresses: ['10.0.9.1/24'] },
    subnets: [{ cidr: '10.0.9.0/24', dhcp_enabled: true }],
    allocations: [{ mac_address: 'fa:16:3e:00:00:09', hostname: 'x', ip_addresses: { '10.0.0.3': true } }],
  });
  assertIssue(issuesOf(across), 'networks.3.allocations.0.ip_addresses.10.0.0.3');

  const twice = seed();
  twice.networks[2].address_allocations = [structuredClone(twice.networks[2].allocations[1])];
  assert.is(network(modelOf(twice), 'ge2').allocations.length, 4);
});

/** An internal network whose IPv6 router advertisement carries `prefixes` prefixes and `dns` DNS servers. */
function advertised(prefixes: number, dns: number): Json {
  const b = seed();
  const n = b.networks[2];
  n.interface.addresses = ['10.0.0.1/24', ...Array.from({ length: prefixes }, (_, i) => `fd00:${(i + 1).toString(16)}::1/64`)];
  n.subnets[1].dns_nameservers = Array.from({ length: dns }, (_, i) => v6(i, 30));
  return b;
}

test('bird6: prefixes and DNS servers must fit one router advertisement of 1024 bytes', () => {
  // 16 bytes of header, 32 per prefix, 8 + 16 per DNS server
  accepted(advertised(1, 60));
  assertIssue(issuesOf(advertised(1, 61)), 'networks.2.subnets.1.dns_nameservers');
  accepted(advertised(2, 58));
  assertIssue(issuesOf(advertised(2, 59)), 'networks.2.subnets.1.dns_nameservers');
  accepted(advertised(31, 0));
  assertIssue(issuesOf(advertised(32, 0)), 'networks.2.interface.addresses');
  // the same server in two subnets is advertised once
  const b = advertised(1, 60);
  b.networks[2].subnets.push({ cidr: 'fd00:1::/64', dns_nameservers: b.networks[2].subnets[1].dns_nameservers });
  accepted(b);
});

test('the schema predicts the dnsmasq lines the renderer writes, on every golden case', () => {
  let seen = 0;
  for (const name of goldenCases()) {
    const { model } = renderCase(name).parsed;
    const predicted: number[] = [];
    const hosts: number[] = [];
    for (const n of [...model.internal, ...model.isolated]) {
      n.subnets.forEach((s, i) => {
        if (dhcpServed(s)) predicted.push(...optionLines(n, s, i).map((l) => l.chars));
      });
      for (const a of n.allocations) if (hostLineLength(n, a) > 0) hosts.push(hostLineLength(n, a));
    }
    const rendered = checkerLines(model);
    // the router option is short and fixed: the schema leaves it out
    const options = rendered.options.filter((l) => !l.includes(',option:router')).map((l) => l.length);
    const byNumber = (a: number, b: number) => a - b;
    assert.equal(predicted.sort(byNumber), options.sort(byNumber), `${name}: option lines`);
    assert.equal(hosts.sort(byNumber), rendered.hosts.map((l) => l.length).sort(byNumber), `${name}: host lines`);
    seen += predicted.length + hosts.length;
    assert.ok(longest([...rendered.options, ...rendered.hosts]) <= DNSMASQ_LINE, name);
  }
  assert.ok(seen > 20, `only ${seen} lines compared`);
});

test.run();
