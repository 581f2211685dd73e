// Hostile values: wrong types, nulls, missing keys, out-of-range numbers,
// wrong address families and cross-field mistakes. Each case is
// [label, path, value, expected path when it is not the mutated one]; each
// must be refused with an issue at exactly that path (see test/schema-kit.ts).
import { test } from 'uvu';
import { hostileBase as base, type Case, DELETE, rejectAll } from '../test/schema-kit.ts';

const N = 'networks.2';
const IF = `${N}.interface`;
const S0 = `${N}.subnets.0`;
const R0 = `${S0}.host_routes.0`;
const A0 = `${N}.allocations.0`;
const A1 = `${N}.allocations.1`;
const F0 = 'floating_ips.0';

test('wrong types: number for string', () => {
  rejectAll(base, [
    ['hostname 5', 'hostname', 5],
    ['tenant_id 123', 'tenant_id', 123],
    ['network_id 42', `${N}.network_id`, 42],
    ['ifname 2', `${IF}.ifname`, 2],
    ['address 167772161', `${IF}.addresses.0`, 167772161],
    ['cidr 24', `${S0}.cidr`, 24],
    ['gateway_ip 0', `${S0}.gateway_ip`, 0],
    ['mac 1', `${A0}.mac_address`, 1],
    ['allocation hostname 1', `${A0}.hostname`, 1],
    ['device_id 7', `${A0}.device_id`, 7],
    ['floating_ip 1', `${F0}.floating_ip`, 1],
    ['default_v4_gateway 1', 'default_v4_gateway', 1],
    ['orchestrator.address 1', 'orchestrator.address', 1],
    ['labels value 1', 'labels.ext.0', 1],
    ['description 1', `${IF}.description`, 1],
  ]);
});

test('wrong types: string or other for number and boolean', () => {
  rejectAll(base, [
    ['asn "64512"', 'asn', '64512'],
    ['neighbor_asn "64512"', 'neighbor_asn', '64512'],
    ['asn true', 'asn', true],
    ['network mtu "1450"', `${N}.mtu`, '1450'],
    ['interface mtu "1450"', `${IF}.mtu`, '1450'],
    ['metadata_port "9697"', 'orchestrator.metadata_port', '9697'],
    ['dhcp_enabled "true"', `${S0}.dhcp_enabled`, 'true'],
    ['dhcp_enabled 1', `${S0}.dhcp_enabled`, 1],
    ['ip_addresses value "yes"', `${A1}.ip_addresses.10.0.0.3`, 'yes'],
    ['ha_resource "false"', 'ha_resource', 'false'],
    ['network_type "loadbalancer"', `${N}.network_type`, 'loadbalancer'],
    ['network_type 1', `${N}.network_type`, 1],
  ]);
});

test('wrong types: objects and strings for lists, lists for objects', () => {
  rejectAll(base, [
    ['networks {}', 'networks', {}],
    ['networks "ge1"', 'networks', 'ge1'],
    ['addresses {}', `${IF}.addresses`, {}],
    ['addresses "10.0.0.1/24"', `${IF}.addresses`, '10.0.0.1/24'],
    ['subnets {}', `${N}.subnets`, {}],
    ['dns_nameservers {}', `${S0}.dns_nameservers`, {}],
    ['dns_nameservers "8.8.8.8"', `${S0}.dns_nameservers`, '8.8.8.8'],
    ['host_routes non-empty {}', `${S0}.host_routes`, { destination: '10.1.0.0/16', nexthop: '10.0.0.254' }],
    ['allocations {}', `${N}.allocations`, {}],
    ['address_allocations {}', `${N}.address_allocations`, {}],
    ['ip_addresses []', `${A1}.ip_addresses`, ['10.0.0.3']],
    ['floating_ips {}', 'floating_ips', { floating_ip: '172.24.4.10', fixed_ip: '10.0.0.3' }],
    ['labels []', 'labels', ['10.0.0.0/8']],
    ['labels.ext {}', 'labels.ext', {}],
    ['labels.ext "10.0.0.0/8"', 'labels.ext', '10.0.0.0/8'],
    ['interface []', IF, []],
    ['interface "ge2"', IF, 'ge2'],
    ['orchestrator []', 'orchestrator', []],
    ['orchestrator "x"', 'orchestrator', 'fdca::1'],
    ['network entry "x"', N, 'x'],
    ['subnet entry []', S0, []],
    ['allocation entry 5', A0, 5],
    ['floating entry "172.24.4.10"', F0, '172.24.4.10'],
    ['vpn "x"', 'vpn', 'x'],
    ['ha_config []', 'ha_config', []],
    ['ha_config.peers "x"', 'ha_config.peers', '10.0.0.1'],
  ]);
});

test('null for required values', () => {
  const nulls: [string, string][] = [
    ['networks', 'networks'],
    ['network entry', N],
    ['network_id', `${N}.network_id`],
    ['interface', IF],
    ['ifname', `${IF}.ifname`],
    ['addresses item', `${IF}.addresses.0`],
    ['subnet', S0],
    ['cidr', `${S0}.cidr`],
    ['dns item', `${S0}.dns_nameservers.0`],
    ['host route', R0],
    ['destination', `${R0}.destination`],
    ['nexthop', `${R0}.nexthop`],
    ['allocation', A0],
    ['mac_address', `${A0}.mac_address`],
    ['allocation hostname', `${A0}.hostname`],
    ['ip_addresses value', `${A0}.ip_addresses.10.0.0.1`],
    ['floating entry', F0],
    ['floating_ip', `${F0}.floating_ip`],
    ['fixed_ip', `${F0}.fixed_ip`],
    ['labels.ext', 'labels.ext'],
    ['labels.ext item', 'labels.ext.0'],
    ['asn', 'asn'],
  ];
  rejectAll(
    base,
    nulls.map(([name, path]): Case => [`${name} null`, path, null]),
  );
});

test('missing required keys', () => {
  const required: [string, string][] = [
    ['network_id', `${N}.network_id`],
    ['interface', IF],
    ['ifname', `${IF}.ifname`],
    ['cidr', `${S0}.cidr`],
    ['destination', `${R0}.destination`],
    ['nexthop', `${R0}.nexthop`],
    ['mac_address', `${A0}.mac_address`],
    ['allocation hostname', `${A0}.hostname`],
    ['floating_ip', `${F0}.floating_ip`],
    ['fixed_ip', `${F0}.fixed_ip`],
  ];
  rejectAll(
    base,
    required.map(([name, path]): Case => [`no ${name}`, path, DELETE]),
  );
});

test('huge, negative, fractional and non-finite numbers', () => {
  const inf = JSON.parse('1e400') as number; // what JSON.parse makes of an overlong exponent
  const numbers: [string, number[]][] = [
    ['asn', [2 ** 40, 2 ** 32, 0, -1, 64512.5, inf, Number.NaN]],
    ['neighbor_asn', [2 ** 40, -64512]],
    [`${IF}.mtu`, [1e9, -1500, 1279, 1450.5, inf]],
    [`${N}.mtu`, [1e9, -1, 1450.5]],
    ['orchestrator.metadata_port', [70000, 0, -1, 9697.5, 2 ** 53]],
    ['ha_config.priority', [256, -1, 0.5]],
  ];
  rejectAll(
    base,
    numbers.flatMap(([path, values]) => values.map((v): Case => [`${path} ${v}`, path, v])),
  );
});

test('wrong address families', () => {
  rejectAll(base, [
    ['IPv6 default_v4_gateway', 'default_v4_gateway', '2001:db8::1'],
    ['IPv4 gateway on an IPv6 subnet', 'networks.1.subnets.1.gateway_ip', '172.24.4.1'],
    ['IPv6 gateway on an IPv4 subnet', `${S0}.gateway_ip`, 'fdc3:6ee6:d81f:ede::1'],
    [
      'IPv4 nexthop for an IPv6 destination',
      `${N}.subnets.1.host_routes`,
      [{ destination: '2001:db8:5::/64', nexthop: '10.0.0.254' }],
      `${N}.subnets.1.host_routes.0.nexthop`,
    ],
    ['IPv6 nexthop for an IPv4 destination', `${R0}.nexthop`, 'fdc3:6ee6:d81f:ede::fe'],
    ['IPv6 fixed_ip for an IPv4 floating IP', `${F0}.fixed_ip`, 'fdc3:6ee6:d81f:ede::5'],
    ['IPv4-mapped IPv6 gateway', 'networks.1.subnets.1.gateway_ip', '::ffff:172.24.4.1'],
  ]);
});

test('cross-field: floating IP outside the external subnets, ifname out of range', () => {
  rejectAll(base, [
    ['floating IP outside', `${F0}.floating_ip`, '203.0.113.9'],
    ['ge10000', `${IF}.ifname`, 'ge10000'],
    ['ge01', `${IF}.ifname`, 'ge01'],
    ['eth0', `${IF}.ifname`, 'eth0'],
  ]);
});

test('host route entries of the wrong type are reported at the entry, with a real message', () => {
  rejectAll(base, [
    ['route 5', R0, 5],
    ['destination 5', `${R0}.destination`, 5],
  ]);
});

test.run();
