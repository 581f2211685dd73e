// Fixtures for the metadata proxy's loopback tests: a fake orchestrator endpoint on
// 127.0.0.1 (or ::1) that echoes what it receives, and VMs played by clients that bind a
// chosen 127.0.0.0/8 source address. No root needed.

import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import http from 'node:http';
import net from 'node:net';
import type { MetadataListener, MetadataTable } from '../../schema/model.ts';
import { memoryLogger } from '../log.ts';
import type { MetadataProxyOptions } from './proxy.ts';
import { MetadataProxy } from './proxy.ts';

// ---------------------------------------------------------------------------
// Fixtures

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Upstream {
  address: string;
  port: number;
  seen: Seen[];
  /** TCP connections accepted. */
  connections: number;
  close(): Promise<void>;
}

/**
 * The fake orchestrator. Paths: /status/<code> answers that status, /redirect a 302,
 * /hang never answers, /slow answers after 150 ms, /truncate dies after part of its body,
 * /drip starts a body and never ends it, /stale drops a connection that already served a
 * request (a keep-alive connection closing under the proxy), else a JSON echo.
 */
export async function startUpstream(address = '127.0.0.1'): Promise<Upstream> {
  const seen: Seen[] = [];
  const served = new WeakMap<net.Socket, number>();
  const server = http.createServer((req, res) => {
    const count = served.get(req.socket) ?? 0;
    served.set(req.socket, count + 1);
    if (req.url === '/stale' && count > 0) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, res, body);
    });
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address,
    port,
    seen,
    get connections() {
      return connections;
    },
    close: () => closeServer(server),
  };
}

export function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = req.url ?? '/';
  const status = /^\/status\/(\d{3})$/.exec(url);
  if (status !== null) {
    res.writeHead(Number(status[1]), { 'content-type': 'text/html', 'x-upstream-only': '1' });
    res.end(`status ${status[1]}`);
  } else if (url === '/redirect') {
    res.writeHead(302, { location: '/latest/', 'content-type': 'text/plain' });
    res.end('moved');
  } else if (url === '/hang') {
    // never answers
  } else if (url === '/slow') {
    setTimeout(() => res.end('slow'), 150);
  } else if (url === '/truncate') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
    res.write('only part', () => res.destroy());
  } else if (url === '/drip') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first chunk');
  } else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url, headers: req.headers, body }));
  }
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  reusedSocket: boolean;
  localPort: number | undefined;
}

export interface CallOptions {
  host?: string;
  localAddress?: string;
  method?: string;
  path?: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
  agent?: http.Agent;
}

/** One HTTP exchange; by default from VM 127.0.0.5 to 127.0.0.2, without keep-alive. */
export function call(port: number, opts: CallOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.host ?? '127.0.0.2',
        port,
        localAddress: opts.localAddress ?? '127.0.0.5',
        method: opts.method ?? 'GET',
        path: opts.path ?? '/latest/meta-data/',
        headers: opts.headers,
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            reusedSocket: req.reusedSocket,
            localPort: req.socket?.localPort,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The error code of a call that must fail, e.g. ECONNREFUSED for a closed listener. */
export async function callError(port: number, opts: CallOptions = {}): Promise<string> {
  try {
    await call(port, opts);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
  throw new Error(`expected the call to port ${port} to fail`);
}

/** A loopback port that nothing listens on (free at the time of the call). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function listener(networkId: string, over: Partial<MetadataListener> = {}): MetadataListener {
  return {
    network_id: networkId,
    ifname: 'ge1',
    listen_address: '127.0.0.2',
    listen_port: 0,
    ip_instance_map: { '127.0.0.5': 'vm-5' },
    ...over,
  };
}

export function table(upstream: { address: string; port: number }, listeners: MetadataListener[]): MetadataTable {
  return { tenant_id: 'tenant-1', upstream: { address: upstream.address, port: upstream.port }, listeners };
}

export interface Fixture {
  upstream: Upstream;
  proxy: MetadataProxy;
  log: ReturnType<typeof memoryLogger>;
  /** The bound port of a network's listener. */
  port(networkId?: string): number;
}

/** An upstream and a proxy with one listener (net-1), both closed afterwards. */
export async function withProxy(
  run: (fx: Fixture) => Promise<void>,
  options: Partial<MetadataProxyOptions> = {},
  listeners: MetadataListener[] = [listener('net-1')],
): Promise<void> {
  const upstream = await startUpstream();
  const log = memoryLogger();
  const proxy = new MetadataProxy({ logger: log, ...options });
  const port = (networkId = 'net-1') => {
    const found = proxy.listening().find((l) => l.network_id === networkId);
    if (found === undefined) throw new Error(`no listener for ${networkId}`);
    return found.port;
  };
  try {
    await proxy.apply(table(upstream, listeners));
    await run({ upstream, proxy, log, port });
  } finally {
    await proxy.close();
    await upstream.close();
  }
}

export function requestLogs(log: Fixture['log']) {
  return log.records.filter((r) => r.event === 'metadata.request');
}

/** Waits for the log line of a request (written when its response closes). */
export async function waitForLogs(log: Fixture['log'], count: number): Promise<void> {
  for (let i = 0; i < 100 && requestLogs(log).length < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function echoed(reply: Reply): { method: string; url: string; headers: IncomingHttpHeaders; body: string } {
  return JSON.parse(reply.body);
}
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A bare TCP connection from a source address that sends nothing (half-open for HTTP). */
export function openIdle(port: number, localAddress: string, host = '127.0.0.2'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress }, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Whether the proxy has left a connection open (checked from the client side). */
export function isOpen(socket: net.Socket): boolean {
  return !socket.destroyed && socket.readyState === 'open';
}
