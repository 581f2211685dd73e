// Forwarding to the orchestrator's metadata endpoint: the URL, the pooled connections,
// the connect timeout, and one retry when a pooled connection turns out stale.

import type { ClientRequest, IncomingMessage } from 'node:http';
import http from 'node:http';
import { hostPort } from './address.ts';
import { ConnectTimeout, DeadlineExceeded, describe } from './errors.ts';
import type { Exchange } from './exchange.ts';
import { fail } from './exchange.ts';
import { forwardHeaders, responseHeaders } from './headers.ts';

/**
 * The upstream URL for a request. Only IPv6 literals are bracketed: the reference
 * bracketed IPv4 too, which yields an invalid URL.
 */
export function upstreamUrl(address: string, port: number, pathAndQuery: string): string {
  return `http://${hostPort(address, port)}${originForm(pathAndQuery)}`;
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

/** Request methods that may be retried on a fresh connection when a pooled one was stale. */
export const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The pool of upstream connections, shared by every listener. */
export function upstreamAgent(): http.Agent {
  // Free sockets are dropped after 4 s, before the common 5 s server keep-alive timeout,
  // to make it rare to write into a connection the upstream is closing.
  return new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 4000 });
}

export interface UpstreamContext {
  agent: http.Agent;
  connectTimeoutMs: number;
}

/** Sends the request upstream and relays the answer, or fails the exchange with 502/504. */
export function forward(ctx: UpstreamContext, ex: Exchange, instanceId: string, body: Buffer | null, mayRetry: boolean): void {
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
    agent: ctx.agent,
    signal: ex.signal,
  });
  armConnectTimeout(upstream, ctx.connectTimeoutMs);
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
      forward(ctx, ex, instanceId, body, false);
      return;
    }
    ex.error ??= `upstream ${upstreamUrl(route.upstream.address, route.upstream.port, '')}: ${describe(error)}`;
    if (isTimeout(error, ex.signal)) fail(ex, 504, 'Metadata service timed out.\n');
    else fail(ex, 502, 'Metadata service unreachable.\n');
  });
  upstream.end(body ?? undefined);
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
