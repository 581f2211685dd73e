// zod schemas for the PUT body in the orchestrator's final (2016) shape and
// its May-2015 shape. Unknown keys are stripped, never an error; every string
// that can reach a file or a command is checked against its own syntax, and
// addresses, prefixes and MACs come out parsed (see fields.ts).
import { z } from 'zod';
import { zAddress, zCidr, zCidrText, zInterfaceAddress, zIpAddresses, zIpv4, zMac } from './fields.ts';
import { DESCRIPTION, GENERIC_IFNAME, IDENTIFIER, isHostname } from './syntax.ts';
import { vpnSchema } from './vpn.ts';

const MAX_LIST = 65_536;

const hostname = z
  .string()
  .max(253, 'must be at most 253 characters')
  .refine(isHostname, 'must be an RFC 1123 host name (letters, digits, inner hyphens, dots)');

const identifier = z
  .string()
  .max(128, 'must be at most 128 characters')
  .regex(IDENTIFIER, 'must be an identifier of letters, digits, "_", ".", ":" and "-"');

const port = z.number().int('must be an integer').min(1, 'must be 1..65535').max(65535, 'must be 1..65535');
const asn = z
  .number('must be an integer AS number')
  .int('must be an integer AS number')
  .min(1, 'must be an AS number in 1..4294967295')
  .max(4294967295, 'must be an AS number in 1..4294967295');

/** gateway_ip may be "", null or absent: all mean "no gateway". */
const optionalAddress = z.union([z.literal(''), z.null(), zAddress]).optional();

const list = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_LIST, `must have at most ${MAX_LIST} entries`);

const hostRoute = z.object({ destination: zCidr, nexthop: zAddress });

export const subnetSchema = z.object({
  id: identifier.optional(),
  cidr: zCidr,
  gateway_ip: optionalAddress,
  dhcp_enabled: z.boolean().default(false),
  dns_nameservers: list(zAddress)
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
  mac_address: zMac,
  ip_addresses: zIpAddresses,
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
  addresses: list(zInterfaceAddress).default([]),
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

export const floatingIpSchema = z.object({ floating_ip: zAddress, fixed_ip: zAddress });

/** the networks list's own limits, whatever each entry is checked against */
const networkList = <T extends z.ZodType>(item: T) => list(item).max(4096).default([]);

const labelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be a label name of letters, digits, "_", "." and "-"');

export const configSchema = z.object({
  asn: asn.optional(),
  neighbor_asn: asn.optional(),
  default_v4_gateway: z.union([z.literal(''), z.null(), zIpv4]).optional(),
  networks: networkList(networkSchema),
  labels: z.record(labelName, list(zCidrText)).nullish(),
  floating_ips: list(floatingIpSchema).nullish(),
  tenant_id: z.union([z.literal(''), identifier]).nullish(),
  // the kernel keeps at most 64 characters of a host name
  hostname: z.union([z.literal(''), hostname.refine((v) => v.length <= 64, 'must be at most 64 characters')]).nullish(),
  orchestrator: z
    .object({
      address: zAddress.optional(),
      metadata_port: port.optional(),
      host: z.union([z.literal(''), hostname]).nullish(),
    })
    .nullish(),
  ha_resource: z.boolean().nullish(),
  ha_config: z.object({ peers: list(zAddress).optional(), priority: z.number().int().min(0).max(255).optional() }).nullish(),
  vpn: vpnSchema.nullish(),
});

/**
 * configSchema with the networks' entries taken as they are: schema/parse.ts checks them
 * against networkSchema one at a time, so that a large body is checked in stages.
 */
export const configShellSchema = configSchema.extend({ networks: networkList(z.unknown()) });

/** configSchema's keys in order: one parse reports its issues in this order */
export const CONFIG_KEYS: readonly string[] = Object.keys(configSchema.shape);

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
