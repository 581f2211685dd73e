// The metadata proxy's options, their defaults, and the settings resolved from them.

import type { Logger } from '../log.ts';

export interface RateLimit {
  /** Requests a source may make in a burst (the bucket size). */
  burst: number;
  /** Sustained requests per second (the refill rate). */
  perSecond: number;
}

export interface MetadataProxyOptions {
  logger: Logger;
  /** Longest wait for a new upstream TCP connection (default 2000). */
  connectTimeoutMs?: number;
  /** Longest whole exchange, from the request's arrival to the last response byte (default 10000). */
  totalTimeoutMs?: number;
  /** Largest request body accepted; more is answered 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** Token bucket per source address and network; null turns it off (default burst 100, 50/s). */
  rateLimit?: RateLimit | null;
  /** Open connections over all listeners (default MAX_CONNECTIONS_TOTAL). */
  maxConnections?: number;
  /** Open connections on one listener, shared fairly between sources (default MAX_CONNECTIONS_PER_LISTENER). */
  maxConnectionsPerListener?: number;
  /** Open connections from one source on one listener (default MAX_CONNECTIONS_PER_SOURCE). */
  maxConnectionsPerSource?: number;
  /**
   * Under pressure (a cap three quarters full), a connection with no request in flight
   * is closed after this long idle (default 1000).
   */
  idleTimeoutUnderPressureMs?: number;
  /** Monotonic clock in ms, for rate limiting, idle times and durations; injectable for tests. */
  now?: () => number;
}

/** Open connections accepted per listener, and per source address on a listener. */
export const MAX_CONNECTIONS_PER_LISTENER = 256;
export const MAX_CONNECTIONS_PER_SOURCE = 64;
/** Open connections accepted over all listeners: the agent keeps descriptors for its own work. */
export const MAX_CONNECTIONS_TOTAL = 512;

export const METADATA_PROXY_DEFAULTS = Object.freeze({
  connectTimeoutMs: 2000,
  totalTimeoutMs: 10_000,
  maxBodyBytes: 1024 * 1024,
  // Generous: cloud-init fetches a few dozen documents at boot; this only stops a VM
  // that loops on the endpoint from keeping the orchestrator busy.
  rateLimit: Object.freeze({ burst: 100, perSecond: 50 }),
  maxConnections: MAX_CONNECTIONS_TOTAL,
  maxConnectionsPerListener: MAX_CONNECTIONS_PER_LISTENER,
  maxConnectionsPerSource: MAX_CONNECTIONS_PER_SOURCE,
  // A VM sends its request as soon as it has connected, and cloud-init asks for its
  // documents back to back: a second of silence is not a client at work.
  idleTimeoutUnderPressureMs: 1000,
});

/** Caps on open connections; see connections.ts for how they are shared. */
export interface ConnectionLimits {
  total: number;
  perListener: number;
  perSource: number;
  idleUnderPressureMs: number;
}

/** The options with their defaults filled in and checked. */
export interface Settings {
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxBodyBytes: number;
  rateLimit: RateLimit | null;
  connections: ConnectionLimits;
}

export function resolveSettings(opts: MetadataProxyOptions): Settings {
  const d = METADATA_PROXY_DEFAULTS;
  return {
    connectTimeoutMs: positive('connectTimeoutMs', opts.connectTimeoutMs ?? d.connectTimeoutMs),
    totalTimeoutMs: positive('totalTimeoutMs', opts.totalTimeoutMs ?? d.totalTimeoutMs),
    maxBodyBytes: positive('maxBodyBytes', opts.maxBodyBytes ?? d.maxBodyBytes),
    rateLimit: opts.rateLimit === undefined ? d.rateLimit : opts.rateLimit,
    connections: {
      total: positive('maxConnections', opts.maxConnections ?? d.maxConnections),
      perListener: positive('maxConnectionsPerListener', opts.maxConnectionsPerListener ?? d.maxConnectionsPerListener),
      perSource: positive('maxConnectionsPerSource', opts.maxConnectionsPerSource ?? d.maxConnectionsPerSource),
      idleUnderPressureMs: positive('idleTimeoutUnderPressureMs', opts.idleTimeoutUnderPressureMs ?? d.idleTimeoutUnderPressureMs),
    },
  };
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number`);
  return value;
}
