// Field schemas that check and parse in one step. An address, prefix or MAC
// is parsed here once; what comes out is the parsed value (canonical text,
// family, prefix length), and normalise() works from that without parsing again.
import { z } from 'zod';
import { canonicalMac, type ParsedAddress, type ParsedCidr, parseAddress, parseCidr } from './syntax.ts';

/**
 * A string that `parse` turns into a value, or issues: `tooLong` past `max`
 * characters (then it is not parsed), and `invalid`. The issues do not abort,
 * so that a union (such as "" | null | address) reports them as they are.
 */
function parsed<T>(max: number, tooLong: string, parse: (text: string) => T | null, invalid: string) {
  return z.string().transform((text, ctx) => {
    const value = text.length > max ? null : parse(text);
    if (value === null) {
      if (text.length > max) ctx.addIssue({ code: 'custom', message: tooLong, input: text, continue: true });
      ctx.addIssue({ code: 'custom', message: invalid, input: text, continue: true });
      return z.NEVER;
    }
    return value;
  });
}

export const zAddress = parsed(45, 'must be an IP address', parseAddress, 'must be an IPv4 or IPv6 address');

export const zIpv4 = parsed(
  15,
  'must be an IPv4 address',
  (text) => {
    const a = parseAddress(text);
    return a?.family === 4 ? a : null;
  },
  'must be an IPv4 address',
);

/** A prefix as the body wrote it (`text`, for messages) and parsed. */
export interface CidrValue extends ParsedCidr {
  text: string;
}

export const zCidr = parsed(
  49,
  'must be a CIDR',
  (text): CidrValue | null => {
    const c = parseCidr(text);
    // fields written out: an object spread here costs more than the parse
    return c ? { address: c.address, network: c.network, prefixLength: c.prefixLength, family: c.family, text } : null;
  },
  'must be a CIDR such as 10.0.0.0/24 or fd00::/64',
);

/** A CIDR kept as text: label lists are passed on as the body wrote them. */
export const zCidrText = z
  .string()
  .max(49, 'must be a CIDR')
  .refine((text) => parseCidr(text) !== null, 'must be a CIDR such as 10.0.0.0/24 or fd00::/64');

/** Interface addresses: a bare address is a host address (/32, /128). */
export const zInterfaceAddress = parsed(
  49,
  'must be an address with prefix length',
  (text) => parseCidr(text, true),
  'must be an address with prefix length, such as 10.0.0.1/24',
);

/** Lowercase aa:bb:cc:dd:ee:ff. */
export const zMac = parsed(17, 'must be a MAC address', canonicalMac, 'must be a MAC address such as fa:16:3e:00:00:01');

/** One entry of an allocation's ip_addresses: the key as written, parsed, and whether DHCP serves it. */
export interface AllocatedAddress extends ParsedAddress {
  key: string;
  dhcp: boolean;
}

const recordShape = z.record(z.string(), z.unknown());
const dhcpFlag = z.boolean();

/**
 * `{"10.0.0.3": true, ...}` -> a list of parsed entries in the body's order.
 * Keys and values are checked here rather than by z.record, so that each key
 * is parsed once and a key such as "__proto__" is seen like any other.
 */
export const zIpAddresses = z.unknown().transform((value, ctx): AllocatedAddress[] => {
  if (value === null || value === undefined) return [];
  if (typeof value !== 'object' || Array.isArray(value)) {
    // zod's own words for it
    const message = recordShape.safeParse(value).error?.issues[0]?.message ?? 'must be an object';
    ctx.addIssue({ code: 'custom', message, input: value });
    return z.NEVER;
  }
  const out: AllocatedAddress[] = [];
  for (const [key, flag] of Object.entries(value as Record<string, unknown>)) {
    // parseAddress itself, not zAddress.safeParse: a failed safeParse builds an Error, and a hostile body has thousands;
    // no object spread: in this loop it costs more than the parse
    const address = key.length > 45 ? null : parseAddress(key);
    if (!address) {
      const message = key.length > 45 ? 'must be an IP address' : 'must be an IPv4 or IPv6 address';
      ctx.addIssue({
        code: 'invalid_key',
        origin: 'record',
        issues: [{ code: 'custom', message, path: [], input: key }],
        input: key,
        path: [key],
      });
    }
    if (typeof flag !== 'boolean') {
      const message = dhcpFlag.safeParse(flag).error?.issues[0]?.message ?? 'must be true or false';
      ctx.addIssue({ code: 'custom', message, path: [key], input: flag });
    } else if (address) {
      out.push({ address: address.address, family: address.family, key, dhcp: flag });
    }
  }
  return out;
});
