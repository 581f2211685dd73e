// The strict address, CIDR, MAC and host name parsers: what they accept,
// what they refuse, and the canonical forms they print.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatV6, parseBytes, parseV4, parseV6 } from './ip.ts';
import { defaultInterfaceMap } from './parse.ts';
import {
  canonicalMac,
  cidrContains,
  compareAddresses,
  eui64Address,
  isHostname,
  isLinkLocal,
  networkAddress,
  parseAddress,
  parseCidr,
  prefixToNetmask,
} from './syntax.ts';

// ------------------------------------------------------------ parseAddress

test('parseAddress rejects malformed and ambiguous addresses', () => {
  const bad = [
    '',
    '1.2.3',
    '01.2.3.4',
    '1.02.3.4',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1.2.3.4\n',
    '0x1.2.3.4',
    '1.2.3.-4',
    '::ffff:1.2.3.4',
    '::ffff:102:304',
    '::FFFF:1.2.3.4',
    'fe80::1%eth0',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '1::2::3',
    ':::',
    ':1',
    '1:',
    '1:::2',
    '12345::1',
    'g::1',
    '::1.2.3',
    '::1.2.3.4:5',
    '::01.2.3.4',
    '[::1]',
    '::1/128',
    `${'1:'.repeat(30)}1`,
    '1'.repeat(46),
  ];
  for (const v of bad) assert.is(parseAddress(v), null, JSON.stringify(v));
});

test('parseAddress accepts and canonicalises valid addresses', () => {
  const good: [string, string, 4 | 6][] = [
    ['0.0.0.0', '0.0.0.0', 4],
    ['255.255.255.255', '255.255.255.255', 4],
    ['10.0.0.1', '10.0.0.1', 4],
    ['::', '::', 6],
    ['::1', '::1', 6],
    ['1::', '1::', 6],
    ['::1.2.3.4', '::102:304', 6],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221', 6],
    ['2001:DB8:0:0::1', '2001:db8::1', 6],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 6],
    ['FE80::1', 'fe80::1', 6],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0', 6],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8', 6],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', 6],
  ];
  for (const [input, address, family] of good) assert.equal(parseAddress(input), { address, family }, input);
});

test('a dotted quad is only allowed as the last 32 bits of an IPv6 address', () => {
  // RFC 4291 2.2(3): the IPv4 part is the low-order 32 bits, so nothing may follow it
  for (const v of ['1.2.3.4::', '1.2.3.4::1', '1:1.2.3.4::1', '1.2.3.4:1::']) {
    assert.is(parseV6(v), null, v);
    assert.is(parseAddress(v), null, v);
  }
});

test('parseV4 / parseV6 / parseBytes are strict', () => {
  assert.equal(parseV4('192.168.0.1'), [192, 168, 0, 1]);
  assert.is(parseV4('192.168.0'), null);
  assert.is(parseV4('192.168.00.1'), null);
  assert.equal(parseV6('::1'), [...new Array(15).fill(0), 1]);
  assert.equal(parseV6('::'), new Array(16).fill(0));
  assert.is(parseV6(':'), null);
  assert.is(parseV6('1.2.3.4'), null);
  assert.equal(parseBytes('10.0.0.1'), [10, 0, 0, 1]);
  assert.is(parseBytes('2001:db8::1')?.length, 16);
  assert.is(parseBytes('nonsense'), null);
});

// ----------------------------------------------------------------- formatV6

test('formatV6 follows RFC 5952', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero is not compressed
    ['2001:DB8::ABCD', '2001:db8::abcd'], // lowercase
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['1:0:0:0:0:0:0:1', '1::1'],
    ['0:1:0:0:0:0:0:0', '0:1::'],
    ['fe80:0:0:0:200:5eff:fe00:5301', 'fe80::200:5eff:fe00:5301'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
  ];
  for (const [input, expected] of cases) {
    const bytes = parseV6(input);
    assert.ok(bytes, input);
    assert.is(formatV6(bytes as number[]), expected, input);
    // and formatting is a fixed point
    assert.is(formatV6(parseV6(expected) as number[]), expected, expected);
  }
});

// ---------------------------------------------------------------- parseCidr

test('parseCidr parses network and host CIDRs', () => {
  assert.equal(parseCidr('10.0.0.0/24'), { address: '10.0.0.0', network: '10.0.0.0', prefixLength: 24, family: 4 });
  assert.equal(parseCidr('10.0.0.77/24'), { address: '10.0.0.77', network: '10.0.0.0', prefixLength: 24, family: 4 });
  assert.equal(parseCidr('172.24.0.3/20'), { address: '172.24.0.3', network: '172.24.0.0', prefixLength: 20, family: 4 });
  assert.equal(parseCidr('0.0.0.0/0'), { address: '0.0.0.0', network: '0.0.0.0', prefixLength: 0, family: 4 });
  assert.equal(parseCidr('10.1.2.3/32'), { address: '10.1.2.3', network: '10.1.2.3', prefixLength: 32, family: 4 });
  assert.equal(parseCidr('2001:DB8:0:0::5/64'), { address: '2001:db8::5', network: '2001:db8::', prefixLength: 64, family: 6 });
  assert.equal(parseCidr('fd00:1:2:3:4:5:6:7/61'), { address: 'fd00:1:2:3:4:5:6:7', network: 'fd00:1:2::', prefixLength: 61, family: 6 });
  assert.equal(parseCidr('::/0'), { address: '::', network: '::', prefixLength: 0, family: 6 });
  assert.equal(parseCidr('::1/128'), { address: '::1', network: '::1', prefixLength: 128, family: 6 });
});

test('parseCidr rejects malformed CIDRs', () => {
  const bad = [
    '10.0.0.0',
    '10.0.0.0/',
    '10.0.0.0/33',
    '10.0.0.0/024',
    '10.0.0.0/-1',
    '10.0.0.0/ 24',
    '10.0.0.0/24 ',
    '10.0.0.0/24/1',
    '10.0.0.0/24\n',
    '10.0.0.0/0x18',
    '/24',
    '10.0.0/24',
    'fd00::/129',
    'fd00::/1000',
    'fd00::',
    'fe80::1%eth0/64',
    '::ffff:10.0.0.0/120',
  ];
  for (const v of bad) assert.is(parseCidr(v), null, JSON.stringify(v));
});

test('parseCidr takes a bare address as a host route only when allowed', () => {
  assert.is(parseCidr('10.0.0.1'), null);
  assert.equal(parseCidr('10.0.0.1', true), { address: '10.0.0.1', network: '10.0.0.1', prefixLength: 32, family: 4 });
  assert.equal(parseCidr('2001:db8::1', true), { address: '2001:db8::1', network: '2001:db8::1', prefixLength: 128, family: 6 });
  assert.is(parseCidr('10.0.0.1/33', true), null);
});

test('networkAddress, cidrContains, prefixToNetmask', () => {
  assert.is(networkAddress('10.1.2.3', 8), '10.0.0.0');
  assert.is(networkAddress('2001:db8:aaaa:bbbb::1', 48), '2001:db8:aaaa::');
  assert.ok(cidrContains('172.24.4.0', 24, '172.24.4.10'));
  assert.not.ok(cidrContains('172.24.4.0', 24, '172.24.5.10'));
  assert.ok(cidrContains('172.24.0.0', 20, '172.24.15.255'));
  assert.not.ok(cidrContains('172.24.0.0', 20, '172.24.16.0'));
  assert.not.ok(cidrContains('10.0.0.0', 8, '::a00:1'), 'different families never contain each other');
  assert.ok(cidrContains('2001:db8::', 64, '2001:db8::10'));
  assert.not.ok(cidrContains('2001:db8::', 64, '2001:db8:0:1::10'));
  assert.not.ok(cidrContains('10.0.0.0', 8, 'garbage'));
  assert.is(prefixToNetmask(24), '255.255.255.0');
  assert.is(prefixToNetmask(20), '255.255.240.0');
  assert.is(prefixToNetmask(0), '0.0.0.0');
  assert.is(prefixToNetmask(32), '255.255.255.255');
});

// ------------------------------------------------------------------ others

test('eui64Address builds the modified EUI-64 SLAAC address', () => {
  assert.is(eui64Address('fdc3:6ee6:d81f:ede::', 'fa:16:3e:3d:aa:d8'), 'fdc3:6ee6:d81f:ede:f816:3eff:fe3d:aad8');
  assert.is(eui64Address('fdca:3ba5:a17a:acda::', 'fa:16:3e:fd:e6:f1'), 'fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1');
  // the universal/local bit flips both ways
  assert.is(eui64Address('2001:db8::', '00:00:00:00:00:01'), '2001:db8::200:ff:fe00:1');
  assert.is(eui64Address('2001:db8::', '02:00:00:00:00:00'), '2001:db8::ff:fe00:0');
  // only the /64 prefix of the network is used
  assert.is(eui64Address('2001:db8:1:2:3:4:5:6', 'fa:16:3e:3d:aa:d8'), '2001:db8:1:2:f816:3eff:fe3d:aad8');
});

test('isHostname accepts RFC 1123 names only', () => {
  const good = ['a', 'devstack', 'ak-d22b149cee9b4eac8349c517eda00b89', '10-0-0-1.local', 'a.b.c', 'A1', '1', 'x'.repeat(63)];
  for (const v of good) assert.ok(isHostname(v), v);
  assert.ok(isHostname(Array(4).fill('x'.repeat(63)).join('.').slice(0, 253)));
  const bad = [
    '',
    '-a',
    'a-',
    'a..b',
    '.a',
    'a.',
    'a_b',
    'a b',
    'a\nb',
    'a\u0000',
    'a"',
    "a'",
    '--help',
    'x'.repeat(64),
    Array(5).fill('x'.repeat(50)).join('.'), // 254 characters
    'ünïcode',
  ];
  for (const v of bad) assert.not.ok(isHostname(v), JSON.stringify(v));
});

test('compareAddresses orders numerically with IPv4 first', () => {
  assert.ok(compareAddresses('10.0.0.9', '10.0.0.10') < 0);
  assert.ok(compareAddresses('10.0.0.10', '10.0.0.9') > 0);
  assert.ok(compareAddresses('9.255.255.255', '10.0.0.0') < 0);
  assert.is(compareAddresses('10.0.0.1', '10.0.0.1'), 0);
  assert.ok(compareAddresses('255.255.255.255', '::') < 0);
  assert.ok(compareAddresses('::2', '::10') < 0);
  assert.ok(compareAddresses('2001:db8::ffff', '2001:db8:0:1::') < 0);
  assert.is(compareAddresses('2001:db8::1', '2001:DB8:0::1'), 0);
  const sorted = ['fd00::1', '10.0.0.10', '::1', '10.0.0.2', '2.0.0.0'].sort(compareAddresses);
  assert.equal(sorted, ['2.0.0.0', '10.0.0.2', '10.0.0.10', '::1', 'fd00::1']);
});

test('canonicalMac and isLinkLocal', () => {
  assert.is(canonicalMac('FA:16:3E:3D:AA:D8'), 'fa:16:3e:3d:aa:d8');
  for (const v of [
    'fa-16-3e-3d-aa-d8',
    'fa:16:3e:3d:aa',
    'fa:16:3e:3d:aa:d8:00',
    'fa163e3daad8',
    'fa:16:3e:3d:aa:d8\n',
    'zz:16:3e:3d:aa:d8',
  ]) {
    assert.is(canonicalMac(v), null, JSON.stringify(v));
  }
  assert.ok(isLinkLocal('fe80::1'));
  assert.ok(isLinkLocal('febf::1'));
  assert.not.ok(isLinkLocal('fec0::1'));
  assert.ok(isLinkLocal('169.254.169.254'));
  assert.not.ok(isLinkLocal('10.0.0.1'));
});

test('defaultInterfaceMap maps geN to ethN and nothing else', () => {
  const map = defaultInterfaceMap();
  assert.is(map.ge0, 'eth0');
  assert.is(map.ge12, 'eth12');
  assert.is(map.eth0, undefined);
  assert.is(map.constructor, undefined);
  assert.is(defaultInterfaceMap(3).ge3, undefined);
  assert.is(defaultInterfaceMap(3).ge2, 'eth2');
});

test.run();
