// Syntax checks for every string that can reach a config file or a command
// line. Each returns a canonical form or null; nothing here throws.
import { formatBytes, formatV6, isV4, parseBytes, parseV6 } from './ip.ts';
import type { Family } from './model.ts';

const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** RFC 1123 host name (labels of letters, digits and inner hyphens). */
export function isHostname(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  return value.split('.').every((label) => HOST_LABEL.test(label));
}

const MAC = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/;
export function canonicalMac(value: string): string | null {
  return MAC.test(value) ? value.toLowerCase() : null;
}

/** A host interface name as the kernel reports it and as it may appear in a file. */
export const HOST_IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
export const GENERIC_IFNAME = /^ge(0|[1-9][0-9]{0,3})$/;
export const DESCRIPTION = /^[A-Za-z0-9_]{0,64}$/;
/** Opaque identifiers (UUIDs and the like): no spaces, quotes or control characters. */
export const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export interface ParsedAddress {
  address: string;
  family: Family;
}

/** A single IP address in strict dotted-quad or RFC 4291 form, without zone. */
export function parseAddress(value: string): ParsedAddress | null {
  if (value.length > 45) return null;
  if (!value.includes(':')) {
    return isV4(value) ? { address: value, family: 4 } : null;
  }
  const bytes = parseV6(value);
  if (!bytes) return null;
  // IPv4-mapped addresses would let an IPv4 value pass as IPv6
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) return null;
  return { address: formatV6(bytes), family: 6 };
}

export interface ParsedCidr {
  address: string; // canonical address as written (host part kept)
  network: string; // canonical network address
  prefixLength: number;
  family: Family;
}

const PREFIX = /^(?:0|[1-9]\d{0,2})$/;

/** `addr/len`; a bare address is taken as a host address (/32 or /128) when allowBare. */
export function parseCidr(value: string, allowBare = false): ParsedCidr | null {
  const slash = value.indexOf('/');
  const parsed = parseAddress(slash < 0 ? value : value.slice(0, slash));
  if (!parsed) return null;
  const max = parsed.family === 4 ? 32 : 128;
  let prefixLength = max;
  if (slash < 0) {
    if (!allowBare) return null;
  } else {
    const lenText = value.slice(slash + 1);
    if (!PREFIX.test(lenText)) return null;
    prefixLength = Number(lenText);
    if (prefixLength > max) return null;
  }
  const network = networkAddress(parsed.address, prefixLength);
  return { address: parsed.address, network, prefixLength, family: parsed.family };
}

function bytesOf(address: string): number[] {
  const bytes = parseBytes(address);
  if (!bytes) throw new Error(`not an address: ${address}`);
  return bytes;
}

function mask(bytes: number[], prefixLength: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.min(8, Math.max(0, prefixLength - i * 8));
    return b & ((0xff00 >> bits) & 0xff);
  });
}

export function networkAddress(address: string, prefixLength: number): string {
  return formatBytes(mask(bytesOf(address), prefixLength));
}

export function cidrContains(network: string, prefixLength: number, address: string): boolean {
  const net = bytesOf(network);
  const addr = parseBytes(address);
  if (!addr || addr.length !== net.length) return false;
  const masked = mask(addr, prefixLength);
  const netMasked = mask(net, prefixLength);
  return masked.every((b, i) => b === netMasked[i]);
}

/** Numeric comparison of two addresses of any family (IPv4 sorts first). */
export function compareAddresses(a: string, b: string): number {
  const ba = bytesOf(a);
  const bb = bytesOf(b);
  if (ba.length !== bb.length) return ba.length - bb.length;
  for (let i = 0; i < ba.length; i++) {
    const d = (ba[i] as number) - (bb[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** The modified EUI-64 SLAAC address of `mac` in a /64 `network`. */
export function eui64Address(network: string, mac: string): string {
  const net = bytesOf(network);
  const m = mac.split(':').map((h) => Number.parseInt(h, 16));
  const iid = [(m[0] ?? 0) ^ 0x02, m[1] ?? 0, m[2] ?? 0, 0xff, 0xfe, m[3] ?? 0, m[4] ?? 0, m[5] ?? 0];
  return formatV6([...net.slice(0, 8), ...iid]);
}

export function isLinkLocal(address: string): boolean {
  const b = bytesOf(address);
  if (b.length === 4) return b[0] === 169 && b[1] === 254;
  return b[0] === 0xfe && ((b[1] as number) & 0xc0) === 0x80;
}

export function prefixToNetmask(prefixLength: number): string {
  return mask([255, 255, 255, 255], prefixLength).join('.');
}
