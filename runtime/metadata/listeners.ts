// The listeners: one HTTP server per tenant network, what each forwards to, and how a
// server is opened, retired and closed.

import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetadataListener, MetadataTable } from '../../schema/model.ts';
import type { Logger } from '../log.ts';
import { canonicalAddress, clientAddress, hostPort } from './address.ts';
import type { ConnectionGate } from './connections.ts';
import { ConnectionPool, UNKNOWN_SOURCES } from './connections.ts';
import { describe } from './errors.ts';

/** What a listener forwards to; swapped whole on apply, read once per request. */
export interface Route {
  networkId: string;
  tenantId: string;
  upstream: { address: string; port: number };
  /** canonical source address -> device id */
  instances: ReadonlyMap<string, string>;
}

export interface Listener {
  readonly networkId: string;
  /** The bind as configured (port 0 = any), compared on apply to decide on a rebind. */
  readonly address: string;
  readonly port: number;
  readonly server: http.Server;
  route: Route;
  /** Closed for a removal or rebind; still finishing requests already accepted. */
  retired: boolean;
}

export interface ListeningAddress {
  network_id: string;
  address: string;
  port: number;
}

export interface BindFailure {
  network_id: string;
  address: string;
  port: number;
  /** errno-style code such as EADDRINUSE, or the error's name. */
  code: string;
  error: unknown;
}

/** apply() could not open one or more listeners; the others were reconciled. */
export class ListenerBindError extends Error {
  readonly failures: readonly BindFailure[];

  constructor(failures: readonly BindFailure[]) {
    const list = failures.map((f) => `network ${f.network_id} on ${hostPort(f.address, f.port)} (${f.code})`);
    super(`metadata proxy: cannot listen for ${list.join('; ')}`);
    this.name = 'ListenerBindError';
    this.failures = failures;
  }
}

export function buildRoute(table: MetadataTable, config: MetadataListener, log: Logger): Route {
  const instances = new Map<string, string>();
  for (const [address, deviceId] of Object.entries(config.ip_instance_map)) {
    const key = canonicalAddress(address);
    if (key === null) {
      log.warn('metadata.bad_address', { network_id: config.network_id, address });
      continue;
    }
    instances.set(key, deviceId);
  }
  return {
    networkId: config.network_id,
    tenantId: table.tenant_id,
    upstream: { address: table.upstream.address, port: table.upstream.port },
    instances,
  };
}

export interface ListenerContext {
  log: Logger;
  gate: ConnectionGate;
  /** Bounds a client that trickles its headers. */
  headersTimeoutMs: number;
  onRequest(listener: Listener, req: IncomingMessage, res: ServerResponse): void;
}

export async function openListener(ctx: ListenerContext, config: MetadataListener, route: Route): Promise<Listener> {
  const server = http.createServer({
    // The handler's own deadline bounds the body and the response; this bounds a
    // client that trickles its headers.
    headersTimeout: ctx.headersTimeoutMs,
    requestTimeout: 0,
    connectionsCheckingInterval: 2000,
    keepAliveTimeout: 5000,
  });
  const listener: Listener = {
    networkId: config.network_id,
    address: config.listen_address,
    port: config.listen_port,
    server,
    route,
    retired: false,
  };
  // No server.maxConnections: Node would drop new connections at the cap, whoever holds
  // it. The gate enforces the caps and shares them fairly between sources.
  const pool = new ConnectionPool(config.network_id);
  server.on('connection', (socket) => {
    const source = clientAddress(socket.remoteAddress);
    ctx.gate.admit(pool, socket, listener.route.instances.has(source) ? source : UNKNOWN_SOURCES);
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    ctx.gate.requestStarted(socket);
    res.once('close', () => ctx.gate.requestEnded(socket));
    ctx.onRequest(listener, req, res);
  });
  await listen(server, config.listen_address, config.listen_port);
  server.on('error', (error) => {
    ctx.log.error('metadata.listener_error', { network_id: listener.networkId, error: describe(error) });
  });
  const bound = server.address() as AddressInfo;
  ctx.log.info('metadata.listener_open', { network_id: listener.networkId, address: bound.address, port: bound.port });
  return listener;
}

/**
 * A retired listener's connections close after their current request rather than wait
 * idle for another one (Node's server.close() only closes connections idle at that time).
 */
export function closeAfterIfRetired(listener: Listener, res: ServerResponse): void {
  if (listener.retired) res.setHeader('connection', 'close');
  res.once('finish', () => {
    if (listener.retired) listener.server.closeIdleConnections();
  });
}

/** Closes a server and every connection on it, in flight or not. */
export function closeNow(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    // The callback runs on 'close', also for a server that had already stopped listening.
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function indexListeners(listeners: readonly MetadataListener[]): Map<string, MetadataListener> {
  const byId = new Map<string, MetadataListener>();
  for (const listener of listeners) {
    // Checked before anything changes: listeners are keyed by network.
    if (byId.has(listener.network_id)) {
      throw new Error(`metadata proxy: network ${listener.network_id} has more than one listener`);
    }
    byId.set(listener.network_id, listener);
  }
  return byId;
}

export function bindFailure(config: MetadataListener, error: unknown): BindFailure {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    network_id: config.network_id,
    address: config.listen_address,
    port: config.listen_port,
    code: typeof code === 'string' ? code : describe(error),
    error,
  };
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    try {
      server.listen({ host, port });
    } catch (error) {
      // Invalid ports are thrown synchronously rather than emitted.
      server.off('error', onError);
      server.off('listening', onListening);
      reject(error);
    }
  });
}
