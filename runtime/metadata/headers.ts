// Headers on the way up and down: the identity the proxy asserts for a VM, which of the
// VM's headers may go along, and which of the upstream's come back.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Who is asking, as the proxy (not the VM) asserts it. */
export interface Identity {
  source: string;
  instanceId: string;
  tenantId: string;
  networkId: string;
}

/**
 * Headers that describe one connection (RFC 9110 §7.6.1) or the framing of the body,
 * which the proxy re-frames after buffering it; Host is set by the upstream request.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);

/**
 * Identity claims. The orchestrator trusts them without checking the caller, so a VM
 * must never be able to set them: they are dropped and rewritten by the proxy.
 */
const IDENTITY = new Set([
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'forwarded',
  'x-real-ip',
  'x-instance-id',
  'x-instance-id-signature',
  'x-tenant-id',
  'x-quantum-network-id',
  'x-neutron-network-id',
]);

/** Headers for the upstream request: the client's end-to-end headers plus the identity. */
export function forwardHeaders(incoming: IncomingHttpHeaders, identity: Identity): OutgoingHttpHeaders {
  const listed = connectionTokens(incoming.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    // some upstream servers fold "_" into "-", so X_Instance_ID could pose as X-Instance-ID
    if (value === undefined || HOP_BY_HOP.has(name) || IDENTITY.has(name) || listed.has(name) || name.includes('_')) continue;
    out[name] = value;
  }
  out['x-forwarded-for'] = identity.source;
  out['x-instance-id'] = identity.instanceId;
  out['x-tenant-id'] = identity.tenantId;
  // The contract names the old Quantum header (the orchestrator ignores both today); the
  // Neutron name is sent too for consumers that know only the new one.
  out['x-quantum-network-id'] = identity.networkId;
  out['x-neutron-network-id'] = identity.networkId;
  return out;
}

/** Header names a Connection header declares hop-by-hop. */
function connectionTokens(value: string | undefined): Set<string> {
  if (value === undefined) return new Set();
  return new Set(
    value
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
}

/**
 * Upstream response headers relayed to the VM: the body's type and length, and Location
 * so that a redirect stays usable. The rest describe the orchestrator hop.
 */
const RELAYED_RESPONSE_HEADERS = ['content-type', 'content-length', 'location'] as const;

export function responseHeaders(upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name of RELAYED_RESPONSE_HEADERS) {
    const value = upstream[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Whether a request carries a body (RFC 9112 §6.3: only these two headers announce one). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}
