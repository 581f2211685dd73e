// Hostile bodies: not an object, a bad "configuration" wrapper, megabytes of
// string or thousands of bad entries (refused with a bounded issue list
// that does not echo the value), and many problems at once (all reported).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertRejected, hostileBase as base, type Case, issuePath, type Json, loadText, parse, setAt } from '../test/schema-kit.ts';
import { MAX_ISSUES } from './issues.ts';

const seedText = loadText('seed-example');

test('a non-object body is rejected at (body)', () => {
  for (const body of [[], [JSON.parse(seedText)], 'x', '{"asn": 1}', '', null, undefined, 42, 0, true, false]) {
    assertRejected(body, '(body)', `body ${JSON.stringify(body)?.slice(0, 30)}`);
  }
});

test('a "configuration" wrapper around a non-object is rejected, not taken as an empty config', () => {
  for (const inner of [[], null, 'x', 42, [JSON.parse(seedText)]]) {
    const r = parse({ configuration: inner });
    assert.not.ok(r.ok, `{"configuration": ${JSON.stringify(inner)?.slice(0, 20)}} was accepted as a configuration`);
    if (!r.ok) {
      assert.ok(
        r.issues.some((i) => ['configuration', '(body)'].includes(i.path) && i.message.length > 0),
        JSON.stringify(r.issues),
      );
    }
  }
});

test('a "configuration" wrapper with a sibling key is not silently taken as an empty config', () => {
  const r = parse({ configuration: JSON.parse(seedText), version: 2 });
  // either unwrap it (and get the seed's networks) or reject it; an empty model would tear down every network
  if (r.ok) assert.is(r.model.networks.length, 3, 'the wrapped networks were dropped');
  else assert.ok(r.issues.length > 0);
});

// ------------------------------------------------------------ size

test('a 5 MB host name is rejected', () => {
  const b = base();
  b.hostname = 'a'.repeat(5_000_000);
  const issues = assertRejected(b, 'hostname', '5 MB hostname');
  for (const i of issues) assert.ok(i.message.length < 1000, 'messages do not echo the value');
});

test('5 MB strings in other fields are rejected', () => {
  const huge = 'a'.repeat(5_000_000);
  const cases: Case[] = [
    ['network_id', 'networks.2.network_id', huge],
    ['ifname', 'networks.2.interface.ifname', huge],
    ['address', 'networks.2.interface.addresses.0', `10.0.0.1/${huge}`],
    ['cidr', 'networks.2.subnets.0.cidr', `${'1:'.repeat(2_500_000)}:/64`],
    ['description', 'networks.2.interface.description', huge],
    ['mac', 'networks.2.allocations.0.mac_address', `fa:${huge}`],
    ['allocation hostname', 'networks.2.allocations.0.hostname', huge],
    ['labels value', 'labels.ext.0', huge],
    ['orchestrator.host', 'orchestrator.host', Array(1_000_000).fill('abcd').join('.')],
  ];
  for (const [name, path, value] of cases) {
    const b = base();
    setAt(b, path, value);
    assertRejected(b, path, `5 MB ${name}`);
  }
});

test('20 000 bad allocations (~5 MB) are rejected with a bounded issue list', () => {
  const b = base();
  const junk = `-${'x'.repeat(200)}`;
  b.networks[2].allocations = Array.from({ length: 20_000 }, (_, i) => ({
    mac_address: `zz:${i}`,
    hostname: junk,
    device_id: ' ',
    ip_addresses: { '1.2.3': true },
  }));
  const size = JSON.stringify(b).length;
  assert.ok(size > 5_000_000, `body is ${size} bytes`);
  const issues = assertRejected(b, 'networks.2.allocations.0.mac_address', '20 000 allocations');
  assert.ok(issues.length <= MAX_ISSUES, `${issues.length} issues`);
  for (const field of ['hostname', 'device_id', 'ip_addresses.1.2.3']) {
    assert.ok(
      issues.some((i) => i.path === `networks.2.allocations.0.${field}`),
      field,
    );
  }
});

test('more list entries than allowed are rejected at the list', () => {
  const b = base();
  b.networks[2].interface.addresses = Array.from({ length: 70_000 }, () => '10.0.0.1/24');
  assertRejected(b, 'networks.2.interface.addresses', '70 000 addresses');
});

// ------------------------------------------------------------ all at once

/** Applies every mutation to one body: the first path must be refused, and every other one reported with it. */
function allAtOnce(label: string, mutations: [path: string, value: unknown][]): void {
  const b: Json = base();
  for (const [path, value] of mutations) setAt(b, path, value);
  const [first, ...rest] = mutations.map(([path]) => issuePath(path));
  const issues = assertRejected(b, first as string, label);
  for (const p of rest)
    assert.ok(
      issues.some((i) => i.path === p),
      `no issue at ${p}: ${JSON.stringify(issues)}`,
    );
}

test('all problems are reported at once (schema level)', () => {
  allAtOnce('three bad fields', [
    ['hostname', 'bad host'],
    ['networks.2.allocations.0.mac_address', 'not-a-mac'],
    ['orchestrator.metadata_port', 70000],
  ]);
});

test('all problems are reported at once (cross-field level)', () => {
  allAtOnce('three bad cross-field values', [
    ['networks.1.subnets.1.gateway_ip', '172.24.4.1'],
    ['networks.2.subnets.0.host_routes.0.nexthop', 'fdc3:6ee6:d81f:ede::fe'],
    ['floating_ips.0.floating_ip', '203.0.113.9'],
  ]);
});

test('a bad ip_addresses key and a bad value in one record are both reported', () => {
  allAtOnce('key and value', [
    ['networks.2.allocations.1.ip_addresses.10.0.0.3', 'yes'],
    ['networks.2.allocations.1.ip_addresses[1.2.3]', true],
  ]);
});

test.run();
