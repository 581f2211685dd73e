// One request from a VM, from its arrival to its log line: the deadline, the rate limit,
// the instance lookup, the body, then forwarding upstream.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { LogFields, Logger } from '../log.ts';
import { clientAddress } from './address.ts';
import type { ShedReason } from './connections.ts';
import { ClientGone, DeadlineExceeded, describe } from './errors.ts';
import type { Exchange } from './exchange.ts';
import { answerLocally, fail, readBody } from './exchange.ts';
import type { Listener } from './listeners.ts';
import { closeAfterIfRetired } from './listeners.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { UpstreamContext } from './upstream.ts';
import { forward, originForm, RETRYABLE_METHODS } from './upstream.ts';

/** Logged as the status of a request whose client left before any response (never sent). */
const CLIENT_CLOSED_REQUEST = 499;

export interface HandlerContext extends UpstreamContext {
  log: Logger;
  now: () => number;
  totalTimeoutMs: number;
  maxBodyBytes: number;
  limiter: RateLimiter | null;
  /** Why the proxy closed a connection itself (to make room), if it did. */
  shedReason(socket: Socket): ShedReason | undefined;
}

export class RequestHandler {
  readonly #ctx: HandlerContext;

  constructor(ctx: HandlerContext) {
    this.#ctx = ctx;
  }

  handle(listener: Listener, req: IncomingMessage, res: ServerResponse): void {
    const controller = new AbortController();
    const route = listener.route; // one consistent configuration for the whole request
    const source = clientAddress(req.socket.remoteAddress);
    const ex: Exchange = {
      route,
      req,
      res,
      source,
      instanceId: route.instances.get(source),
      started: this.#ctx.now(),
      signal: controller.signal,
    };
    this.#supervise(ex, controller, req.socket);
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
  #supervise(ex: Exchange, controller: AbortController, socket: Socket): void {
    const { res } = ex;
    const deadline = setTimeout(() => {
      ex.error ??= `no complete exchange within ${this.#ctx.totalTimeoutMs} ms`;
      controller.abort(new DeadlineExceeded());
      // Aborting stops the upstream side; a client still reading a begun answer is cut
      // too, so that no exchange outlives the deadline.
      if (res.headersSent && !res.writableFinished) res.destroy();
    }, this.#ctx.totalTimeoutMs);
    res.once('close', () => {
      clearTimeout(deadline);
      if (!res.writableFinished) {
        const shed = this.#ctx.shedReason(socket);
        ex.error ??= shed === undefined ? 'client closed the connection' : `connection closed by the proxy (${shed})`;
        controller.abort(new ClientGone());
      }
      this.#logExchange(ex);
    });
  }

  async #serve(ex: Exchange): Promise<void> {
    const waitSeconds = this.#ctx.limiter?.check(`${ex.route.networkId} ${ex.source}`) ?? 0;
    if (waitSeconds > 0) {
      return answerLocally(ex, 429, 'Too many requests.\n', { 'retry-after': String(waitSeconds) });
    }
    if (ex.instanceId === undefined) {
      // Unknown to the orchestrator too (it would answer 404): no need to ask it.
      return answerLocally(ex, 404, 'No instance is known for this source address.\n');
    }
    const body = await readBody(ex.req, this.#ctx.maxBodyBytes, ex.signal);
    switch (body.kind) {
      case 'too-large':
        return answerLocally(ex, 413, 'Request body too large.\n');
      case 'timeout':
        return answerLocally(ex, 408, 'Request body not received in time.\n');
      case 'gone':
        return;
      case 'ok':
        forward(this.#ctx, ex, ex.instanceId, body.body, RETRYABLE_METHODS.has(ex.req.method ?? ''));
    }
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
      duration_ms: Math.round((this.#ctx.now() - ex.started) * 100) / 100,
    };
    if (ex.error === undefined) {
      this.#ctx.log.info('metadata.request', fields);
    } else {
      this.#ctx.log.warn('metadata.request', { ...fields, error: ex.error });
    }
  }
}

/** The path without the query, for logs: queries may be long and are rarely telling. */
function pathOf(target: string): string {
  const path = originForm(target);
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
