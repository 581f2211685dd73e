// The VPN section of the body (`vpn.ipsec[]`, Neutron VPNaaS site-to-site
// connections) as zod schemas. Every string that reaches strongSwan's files is
// an enum, a parsed address or prefix, or matches a strict pattern here; the
// pre-shared key is never written as text (the renderer hex-encodes it).
import { z } from 'zod';
import { zAddress, zCidr } from './fields.ts';
import { parseAddress } from './syntax.ts';

/** A swanctl section name: "." separates sections in strongSwan's settings, so it is kept out. */
export const VPN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const vpnId = z.string().regex(VPN_ID, 'must be an id of at most 64 letters, digits, "_" and "-"');

const FQDN = /^@?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;
const EMAIL = /^[A-Za-z0-9._+-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

/** An IKE identity: an address, a host name (optionally "@name") or user@domain. */
export const vpnIdentity = z
  .string()
  .max(255, 'must be at most 255 characters')
  .refine(
    (v) => parseAddress(v) !== null || FQDN.test(v) || EMAIL.test(v),
    'must be an IP address, a host name (optionally "@name") or user@domain',
  );

const seconds = (min: number, max: number) =>
  z.number('must be an integer').int('must be an integer').min(min, `must be ${min}..${max}`).max(max, `must be ${min}..${max}`);

export const lifetimeSchema = z.object({
  units: z.enum(['seconds', 'kilobytes']).default('seconds'),
  value: seconds(60, 2_147_483_647).default(3600),
});

export const IKE_ENCRYPTION = [
  '3des',
  'aes-128',
  'aes-192',
  'aes-256',
  'aes-128-gcm-8',
  'aes-128-gcm-12',
  'aes-128-gcm-16',
  'aes-192-gcm-16',
  'aes-256-gcm-8',
  'aes-256-gcm-12',
  'aes-256-gcm-16',
] as const;
export const AUTH_ALGORITHMS = ['sha1', 'sha256', 'sha384', 'sha512', 'aes-xcbc'] as const;
export const PFS_GROUPS = ['group2', 'group5', 'group14', 'group15', 'group16', 'group19', 'group20', 'group21'] as const;

const common = {
  id: vpnId.optional(),
  tenant_id: z.string().max(255).nullish(),
  name: z.string().max(255).nullish(),
  description: z.string().max(255).nullish(),
};

export const ikePolicySchema = z.object({
  ...common,
  ike_version: z.enum(['v1', 'v2']).default('v1'),
  auth_algorithm: z.enum(AUTH_ALGORITHMS).default('sha1'),
  encryption_algorithm: z.enum(IKE_ENCRYPTION).default('aes-128'),
  pfs: z.enum(PFS_GROUPS).default('group5'),
  phase1_negotiation_mode: z.enum(['main', 'aggressive']).default('main'),
  lifetime: lifetimeSchema.default({ units: 'seconds', value: 3600 }),
});

export const ipsecPolicySchema = z.object({
  ...common,
  transform_protocol: z.enum(['esp', 'ah', 'ah-esp']).default('esp'),
  auth_algorithm: z.enum(AUTH_ALGORITHMS).default('sha1'),
  encryption_algorithm: z.enum(IKE_ENCRYPTION).default('aes-128'),
  encapsulation_mode: z.enum(['tunnel', 'transport']).default('tunnel'),
  pfs: z.enum(PFS_GROUPS).default('group5'),
  lifetime: lifetimeSchema.default({ units: 'seconds', value: 3600 }),
});

export const endpointGroupSchema = z.object({
  ...common,
  type: z.enum(['subnet', 'cidr']),
  endpoints: z.array(z.string().max(64)).min(1, 'must list at least one endpoint').max(256, 'must have at most 256 entries'),
});

export const dpdSchema = z
  .object({
    action: z.enum(['hold', 'clear', 'restart', 'disabled', 'restart-by-peer']).default('hold'),
    interval: seconds(1, 86_400).default(30),
    timeout: seconds(1, 86_400).default(120),
  })
  .refine((d) => d.action === 'disabled' || d.timeout > d.interval, { message: 'timeout must be longer than interval', path: ['timeout'] });

/** Printable text: the key is hex-encoded in the secrets file, never quoted. */
const PSK = /^[^\p{Cc}]{1,255}$/u;

export const ipsecConnectionSchema = z.object({
  ...common,
  id: vpnId,
  peer_address: zAddress,
  peer_id: vpnIdentity,
  /** not in Neutron's 2016 model; the local address when absent */
  local_id: vpnIdentity.nullish(),
  admin_state_up: z.boolean().default(true),
  route_mode: z.literal('static', 'must be "static"').nullish(),
  mtu: z.number().int().min(68).max(65535).nullish(),
  initiator: z.enum(['bi-directional', 'response-only']).default('bi-directional'),
  auth_mode: z.literal('psk', 'must be "psk"').nullish(),
  psk: z.string().regex(PSK, 'must be 1..255 printable characters'),
  dpd: dpdSchema.default({ action: 'hold', interval: 30, timeout: 120 }),
  status: z.string().max(64).nullish(),
  vpnservice_id: z.string().max(64).nullish(),
  peer_cidrs: z.array(zCidr).max(256).nullish(),
  ikepolicy: ikePolicySchema,
  ipsecpolicy: ipsecPolicySchema,
  local_ep_group: endpointGroupSchema.nullish(),
  peer_ep_group: endpointGroupSchema.nullish(),
});

const optionalIp = z.union([z.literal(''), z.null(), zAddress]).optional();

export const vpnServiceSchema = z.object({
  ...common,
  id: vpnId,
  status: z.string().max(64).nullish(),
  admin_state_up: z.boolean().default(true),
  external_v4_ip: optionalIp,
  external_v6_ip: optionalIp,
  router_id: z.string().max(64).nullish(),
  subnet_id: z.string().max(128).nullish(),
  ipsec_connections: z.array(ipsecConnectionSchema).max(256, 'must have at most 256 entries').default([]),
});

export const vpnSchema = z.object({ ipsec: z.array(vpnServiceSchema).max(64, 'must have at most 64 entries').nullish() });

export type VpnInput = z.output<typeof vpnSchema>;
