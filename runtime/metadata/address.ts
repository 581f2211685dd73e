// Source addresses as the proxy matches, forwards and logs them.

import { isIPv6 } from 'node:net';
import { formatV6, isV4, parseV6 } from '../../schema/ip.ts';

/**
 * Canonical text of an IP address, IPv4-mapped IPv6 reduced to IPv4; null if not an IP.
 * Strict (dotted quads without leading zeros, RFC 4291 text) and printed in the RFC 5952
 * form by the schema's own parser, so the proxy and the schema agree on every address.
 * A zone id (fe80::1%eth0, which a socket can report) is kept as written.
 */
export function canonicalAddress(address: string): string | null {
  if (isV4(address)) return address;
  const percent = address.indexOf('%');
  if (percent === address.length - 1) return null;
  const bytes = parseV6(percent === -1 ? address : address.slice(0, percent));
  if (bytes === null) return null;
  if (isV4Mapped(bytes)) return bytes.slice(12).join('.');
  const text = formatV6(bytes);
  return percent === -1 ? text : `${text}${address.slice(percent)}`;
}

function isV4Mapped(bytes: readonly number[]): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 255 && bytes[11] === 255;
}

/**
 * The client's address as matched and forwarded. A dual-stack listener sees IPv4 clients
 * as ::ffff:a.b.c.d, but the instance map and the orchestrator know them as a.b.c.d.
 */
export function clientAddress(remote: string | undefined): string {
  if (remote === undefined) return '';
  return canonicalAddress(remote) ?? remote;
}

/** host:port for a URL or a message; only IPv6 literals are bracketed. */
export function hostPort(address: string, port: number): string {
  return `${isIPv6(address) ? `[${address}]` : address}:${port}`;
}
