// The metadata proxy: one HTTP listener per tenant network, reached by VMs through the
// DNAT of 169.254.169.254:80, forwarding each request to the orchestrator's metadata
// endpoint with headers that say which instance is asking.
//
// Where it departs from the Python reference (docs/reference-appliance.md §7), on purpose:
// the method, body, status and content type are relayed instead of forcing GET/text-plain,
// only IPv6 upstream literals are bracketed, every exchange is bounded in time and size, a
// per-source token bucket limits what one VM can make the proxy do, and listeners are
// reconciled in place so a configuration push does not drop connections.

import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP, isIPv6 } from 'node:net';
import type { MetadataListener, MetadataTable } from '../../schema/model.ts';
import type { LogFields, Logger } from '../log.ts';

// ---------------------------------------------------------------------------
// Options

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
  /** Monotonic clock in ms, for rate limiting and durations; injectable for tests. */
  now?: () => number;
}

export const METADATA_PROXY_DEFAULTS = Object.freeze({
  connectTimeoutMs: 2000,
  totalTimeoutMs: 10_000,
  maxBodyBytes: 1024 * 1024,
  // Generous: cloud-init fetches a few dozen documents at boot; this only stops a VM
  // that loops on the endpoint from keeping the orchestrator busy.
  rateLimit: Object.freeze({ burst: 100, perSecond: 50 }),
});

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

/** A new upstream connection was not established within connectTimeoutMs. */
export class ConnectTimeout extends Error {
  override name = 'ConnectTimeout';
  readonly code = 'ECONNECTTIMEOUT';
}

// ---------------------------------------------------------------------------
// Pure request mapping

/**
 * The upstream URL for a request. Only IPv6 literals are bracketed: the reference
 * bracketed IPv4 too, which yields an invalid URL.
 */
export function upstreamUrl(address: string, port: number, pathAndQuery: string): string {
  return `http://${hostPort(address, port)}${originForm(pathAndQuery)}`;
}

function hostPort(address: string, port: number): string {
  return `${isIPv6(address) ? `[${address}]` : address}:${port}`;
}

/**
 * The path and query to send upstream. A client configured to use an HTTP proxy sends
 * the absolute form (`GET http://169.254.169.254/latest`); only its path and query are
 * kept, so the client cannot choose the upstream host.
 */
export function originForm(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return '/';
  }
}

/** Canonical text of an IP address, IPv4-mapped IPv6 reduced to IPv4; null if not an IP. */
export function canonicalAddress(address: string): string | null {
  const family = isIP(address); // strict: dotted quads without leading zeros, RFC 4291 text
  if (family === 4) return address;
  if (family !== 6) return null;
  let v6: string;
  try {
    // The WHATWG URL parser prints IPv6 in the RFC 5952 form: lower case, longest zero run "::".
    v6 = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase(); // a zone id (fe80::1%eth0), which URLs cannot carry
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (mapped === null) return v6;
  const high = Number.parseInt(mapped[1] ?? '', 16);
  const low = Number.parseInt(mapped[2] ?? '', 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * The client's address as matched and forwarded. A dual-stack listener sees IPv4 clients
 * as ::ffff:a.b.c.d, but the instance map and the orchestrator know them as a.b.c.d.
 */
export function clientAddress(remote: string | undefined): string {
  if (remote === undefined) return '';
  return canonicalAddress(remote) ?? remote;
}

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
function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

// ---------------------------------------------------------------------------
// Rate limiting

/** A token bucket on a caller-supplied clock (ms), so tests need no real time. */
export class TokenBucket {
  readonly #limit: RateLimit;
  #tokens: number;
  #updatedMs: number;

  constructor(limit: RateLimit, nowMs: number) {
    this.#limit = limit;
    this.#tokens = limit.burst;
    this.#updatedMs = nowMs;
  }

  /** Takes a token: 0 when granted, else the ms until one will be available. */
  take(nowMs: number): number {
    this.#refill(nowMs);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.#limit.perSecond);
  }

  /** A full bucket behaves like a new one, so it can be forgotten. */
  isFull(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.#limit.burst;
  }

  #refill(nowMs: number): void {
    // A clock that steps back must not mint tokens or stall the bucket.
    const elapsed = Math.max(0, nowMs - this.#updatedMs);
    this.#tokens = Math.min(this.#limit.burst, this.#tokens + (elapsed * this.#limit.perSecond) / 1000);
    this.#updatedMs = Math.max(this.#updatedMs, nowMs);
  }
}

/** One token bucket per key, with a bounded number of keys. */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(limit: RateLimit, now: () => number, maxKeys = 10_000) {
    if (!(limit.burst >= 1) || !(limit.perSecond > 0)) {
      throw new RangeError('rate limit needs burst >= 1 and perSecond > 0');
    }
    this.#limit = { burst: limit.burst, perSecond: limit.perSecond };
    this.#now = now;
    this.#maxKeys = maxKeys;
  }

  /** 0 when the request may proceed, else the seconds to wait (a Retry-After value). */
  check(key: string): number {
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      this.#makeRoom(now);
      bucket = new TokenBucket(this.#limit, now);
      this.#buckets.set(key, bucket);
    }
    const waitMs = bucket.take(now);
    return waitMs === 0 ? 0 : Math.max(1, Math.ceil(waitMs / 1000));
  }

  /** Number of keys tracked (for tests and introspection). */
  get size(): number {
    return this.#buckets.size;
  }

  // Sources come from tenant subnets, which can be large, so memory is bounded: idle
  // (full) buckets go first; failing that the oldest key, which merely resets its budget.
  #makeRoom(now: number): void {
    if (this.#buckets.size < this.#maxKeys) return;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.isFull(now)) this.#buckets.delete(key);
    }
    if (this.#buckets.size >= this.#maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (!oldest.done) this.#buckets.delete(oldest.value);
    }
  }
}

// ---------------------------------------------------------------------------
// The proxy

/** What a listener forwards to; swapped whole on apply, read once per request. */
interface Route {
  networkId: string;
  tenantId: string;
  upstream: { address: string; port: number };
  /** canonical source address -> device id */
  instances: ReadonlyMap<string, string>;
}

interface Listener {
  readonly networkId: string;
  /** The bind as configured (port 0 = any), compared on apply to decide on a rebind. */
  readonly address: string;
  readonly port: number;
  readonly server: http.Server;
  route: Route;
  /** Closed for a removal or rebind; still finishing requests already accepted. */
  retired: boolean;
}

/** One request's state, shared by the steps that handle it. */
interface Exchange {
  readonly route: Route;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly source: string;
  readonly instanceId: string | undefined;
  readonly started: number;
  /** Aborted on the total timeout or when the client goes away. */
  readonly signal: AbortSignal;
  /** First failure seen, for the log line. */
  error?: string;
}

interface Settings {
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxBodyBytes: number;
}

class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

class ClientGone extends Error {
  override name = 'ClientGone';
}

/** Logged as the status of a request whose client left before any response (never sent). */
const CLIENT_CLOSED_REQUEST = 499;

/** Open connections accepted per listener, and per source address on a listener. */
export const MAX_CONNECTIONS_PER_LISTENER = 256;
export const MAX_CONNECTIONS_PER_SOURCE = 64;
/** Open connections accepted over all listeners: the agent keeps descriptors for its own work. */
export const MAX_CONNECTIONS_TOTAL = 512;

/** Request methods that may be retried on a fresh connection when a pooled one was stale. */
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class MetadataProxy {
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #settings: Settings;
  readonly #limiter: RateLimiter | null;
  readonly #agent: http.Agent;
  readonly #listeners = new Map<string, Listener>();
  /** Retired servers still draining, so close() can end them too. */
  readonly #draining = new Set<http.Server>();
  /** apply/close run one at a time: each works from the state the previous one left. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #connections = 0;
  readonly #maxTotal: number;

  constructor(opts: MetadataProxyOptions) {
    const d = METADATA_PROXY_DEFAULTS;
    this.#log = opts.logger;
    this.#now = opts.now ?? (() => performance.now());
    this.#settings = {
      connectTimeoutMs: positive('connectTimeoutMs', opts.connectTimeoutMs ?? d.connectTimeoutMs),
      totalTimeoutMs: positive('totalTimeoutMs', opts.totalTimeoutMs ?? d.totalTimeoutMs),
      maxBodyBytes: positive('maxBodyBytes', opts.maxBodyBytes ?? d.maxBodyBytes),
    };
    const limit = opts.rateLimit === undefined ? d.rateLimit : opts.rateLimit;
    this.#limiter = limit === null ? null : new RateLimiter(limit, this.#now);
    this.#maxTotal = positive('maxConnections', opts.maxConnections ?? MAX_CONNECTIONS_TOTAL);
    // Free sockets are dropped after 4 s, before the common 5 s server keep-alive timeout,
    // to make it rare to write into a connection the upstream is closing.
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 4000 });
  }

  /**
   * Reconciles the listeners with the table. Unchanged binds keep their server and
   * connections and only get the new route; removed ones close; moved ones are closed and
   * reopened. Rejects with ListenerBindError when some listener cannot bind; all the
   * others are reconciled regardless.
   */
  apply(table: MetadataTable): Promise<void> {
    return this.#serially(() => this.#reconcile(table));
  }

  /** Stops every listener, ends open connections, and releases upstream sockets. */
  close(): Promise<void> {
    return this.#serially(() => this.#shutdown());
  }

  /** The addresses actually bound (port 0 in the table shows the port chosen). */
  listening(): ListeningAddress[] {
    const out: ListeningAddress[] = [];
    for (const listener of this.#listeners.values()) {
      const bound = listener.server.address();
      if (bound === null || typeof bound === 'string') continue;
      out.push({ network_id: listener.networkId, address: bound.address, port: bound.port });
    }
    return out;
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  // -- reconciliation -------------------------------------------------------

  async #reconcile(table: MetadataTable): Promise<void> {
    if (this.#closed) throw new Error('metadata proxy is closed');
    const wanted = indexListeners(table.listeners);
    // Retire first: a listener that moves may hand its port to another one.
    for (const [networkId, current] of this.#listeners) {
      const next = wanted.get(networkId);
      if (next === undefined || next.listen_address !== current.address || next.listen_port !== current.port) {
        this.#listeners.delete(networkId);
        this.#retire(current);
      }
    }
    const failures: BindFailure[] = [];
    for (const config of table.listeners) {
      const route = this.#route(table, config);
      const current = this.#listeners.get(config.network_id);
      if (current !== undefined) {
        current.route = route; // the next request on this listener sees it
        continue;
      }
      try {
        this.#listeners.set(config.network_id, await this.#open(config, route));
      } catch (error) {
        failures.push(bindFailure(config, error));
      }
    }
    if (failures.length > 0) throw new ListenerBindError(failures);
  }

  #route(table: MetadataTable, config: MetadataListener): Route {
    const instances = new Map<string, string>();
    for (const [address, deviceId] of Object.entries(config.ip_instance_map)) {
      const key = canonicalAddress(address);
      if (key === null) {
        this.#log.warn('metadata.bad_address', { network_id: config.network_id, address });
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

  async #open(config: MetadataListener, route: Route): Promise<Listener> {
    const server = http.createServer({
      // The handler's own deadline bounds the body and the response; this bounds a
      // client that trickles its headers.
      headersTimeout: this.#settings.totalTimeoutMs,
      requestTimeout: 0,
      connectionsCheckingInterval: 2000,
      keepAliveTimeout: 5000,
    });
    // Every connection costs the agent a file descriptor: a VM holding many open must not
    // starve the agent of the descriptors it needs to spawn its tools.
    server.maxConnections = MAX_CONNECTIONS_PER_LISTENER;
    const perSource = new Map<string, number>();
    server.on('connection', (socket) => {
      const source = clientAddress(socket.remoteAddress);
      const count = (perSource.get(source) ?? 0) + 1;
      if (count > MAX_CONNECTIONS_PER_SOURCE || this.#connections >= this.#maxTotal) {
        socket.destroy();
        return;
      }
      perSource.set(source, count);
      this.#connections += 1;
      socket.once('close', () => {
        this.#connections -= 1;
        const left = (perSource.get(source) ?? 1) - 1;
        if (left <= 0) perSource.delete(source);
        else perSource.set(source, left);
      });
    });
    const listener: Listener = {
      networkId: config.network_id,
      address: config.listen_address,
      port: config.listen_port,
      server,
      route,
      retired: false,
    };
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#handle(listener, req, res));
    await listen(server, config.listen_address, config.listen_port);
    server.on('error', (error) => {
      this.#log.error('metadata.listener_error', { network_id: listener.networkId, error: describe(error) });
    });
    const bound = server.address() as AddressInfo;
    this.#log.info('metadata.listener_open', {
      network_id: listener.networkId,
      address: bound.address,
      port: bound.port,
    });
    return listener;
  }

  /**
   * Stops accepting at once, which frees the port for a rebind. Idle connections close
   * now (Node's close() does that); busy ones finish their request, then close
   * (closeAfterIfRetired).
   */
  #retire(listener: Listener): void {
    listener.retired = true;
    this.#draining.add(listener.server);
    listener.server.close(() => this.#draining.delete(listener.server));
    this.#log.info('metadata.listener_close', { network_id: listener.networkId });
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    const servers = [...[...this.#listeners.values()].map((l) => l.server), ...this.#draining];
    this.#listeners.clear();
    await Promise.all(servers.map(closeNow));
    this.#agent.destroy();
  }

  // -- requests ---------------------------------------------------------------

  #handle(listener: Listener, req: IncomingMessage, res: ServerResponse): void {
    const controller = new AbortController();
    const route = listener.route; // one consistent configuration for the whole request
    const source = clientAddress(req.socket.remoteAddress);
    const ex: Exchange = {
      route,
      req,
      res,
      source,
      instanceId: route.instances.get(source),
      started: this.#now(),
      signal: controller.signal,
    };
    this.#supervise(ex, controller);
    closeAfterIfRetired(listener, res);
    this.#serve(ex).catch((error: unknown) => {
      ex.error ??= `internal error: ${describe(error)}`;
      fail(ex, 500, 'Internal error.\n');
    });
  }

  /**
   * Bounds the exchange by the total timeout, cancels the upstream side when the client
   * leaves, and writes the log line once the response is over, whatever ended it.
   */
  #supervise(ex: Exchange, controller: AbortController): void {
    const { res } = ex;
    const deadline = setTimeout(() => {
      ex.error ??= `no complete exchange within ${this.#settings.totalTimeoutMs} ms`;
      controller.abort(new DeadlineExceeded());
      // Aborting stops the upstream side; a client still reading a begun answer is cut
      // too, so that no exchange outlives the deadline.
      if (res.headersSent && !res.writableFinished) res.destroy();
    }, this.#settings.totalTimeoutMs);
    res.once('close', () => {
      clearTimeout(deadline);
      if (!res.writableFinished) {
        ex.error ??= 'client closed the connection';
        controller.abort(new ClientGone());
      }
      this.#logExchange(ex);
    });
  }

  async #serve(ex: Exchange): Promise<void> {
    const waitSeconds = this.#limiter?.check(`${ex.route.networkId} ${ex.source}`) ?? 0;
    if (waitSeconds > 0) {
      return answerLocally(ex, 429, 'Too many requests.\n', { 'retry-after': String(waitSeconds) });
    }
    if (ex.instanceId === undefined) {
      // Unknown to the orchestrator too (it would answer 404): no need to ask it.
      return answerLocally(ex, 404, 'No instance is known for this source address.\n');
    }
    const body = await readBody(ex.req, this.#settings.maxBodyBytes, ex.signal);
    switch (body.kind) {
      case 'too-large':
        return answerLocally(ex, 413, 'Request body too large.\n');
      case 'timeout':
        return answerLocally(ex, 408, 'Request body not received in time.\n');
      case 'gone':
        return;
      case 'ok':
        this.#forward(ex, ex.instanceId, body.body, RETRYABLE_METHODS.has(ex.req.method ?? ''));
    }
  }

  #forward(ex: Exchange, instanceId: string, body: Buffer | null, mayRetry: boolean): void {
    const { route, req, res } = ex;
    const upstream = http.request({
      host: route.upstream.address,
      port: route.upstream.port,
      method: req.method,
      path: originForm(req.url ?? '/'),
      headers: forwardHeaders(req.headers, {
        source: ex.source,
        instanceId,
        tenantId: route.tenantId,
        networkId: route.networkId,
      }),
      agent: this.#agent,
      signal: ex.signal,
    });
    armConnectTimeout(upstream, this.#settings.connectTimeoutMs);
    let responded = false;
    upstream.once('response', (upRes: IncomingMessage) => {
      responded = true;
      res.writeHead(upRes.statusCode ?? 502, responseHeaders(upRes.headers));
      // pipe() rather than stream.pipeline(), which costs an AbortController and a
      // DOMException per response. The other direction is covered: a client leaving
      // aborts ex.signal, which destroys the upstream request and this response.
      upRes.once('error', (error) => {
        ex.error ??= `response interrupted: ${describe(error)}`;
        res.destroy();
      });
      upRes.pipe(res);
    });
    upstream.on('error', (error: Error) => {
      if (!responded && mayRetry && upstream.reusedSocket && isStaleConnection(error) && !ex.signal.aborted) {
        // The pooled connection was closed by the upstream as we reused it; the request
        // did not reach it, and the method is safe, so one retry on a new connection.
        this.#forward(ex, instanceId, body, false);
        return;
      }
      ex.error ??= `upstream ${upstreamUrl(route.upstream.address, route.upstream.port, '')}: ${describe(error)}`;
      if (isTimeout(error, ex.signal)) fail(ex, 504, 'Metadata service timed out.\n');
      else fail(ex, 502, 'Metadata service unreachable.\n');
    });
    upstream.end(body ?? undefined);
  }

  #logExchange(ex: Exchange): void {
    const { res } = ex;
    const fields: LogFields = {
      network_id: ex.route.networkId,
      source: ex.source,
      instance_id: ex.instanceId ?? null,
      method: ex.req.method,
      path: pathOf(ex.req.url ?? '/'),
      status: res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST,
      duration_ms: Math.round((this.#now() - ex.started) * 100) / 100,
    };
    if (ex.error === undefined) {
      this.#log.info('metadata.request', fields);
    } else {
      this.#log.warn('metadata.request', { ...fields, error: ex.error });
    }
  }
}

// ---------------------------------------------------------------------------
// Helpers for the proxy

/**
 * A retired listener's connections close after their current request rather than wait
 * idle for another one (Node's server.close() only closes connections idle at that time).
 */
function closeAfterIfRetired(listener: Listener, res: ServerResponse): void {
  if (listener.retired) res.setHeader('connection', 'close');
  res.once('finish', () => {
    if (listener.retired) listener.server.closeIdleConnections();
  });
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number`);
  return value;
}

function indexListeners(listeners: readonly MetadataListener[]): Map<string, MetadataListener> {
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

function bindFailure(config: MetadataListener, error: unknown): BindFailure {
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

/** Closes a server and every connection on it, in flight or not. */
function closeNow(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    // The callback runs on 'close', also for a server that had already stopped listening.
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

type BodyResult = { kind: 'ok'; body: Buffer | null } | { kind: 'too-large' } | { kind: 'timeout' } | { kind: 'gone' };

/**
 * Buffers the request body, up to limit bytes. Buffering (metadata bodies are small)
 * means the upstream never sees a partial body and a retry can resend it.
 */
function readBody(req: IncomingMessage, limit: number, signal: AbortSignal): Promise<BodyResult> {
  if (!hasBody(req.headers)) return Promise.resolve({ kind: 'ok', body: null });
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult) => {
      if (done) return;
      done = true;
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else finish({ kind: 'too-large' });
    };
    const onEnd = () => finish({ kind: 'ok', body: Buffer.concat(chunks, size) });
    const onGone = () => finish({ kind: 'gone' });
    const onAbort = () => finish(signal.reason instanceof DeadlineExceeded ? { kind: 'timeout' } : { kind: 'gone' });
    req.on('data', onData).once('end', onEnd).once('error', onGone).once('close', onGone);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
  });
}

/**
 * Bounds the TCP connect of a new upstream connection. A pooled connection is already
 * connected; the total deadline covers everything after the connect.
 */
export function armConnectTimeout(request: ClientRequest, ms: number): void {
  request.once('socket', (socket) => {
    if (!socket.connecting) return;
    const timer = setTimeout(() => request.destroy(new ConnectTimeout(`no connection within ${ms} ms`)), ms);
    const clear = () => clearTimeout(timer);
    socket.once('connect', clear);
    request.once('close', clear);
  });
}

function isStaleConnection(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

function isTimeout(error: Error, signal: AbortSignal): boolean {
  return error instanceof ConnectTimeout || (signal.aborted && signal.reason instanceof DeadlineExceeded);
}

/**
 * Answers a request locally without reading its body. If the client sent one, the
 * connection is closed after the answer instead of reading the (possibly huge) rest.
 */
function answerLocally(ex: Exchange, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  const close = hasBody(ex.req.headers) && !ex.req.readableEnded ? { connection: 'close' } : {};
  sendText(ex.res, status, text, { ...headers, ...close });
}

/** Reports a failure: a short text answer, or a cut connection if the answer had begun. */
function fail(ex: Exchange, status: number, text: string): void {
  if (ex.res.headersSent) ex.res.destroy();
  else sendText(ex.res, status, text);
}

function sendText(res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The path without the query, for logs: queries may be long and are rarely telling. */
function pathOf(target: string): string {
  const path = originForm(target);
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}
