// zod schemas for the PUT body in the orchestrator's final (2016) shape and
// its May-2015 shape. Unknown keys are stripped, never an error; every string
// that can reach a file or a command is checked against its own syntax.
import { z } from 'zod';
import { canonicalMac, DESCRIPTION, GENERIC_IFNAME, IDENTIFIER, isHostname, parseAddress, parseCidr } from './syntax.ts';

const MAX_LIST = 65_536;

const hostname = z
  .string()
  .max(253, 'must be at most 253 characters')
  .refine(isHostname, 'must be an RFC 1123 host name (letters, digits, inner hyphens, dots)');

const identifier = z
  .string()
  .max(128, 'must be at most 128 characters')
  .regex(IDENTIFIER, 'must be an identifier of letters, digits, "_", ".", ":" and "-"');

const address = z
  .string()
  .max(45, 'must be an IP address')
  .refine((v) => parseAddress(v) !== null, 'must be an IPv4 or IPv6 address');

const ipv4 = z
  .string()
  .max(15, 'must be an IPv4 address')
  .refine((v) => parseAddress(v)?.family === 4, 'must be an IPv4 address');

const cidr = z
  .string()
  .max(49, 'must be a CIDR')
  .refine((v) => parseCidr(v) !== null, 'must be a CIDR such as 10.0.0.0/24 or fd00::/64');

/** interface addresses: a bare address is a host address (/32, /128) */
const interfaceAddress = z
  .string()
  .max(49, 'must be an address with prefix length')
  .refine((v) => parseCidr(v, true) !== null, 'must be an address with prefix length, such as 10.0.0.1/24');

const mac = z
  .string()
  .max(17, 'must be a MAC address')
  .refine((v) => canonicalMac(v) !== null, 'must be a MAC address such as fa:16:3e:00:00:01');

const port = z.number().int('must be an integer').min(1, 'must be 1..65535').max(65535, 'must be 1..65535');
const asn = z
  .number('must be an integer AS number')
  .int('must be an integer AS number')
  .min(1, 'must be an AS number in 1..4294967295')
  .max(4294967295, 'must be an AS number in 1..4294967295');

/** gateway_ip may be "", null or absent: all mean "no gateway". */
const optionalAddress = z.union([z.literal(''), z.null(), address]).optional();

const list = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_LIST, `must have at most ${MAX_LIST} entries`);

const hostRoute = z.object({ destination: cidr, nexthop: address });

export const subnetSchema = z.object({
  id: identifier.optional(),
  cidr,
  gateway_ip: optionalAddress,
  dhcp_enabled: z.boolean().default(false),
  dns_nameservers: list(address)
    .nullish()
    .transform((v) => v ?? []),
  // unit-test fakes of the orchestrator send {} for "no routes"
  host_routes: z
    .preprocess(
      (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 ? [] : v),
      list(hostRoute).nullish(),
    )
    .transform((v) => v ?? []),
});

/** Values dnsmasq reads in a dhcp-host line as something other than a name. */
const DNSMASQ_WORDS = /^(ignore|infinite|id|set|tag)$|^\d+[smhdw]?$|^\d+\.\d+\.\d+\.\d+$/i;

export const allocationSchema = z.object({
  mac_address: mac,
  ip_addresses: z
    .record(address, z.boolean())
    .nullish()
    .transform((v) => v ?? {}),
  hostname: hostname.refine((v) => !DNSMASQ_WORDS.test(v), 'must not be a lease time, an address or a dnsmasq keyword'),
  device_id: z
    .string()
    .max(128, 'must be at most 128 characters')
    .refine((v) => v === '' || IDENTIFIER.test(v), 'must be an identifier of letters, digits, "_", ".", ":" and "-"')
    .nullish()
    .transform((v) => v ?? ''),
});

export const interfaceSchema = z.object({
  ifname: z.string().refine((v) => v.length <= 6 && GENERIC_IFNAME.test(v), 'must be a generic interface name ge0..ge9999'),
  addresses: list(interfaceAddress).default([]),
  mtu: z.number().int('must be an integer').min(1280, 'must be 1280..65535').max(65535, 'must be 1280..65535').nullish(),
  description: z.string().max(64).regex(DESCRIPTION, 'must be letters, digits and "_"').nullish(),
});

export const networkSchema = z.object({
  network_id: identifier,
  interface: interfaceSchema,
  network_type: z.enum(['management', 'external', 'internal', 'isolated']).default('isolated'),
  mtu: z.number().int().min(1280).max(65535).nullish(),
  v4_conf_service: z.enum(['dhcp', 'static']).optional(),
  v6_conf_service: z.enum(['dhcp', 'ra', 'static']).optional(),
  name: z.string().max(255).optional(),
  subnets: list(subnetSchema).default([]),
  allocations: list(allocationSchema).optional(),
  // the name used by the design doc and by GET in the reference
  address_allocations: list(allocationSchema).optional(),
});

export const floatingIpSchema = z.object({ floating_ip: address, fixed_ip: address });

const labelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be a label name of letters, digits, "_", "." and "-"');

export const configSchema = z.object({
  asn: asn.optional(),
  neighbor_asn: asn.optional(),
  default_v4_gateway: z.union([z.literal(''), z.null(), ipv4]).optional(),
  networks: list(networkSchema).max(4096).default([]),
  labels: z.record(labelName, list(cidr)).nullish(),
  floating_ips: list(floatingIpSchema).nullish(),
  tenant_id: z.union([z.literal(''), identifier]).nullish(),
  // the kernel keeps at most 64 characters of a host name
  hostname: z.union([z.literal(''), hostname.refine((v) => v.length <= 64, 'must be at most 64 characters')]).nullish(),
  orchestrator: z
    .object({
      address: address.optional(),
      metadata_port: port.optional(),
      host: z.union([z.literal(''), hostname]).nullish(),
    })
    .nullish(),
  ha_resource: z.boolean().nullish(),
  ha_config: z.object({ peers: list(address).optional(), priority: z.number().int().min(0).max(255).optional() }).nullish(),
  vpn: z.record(z.string(), z.unknown()).nullish(),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
