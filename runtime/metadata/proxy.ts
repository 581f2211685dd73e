// The metadata proxy: one HTTP listener per tenant network, reached by VMs through the
// DNAT of 169.254.169.254:80, forwarding each request to the orchestrator's metadata
// endpoint with headers that say which instance is asking.
//
// Where it departs from the Python reference (docs/reference-appliance.md §7), on purpose:
// the method, body, status and content type are relayed instead of forcing GET/text-plain,
// only IPv6 upstream literals are bracketed, every exchange is bounded in time and size, a
// per-source token bucket limits what one VM can make the proxy do, connection caps are
// shared fairly between sources, and listeners are reconciled in place so a configuration
// push does not drop connections.
//
// The parts: options.ts (options and defaults), listeners.ts (servers and routes),
// connections.ts (fair connection caps), handler.ts and exchange.ts (one request),
// headers.ts (identity headers), upstream.ts (forwarding), rate-limit.ts, address.ts.

import type http from 'node:http';
import type { MetadataListener, MetadataTable } from '../../schema/model.ts';
import type { Logger } from '../log.ts';
import { ConnectionGate } from './connections.ts';
import { RequestHandler } from './handler.ts';
import type { BindFailure, Listener, ListeningAddress, Route } from './listeners.ts';
import { bindFailure, buildRoute, closeNow, indexListeners, ListenerBindError, openListener } from './listeners.ts';
import type { MetadataProxyOptions } from './options.ts';
import { resolveSettings } from './options.ts';
import { RateLimiter } from './rate-limit.ts';
import { upstreamAgent } from './upstream.ts';

export { canonicalAddress, clientAddress } from './address.ts';
export { ConnectTimeout } from './errors.ts';
export { forwardHeaders, type Identity, responseHeaders } from './headers.ts';
export { type BindFailure, ListenerBindError, type ListeningAddress } from './listeners.ts';
export {
  MAX_CONNECTIONS_PER_LISTENER,
  MAX_CONNECTIONS_PER_SOURCE,
  MAX_CONNECTIONS_TOTAL,
  METADATA_PROXY_DEFAULTS,
  type MetadataProxyOptions,
  type RateLimit,
} from './options.ts';
export { RateLimiter, TokenBucket } from './rate-limit.ts';
export { armConnectTimeout, originForm, upstreamUrl } from './upstream.ts';

export class MetadataProxy {
  readonly #log: Logger;
  readonly #agent: http.Agent;
  readonly #gate: ConnectionGate;
  readonly #handler: RequestHandler;
  readonly #headersTimeoutMs: number;
  readonly #listeners = new Map<string, Listener>();
  /** Retired servers still draining, so close() can end them too. */
  readonly #draining = new Set<http.Server>();
  /** apply/close run one at a time: each works from the state the previous one left. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: MetadataProxyOptions) {
    const settings = resolveSettings(opts);
    const now = opts.now ?? (() => performance.now());
    this.#log = opts.logger;
    this.#agent = upstreamAgent();
    this.#gate = new ConnectionGate(settings.connections, now, this.#log);
    this.#headersTimeoutMs = settings.totalTimeoutMs;
    this.#handler = new RequestHandler({
      log: this.#log,
      now,
      agent: this.#agent,
      connectTimeoutMs: settings.connectTimeoutMs,
      totalTimeoutMs: settings.totalTimeoutMs,
      maxBodyBytes: settings.maxBodyBytes,
      limiter: settings.rateLimit === null ? null : new RateLimiter(settings.rateLimit, now),
      shedReason: (socket) => this.#gate.shedReason(socket),
    });
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
      const route = buildRoute(table, config, this.#log);
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

  #open(config: MetadataListener, route: Route): Promise<Listener> {
    const ctx = {
      log: this.#log,
      gate: this.#gate,
      headersTimeoutMs: this.#headersTimeoutMs,
      onRequest: this.#handler.handle.bind(this.#handler),
    };
    return openListener(ctx, config, route);
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
    this.#gate.close();
    this.#agent.destroy();
  }
}
