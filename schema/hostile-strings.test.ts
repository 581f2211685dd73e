// Hostile strings: every string field that can reach a config file or a
// command line gets each injection attempt. Parsing must not throw, must not
// produce a model (so nothing can be rendered), and must name the exact JSON
// path of the bad field with a message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertRejected, hostileBase as base, collect, parse, setAt, show } from '../test/schema-kit.ts';

/**
 * A string field: where it is, a valid value (checked by the sanity test),
 * and for a record key (`key`) the value stored under it, since then the key
 * is the field and its path ends in the key itself.
 */
interface Field {
  name: string;
  at: string;
  valid: string;
  key?: unknown;
  hostname?: true;
}

const FIELDS: Field[] = [
  { name: 'hostname', at: 'hostname', valid: 'router-1', hostname: true },
  { name: 'tenant_id', at: 'tenant_id', valid: 'd22b149cee9b4eac8349c517eda00b89' },
  { name: 'network_id', at: 'networks.2.network_id', valid: '3bab6c39-8d88-448a-beed-8d14f06d3fef' },
  { name: 'interface.ifname', at: 'networks.2.interface.ifname', valid: 'ge2' },
  { name: 'interface.addresses[]', at: 'networks.2.interface.addresses.0', valid: '10.0.0.1/24' },
  { name: 'interface.description', at: 'networks.2.interface.description', valid: 'tenant_net' },
  { name: 'subnet id', at: 'networks.2.subnets.0.id', valid: '025b413f-8a9a-421e-a648-a7dd06839eb9' },
  { name: 'subnet cidr', at: 'networks.2.subnets.0.cidr', valid: '10.0.0.0/24' },
  { name: 'subnet gateway_ip', at: 'networks.2.subnets.0.gateway_ip', valid: '10.0.0.1' },
  { name: 'subnet dns_nameservers[]', at: 'networks.2.subnets.0.dns_nameservers.1', valid: '8.8.4.4' },
  { name: 'host_routes[].destination', at: 'networks.2.subnets.0.host_routes.0.destination', valid: '192.168.1.0/24' },
  { name: 'host_routes[].nexthop', at: 'networks.2.subnets.0.host_routes.0.nexthop', valid: '10.0.0.254' },
  { name: 'allocation mac_address', at: 'networks.2.allocations.1.mac_address', valid: 'fa:16:3e:3d:aa:d8' },
  { name: 'allocation hostname', at: 'networks.2.allocations.1.hostname', valid: '10-0-0-3.local', hostname: true },
  { name: 'allocation device_id', at: 'networks.2.allocations.1.device_id', valid: '966baea1-48be-4b13-8da9-8f1d3099fdf5' },
  { name: 'allocation ip_addresses key', at: 'networks.2.allocations.1.ip_addresses', valid: '10.0.0.33', key: true },
  { name: 'floating_ip', at: 'floating_ips.0.floating_ip', valid: '172.24.4.11' },
  { name: 'fixed_ip', at: 'floating_ips.0.fixed_ip', valid: '10.0.0.4' },
  { name: 'default_v4_gateway', at: 'default_v4_gateway', valid: '172.24.4.1' },
  { name: 'orchestrator.address', at: 'orchestrator.address', valid: 'fdca:3ba5:a17a:acda::1' },
  { name: 'orchestrator.host', at: 'orchestrator.host', valid: 'devstack', hostname: true },
  { name: 'labels key', at: 'labels', valid: 'ext_2', key: ['10.0.0.0/8'] },
  { name: 'labels value', at: 'labels.ext.1', valid: '10.0.0.0/8' },
];

/** Puts `value` into the field; the path an issue must name. */
function poison(b: ReturnType<typeof base>, f: Field, value: string): string {
  if (f.key === undefined) {
    setAt(b, f.at, value);
    return f.at;
  }
  // set by hand: a key holding dots must stay one key
  let target = b;
  for (const part of f.at.split('.')) target = target[part];
  target[value] = f.key;
  return `${f.at}.${value}`;
}

const INJECTIONS: [name: string, make: (valid: string) => string][] = [
  ['newline + dnsmasq directive', (v) => `${v}\ndhcp-script=/bin/sh`],
  ['bare newline directive', () => 'x\ndhcp-script=/bin/sh'],
  ['carriage return', (v) => `${v}\r`],
  ['double quote', (v) => `${v}"`],
  ['leading double quote', (v) => `"${v}`],
  ['single quote', (v) => `${v}'`],
  ['option: -j ACCEPT', () => '-j ACCEPT'],
  ['option: --help', () => '--help'],
  ['option: -x', () => '-x'],
  ['space-separated injection', (v) => `${v} -j ACCEPT`],
  ['space-separated injection (ge1)', () => 'ge1 -j ACCEPT'],
  ['comma (dnsmasq field separator)', (v) => `${v},set:x`],
  ['semicolon and brace (bird)', (v) => `${v}; }`],
  ['shell substitution', (v) => `${v}$(reboot)`],
  ['tab', (v) => `${v}\t-j`],
  ['NUL byte', (v) => `${v}\u0000`],
  ['NUL byte inside', (v) => `${v.slice(0, 2)}\u0000${v.slice(2)}`],
  ['unicode line separator', (v) => `${v}\u2028x`],
  ['10 000 characters', () => 'a'.repeat(10_000)],
  ['10 000 characters of the valid value', (v) => v.repeat(Math.ceil(10_000 / v.length))],
  ['10 000 zeros appended', (v) => `${v}${'0'.repeat(10_000)}`],
];

test('sanity: the base body and every valid field value are accepted', () => {
  const r = parse(base());
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.issues));
  for (const f of FIELDS) {
    const b = base();
    poison(b, f, f.valid);
    const rf = parse(b);
    assert.ok(rf.ok, `${f.name} = ${show(f.valid)}: ${rf.ok ? '' : JSON.stringify(rf.issues)}`);
  }
});

for (const f of FIELDS) {
  test(`hostile strings in ${f.name} are rejected at ${f.key === undefined ? f.at : `${f.at}.<key>`}`, () => {
    const checks: [string, () => void][] = INJECTIONS.map(([name, make]) => {
      const value = make(f.valid);
      return [
        name,
        () => {
          const b = base();
          const path = poison(b, f, value);
          const issues = assertRejected(b, path, `${f.name} <- ${name} ${show(value)}`);
          // a string of the right type is told what it should be, also where "" or null would do
          const generic = issues.find((i) => i.path === path && i.message === 'Invalid input');
          assert.not.ok(generic, `${f.name} <- ${name}: only "Invalid input" at ${show(path)}`);
        },
      ];
    });
    if (f.hostname) {
      // syntactically fine labels, but far too long
      const long = Array(2000).fill('abcd').join('.');
      checks.push([
        '10 000-character dotted name',
        () => {
          const b = base();
          assertRejected(b, poison(b, f, long), `${f.name} <- 10 000-character dotted name`);
        },
      ]);
    }
    collect(checks);
  });
}

test('all injections in one body are reported together', () => {
  const b = base();
  const expected = FIELDS.map((f) => poison(b, f, `${f.valid}\ndhcp-script=/bin/sh`));
  const r = parse(b);
  assert.not.ok(r.ok);
  const paths = new Set(r.ok ? [] : r.issues.map((i) => i.path));
  for (const p of expected) assert.ok(paths.has(p), `no issue at ${show(p)}`);
});

test.run();
