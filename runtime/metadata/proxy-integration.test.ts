// The metadata proxy over real sockets, on loopback only: a fake orchestrator endpoint
// on 127.0.0.1 (or ::1) echoes what it receives; VMs are played by clients that bind a
// chosen 127.0.0.0/8 source address.

import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import http from 'node:http';
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MetadataListener, MetadataTable } from '../../schema/model.ts';
import { memoryLogger } from '../log.ts';
import type { MetadataProxyOptions } from './proxy.ts';
import { ListenerBindError, MAX_CONNECTIONS_PER_SOURCE, MetadataProxy } from './proxy.ts';

// ---------------------------------------------------------------------------
// Fixtures

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Upstream {
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
async function startUpstream(address = '127.0.0.1'): Promise<Upstream> {
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

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
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

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  reusedSocket: boolean;
  localPort: number | undefined;
}

interface CallOptions {
  host?: string;
  localAddress?: string;
  method?: string;
  path?: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
  agent?: http.Agent;
}

/** One HTTP exchange; by default from VM 127.0.0.5 to 127.0.0.2, without keep-alive. */
function call(port: number, opts: CallOptions = {}): Promise<Reply> {
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
async function callError(port: number, opts: CallOptions = {}): Promise<string> {
  try {
    await call(port, opts);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
  throw new Error(`expected the call to port ${port} to fail`);
}

/** A loopback port that nothing listens on (free at the time of the call). */
async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function listener(networkId: string, over: Partial<MetadataListener> = {}): MetadataListener {
  return {
    network_id: networkId,
    ifname: 'ge1',
    listen_address: '127.0.0.2',
    listen_port: 0,
    ip_instance_map: { '127.0.0.5': 'vm-5' },
    ...over,
  };
}

function table(upstream: { address: string; port: number }, listeners: MetadataListener[]): MetadataTable {
  return { tenant_id: 'tenant-1', upstream: { address: upstream.address, port: upstream.port }, listeners };
}

interface Fixture {
  upstream: Upstream;
  proxy: MetadataProxy;
  log: ReturnType<typeof memoryLogger>;
  /** The bound port of a network's listener. */
  port(networkId?: string): number;
}

/** An upstream and a proxy with one listener (net-1), both closed afterwards. */
async function withProxy(
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

function requestLogs(log: Fixture['log']) {
  return log.records.filter((r) => r.event === 'metadata.request');
}

/** Waits for the log line of a request (written when its response closes). */
async function waitForLogs(log: Fixture['log'], count: number): Promise<void> {
  for (let i = 0; i < 100 && requestLogs(log).length < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function echoed(reply: Reply): { method: string; url: string; headers: IncomingHttpHeaders; body: string } {
  return JSON.parse(reply.body);
}

// ---------------------------------------------------------------------------
// Forwarding

test('forwards path, query and identity headers; spoofed ones are replaced', () =>
  withProxy(async ({ port }) => {
    const reply = await call(port(), {
      path: '/latest/meta-data/?a=1&b=two',
      headers: {
        accept: 'text/plain',
        'x-forwarded-for': '6.6.6.6',
        'x-instance-id': 'someone-else',
        'x-tenant-id': 'other-tenant',
        'x-quantum-network-id': 'other-net',
        connection: 'x-hop',
        'x-hop': '1',
      },
    });
    assert.is(reply.status, 200);
    const seen = echoed(reply);
    assert.is(seen.method, 'GET');
    assert.is(seen.url, '/latest/meta-data/?a=1&b=two');
    assert.is(seen.headers['x-forwarded-for'], '127.0.0.5');
    assert.is(seen.headers['x-instance-id'], 'vm-5');
    assert.is(seen.headers['x-tenant-id'], 'tenant-1');
    assert.is(seen.headers['x-quantum-network-id'], 'net-1');
    assert.is(seen.headers['x-neutron-network-id'], 'net-1');
    assert.is(seen.headers.accept, 'text/plain');
    assert.is(seen.headers['x-hop'], undefined);
    assert.ok(seen.headers.host?.startsWith('127.0.0.1:'), 'Host names the upstream');
  }));

test('relays status, content type and body without following redirects', () =>
  withProxy(async ({ upstream, port }) => {
    for (const code of [404, 500, 403]) {
      const reply = await call(port(), { path: `/status/${code}` });
      assert.is(reply.status, code);
      assert.is(reply.body, `status ${code}`);
      assert.is(reply.headers['content-type'], 'text/html');
      assert.is(reply.headers['x-upstream-only'], undefined);
    }
    const moved = await call(port(), { path: '/redirect' });
    assert.is(moved.status, 302);
    assert.is(moved.headers.location, '/latest/');
    assert.is(moved.body, 'moved');
    const ok = await call(port());
    assert.is(ok.status, 200);
    assert.is(ok.headers['content-type'], 'application/json');
    assert.is(upstream.seen.length, 5, 'one upstream request each, the redirect not followed');
  }));

test('forwards the method and body, with or without a declared length', () =>
  withProxy(async ({ port }) => {
    const posted = echoed(
      await call(port(), {
        method: 'POST',
        path: '/openstack/latest/password',
        headers: { 'content-type': 'text/plain' },
        body: 'secret-ish',
      }),
    );
    assert.is(posted.method, 'POST');
    assert.is(posted.body, 'secret-ish');
    assert.is(posted.headers['content-length'], '10');
    assert.is(posted.headers['content-type'], 'text/plain');
    const chunked = echoed(await call(port(), { method: 'PUT', headers: { 'transfer-encoding': 'chunked' }, body: 'x'.repeat(3000) }));
    assert.is(chunked.method, 'PUT');
    assert.is(chunked.body.length, 3000);
    assert.is(chunked.headers['transfer-encoding'], undefined, 're-framed after buffering');
  }));

test('answers 413 for a body over the bound, without asking upstream', () =>
  withProxy(
    async ({ upstream, port }) => {
      const declared = await call(port(), { method: 'POST', body: 'x'.repeat(2000) });
      assert.is(declared.status, 413);
      assert.is(declared.headers['content-type'], 'text/plain; charset=utf-8');
      const chunked = await call(port(), {
        method: 'POST',
        headers: { 'transfer-encoding': 'chunked' },
        body: 'x'.repeat(2000),
      });
      assert.is(chunked.status, 413);
      const exact = await call(port(), { method: 'POST', body: 'x'.repeat(1000) });
      assert.is(exact.status, 200);
      assert.is(upstream.seen.length, 1);
    },
    { maxBodyBytes: 1000 },
  ));

test('answers 404 for a source without an instance, without asking upstream', () =>
  withProxy(async ({ upstream, port, log }) => {
    const reply = await call(port(), { localAddress: '127.0.0.9' });
    assert.is(reply.status, 404);
    assert.is(reply.headers['content-type'], 'text/plain; charset=utf-8');
    assert.is(upstream.seen.length, 0);
    assert.is(upstream.connections, 0);
    await waitForLogs(log, 1);
    const [line] = requestLogs(log);
    assert.is(line?.fields.instance_id, null);
    assert.is(line?.fields.status, 404);
  }));

test('a dual-stack listener maps ::ffff:a.b.c.d sources to the IPv4 entry', () =>
  withProxy(
    async ({ port }) => {
      const seen = echoed(await call(port(), { host: '127.0.0.2' }));
      assert.is(seen.headers['x-forwarded-for'], '127.0.0.5');
      assert.is(seen.headers['x-instance-id'], 'vm-5');
    },
    {},
    [listener('net-1', { listen_address: '::ffff:127.0.0.2' })],
  ));

test('reaches an IPv6 upstream', async () => {
  const upstream = await startUpstream('::1');
  const proxy = new MetadataProxy({ logger: memoryLogger() });
  try {
    await proxy.apply(table(upstream, [listener('net-1')]));
    const port = proxy.listening()[0]?.port ?? 0;
    const reply = await call(port);
    assert.is(reply.status, 200);
    assert.is(echoed(reply).headers.host, `[::1]:${upstream.port}`);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

test('logs one line per request', () =>
  withProxy(async ({ port, log }) => {
    await call(port(), { path: '/latest/meta-data/hostname?x=1' });
    await call(port(), { path: '/status/500' });
    await waitForLogs(log, 2);
    const lines = requestLogs(log);
    assert.is(lines.length, 2);
    const fields = lines[0]?.fields ?? {};
    assert.equal(Object.keys(fields).sort(), ['duration_ms', 'instance_id', 'method', 'network_id', 'path', 'source', 'status']);
    assert.is(fields.network_id, 'net-1');
    assert.is(fields.source, '127.0.0.5');
    assert.is(fields.instance_id, 'vm-5');
    assert.is(fields.method, 'GET');
    assert.is(fields.path, '/latest/meta-data/hostname');
    assert.is(fields.status, 200);
    assert.type(fields.duration_ms, 'number');
    assert.is(lines[1]?.fields.status, 500);
    assert.is(lines[1]?.level, 'info', 'an upstream answer is not a proxy failure');
  }));

// ---------------------------------------------------------------------------
// Failures and limits

test('answers 502 when the upstream refuses connections', async () => {
  const closedPort = await freePort();
  const log = memoryLogger();
  const proxy = new MetadataProxy({ logger: log });
  try {
    await proxy.apply(table({ address: '127.0.0.1', port: closedPort }, [listener('net-1')]));
    const reply = await call(proxy.listening()[0]?.port ?? 0);
    assert.is(reply.status, 502);
    assert.is(reply.headers['content-type'], 'text/plain; charset=utf-8');
    assert.ok(reply.body.length > 0 && reply.body.length < 100);
    await waitForLogs(log, 1);
    const [line] = requestLogs(log);
    assert.is(line?.level, 'warn');
    assert.match(String(line?.fields.error), /ECONNREFUSED/);
  } finally {
    await proxy.close();
  }
});

test('answers 504 when the upstream accepts but never answers', () =>
  withProxy(
    async ({ port, upstream }) => {
      const started = Date.now();
      const reply = await call(port(), { path: '/hang' });
      const elapsed = Date.now() - started;
      assert.is(reply.status, 504);
      assert.is(reply.headers['content-type'], 'text/plain; charset=utf-8');
      assert.ok(elapsed >= 250 && elapsed < 2000, `took ${elapsed} ms`);
      assert.is(upstream.seen.length, 1);
    },
    { totalTimeoutMs: 300 },
  ));

test('cuts the client off when the upstream dies in the middle of a body', () =>
  withProxy(async ({ port, log }) => {
    assert.is(await callError(port(), { path: '/truncate' }), 'ECONNRESET');
    await waitForLogs(log, 1);
    const [line] = requestLogs(log);
    assert.is(line?.level, 'warn');
    assert.is(line?.fields.status, 200);
    assert.match(String(line?.fields.error), /interrupted/);
  }));

test('cuts a response that outlasts the total timeout', () =>
  withProxy(
    async ({ port, log }) => {
      const started = Date.now();
      assert.is(await callError(port(), { path: '/drip' }), 'ECONNRESET');
      assert.ok(Date.now() - started < 2000);
      await waitForLogs(log, 1);
      assert.match(String(requestLogs(log)[0]?.fields.error), /within 300 ms/);
    },
    { totalTimeoutMs: 300 },
  ));

test('answers 408 when the client does not send its body in time', () =>
  withProxy(
    async ({ port, upstream }) => {
      const reply = await new Promise<{ status: number }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.2', port: port(), localAddress: '127.0.0.5', method: 'POST', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        });
        req.on('error', reject);
        req.setHeader('content-length', '10');
        req.write('ab'); // and never the rest
      });
      assert.is(reply.status, 408);
      assert.is(upstream.seen.length, 0);
    },
    { totalTimeoutMs: 200 },
  ));

test('answers 429 with Retry-After beyond the per-source budget', async () => {
  let now = 0;
  await withProxy(
    async ({ port, upstream }) => {
      assert.is((await call(port())).status, 200);
      assert.is((await call(port())).status, 200);
      const limited = await call(port());
      assert.is(limited.status, 429);
      assert.is(limited.headers['retry-after'], '1');
      const other = await call(port(), { localAddress: '127.0.0.6' });
      assert.is(other.status, 404, 'another source has its own budget');
      now = 1000;
      assert.is((await call(port())).status, 200);
      assert.is(upstream.seen.length, 3);
    },
    { rateLimit: { burst: 2, perSecond: 1 }, now: () => now },
  );
});

test('retries a GET once when a pooled upstream connection turns out closed', () =>
  withProxy(async ({ port, upstream }) => {
    assert.is((await call(port(), { path: '/stale' })).status, 200);
    const retried = await call(port(), { path: '/stale' });
    assert.is(retried.status, 200);
    assert.is(upstream.connections, 2, 'the retry used a new connection');
    assert.is(upstream.seen.length, 2);
    const posted = await call(port(), { path: '/stale', method: 'POST', body: 'x' });
    assert.is(posted.status, 502, 'a POST is not retried');
  }));

test('a client that goes away cancels the upstream request', async () => {
  // Count upstream requests that end without an answer (the proxy gave up on them).
  let cancelled = 0;
  const hang = http.createServer((req) => req.socket.once('close', () => (cancelled += 1)));
  await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
  const log = memoryLogger();
  const proxy = new MetadataProxy({ logger: log });
  try {
    await proxy.apply(table({ address: '127.0.0.1', port: (hang.address() as net.AddressInfo).port }, [listener('net-1')]));
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.2',
        port: proxy.listening()[0]?.port,
        localAddress: '127.0.0.5',
        agent: false,
      });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => req.destroy(), 100);
    });
    await waitForLogs(log, 1);
    assert.is(requestLogs(log)[0]?.fields.status, 499);
    assert.is(requestLogs(log)[0]?.fields.error, 'client closed the connection');
    for (let i = 0; i < 100 && cancelled === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.is(cancelled, 1);
  } finally {
    await proxy.close();
    await closeServer(hang);
  }
});

// ---------------------------------------------------------------------------
// Reconciling listeners

test('apply adds and removes listeners', () =>
  withProxy(async ({ proxy, upstream, port }) => {
    const first = port('net-1');
    await proxy.apply(table(upstream, [listener('net-1'), listener('net-2', { listen_address: '127.0.0.3' })]));
    assert.is(port('net-1'), first);
    assert.is((await call(port('net-2'), { host: '127.0.0.3' })).status, 200);
    await proxy.apply(table(upstream, [listener('net-2', { listen_address: '127.0.0.3' })]));
    assert.equal(
      proxy.listening().map((l) => l.network_id),
      ['net-2'],
    );
    assert.is(await callError(first, { host: '127.0.0.2' }), 'ECONNREFUSED');
  }));

test('apply rebinds a listener whose port changes', () =>
  withProxy(async ({ proxy, upstream, port }) => {
    const before = port();
    const after = await freePort('127.0.0.2');
    await proxy.apply(table(upstream, [listener('net-1', { listen_port: after })]));
    assert.is(port(), after);
    assert.is((await call(after, { host: '127.0.0.2' })).status, 200);
    assert.is(await callError(before, { host: '127.0.0.2' }), 'ECONNREFUSED');
  }));

test('apply can hand a port from one listener to another', () =>
  withProxy(async ({ proxy, upstream, port }) => {
    const shared = port('net-1');
    await proxy.apply(
      table(upstream, [
        listener('net-1', { listen_address: '127.0.0.3' }),
        listener('net-2', { listen_port: shared, ip_instance_map: { '127.0.0.5': 'vm-on-net-2' } }),
      ]),
    );
    const seen = echoed(await call(shared, { host: '127.0.0.2' }));
    assert.is(seen.headers['x-quantum-network-id'], 'net-2');
    assert.is(seen.headers['x-instance-id'], 'vm-on-net-2');
  }));

test('an unchanged listener keeps its server and connections; new map and tenant apply at once', () =>
  withProxy(async ({ proxy, upstream, port }) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await call(port(), { agent, host: '127.0.0.2' });
      assert.is(echoed(before).headers['x-instance-id'], 'vm-5');
      const next = table(upstream, [listener('net-1', { ip_instance_map: { '127.0.0.5': 'vm-5-rebuilt' } })]);
      next.tenant_id = 'tenant-2';
      await proxy.apply(next);
      const after = await call(port(), { agent, host: '127.0.0.2' });
      assert.ok(after.reusedSocket, 'the keep-alive connection survived');
      assert.is(after.localPort, before.localPort);
      assert.is(echoed(after).headers['x-instance-id'], 'vm-5-rebuilt');
      assert.is(echoed(after).headers['x-tenant-id'], 'tenant-2');
    } finally {
      agent.destroy();
    }
  }));

test('an upstream change applies to the next request without a rebind', async () => {
  const second = await startUpstream();
  try {
    await withProxy(async ({ proxy, upstream, port }) => {
      const bound = port();
      await call(bound);
      await proxy.apply(table(second, [listener('net-1')]));
      assert.is(port(), bound);
      assert.is((await call(bound)).status, 200);
      assert.is(upstream.seen.length, 1);
      assert.is(second.seen.length, 1);
    });
  } finally {
    await second.close();
  }
});

test('a removed listener finishes the request in flight, then closes its connection', () =>
  withProxy(async ({ proxy, upstream, port, log }) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const bound = port();
      const inFlight = call(bound, { agent, path: '/slow' });
      while (upstream.connections === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const applied = Date.now();
      await proxy.apply(table(upstream, []));
      assert.ok(Date.now() - applied < 100, 'apply does not wait for the request');
      const reply = await inFlight;
      assert.is(reply.status, 200);
      assert.is(reply.body, 'slow');
      await waitForLogs(log, 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Had the connection stayed open, the agent would reuse it and get an answer.
      assert.is(await callError(bound, { agent }), 'ECONNREFUSED');
    } finally {
      agent.destroy();
    }
  }));

test('a failed bind rejects apply and leaves the other listeners serving', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.3', resolve));
  const taken = (blocker.address() as net.AddressInfo).port;
  try {
    await withProxy(async ({ proxy, upstream, port }) => {
      const first = port('net-1');
      const wanted = table(upstream, [
        listener('net-1'),
        listener('net-2', { listen_address: '127.0.0.3', listen_port: taken }),
        listener('net-3', { listen_address: '127.0.0.4' }),
      ]);
      const error = await proxy.apply(wanted).then(
        () => null,
        (e: unknown) => e,
      );
      assert.instance(error, ListenerBindError);
      const bindError = error as ListenerBindError;
      assert.match(bindError.message, /net-2/);
      assert.match(bindError.message, /EADDRINUSE/);
      assert.equal(
        bindError.failures.map((f) => [f.network_id, f.code]),
        [['net-2', 'EADDRINUSE']],
      );
      assert.is(port('net-1'), first);
      assert.is((await call(first, { host: '127.0.0.2' })).status, 200);
      assert.is((await call(port('net-3'), { host: '127.0.0.4' })).status, 200);
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
      await proxy.apply(wanted);
      assert.is((await call(taken, { host: '127.0.0.3' })).status, 200, 'retried on the next apply');
    });
  } finally {
    if (blocker.listening) blocker.close();
  }
});

test('apply rejects two listeners for one network before changing anything', () =>
  withProxy(async ({ proxy, upstream, port }) => {
    const before = port();
    const error = await proxy.apply(table(upstream, [listener('net-1', { listen_port: 1 }), listener('net-1')])).then(
      () => null,
      (e: unknown) => e,
    );
    assert.instance(error, Error);
    assert.match(String(error), /more than one listener/);
    assert.is(port(), before);
  }));

test('close stops every listener and later applies are refused', async () => {
  const upstream = await startUpstream();
  const proxy = new MetadataProxy({ logger: memoryLogger() });
  try {
    await proxy.apply(table(upstream, [listener('net-1'), listener('net-2', { listen_address: '127.0.0.3' })]));
    const ports = proxy.listening();
    await proxy.close();
    assert.equal(proxy.listening(), []);
    for (const { address, port } of ports) {
      assert.is(await callError(port, { host: address }), 'ECONNREFUSED');
    }
    try {
      await proxy.apply(table(upstream, []));
      assert.unreachable('apply after close must reject');
    } catch (error) {
      assert.match(String(error), /closed/);
    }
    await proxy.close(); // idempotent
  } finally {
    await upstream.close();
  }
});

test('a source holding many idle connections is capped, and others still get through', async () => {
  await withProxy(async (fx) => {
    const open = (localAddress: string) =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.2', port: fx.port(), localAddress }, () => resolve(socket));
        socket.on('error', reject);
      });
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS_PER_SOURCE + 4; i++) held.push(await open('127.0.0.6'));
      await new Promise((r) => setTimeout(r, 100));
      const alive = held.filter((s) => !s.destroyed && s.readyState === 'open').length;
      assert.ok(alive <= MAX_CONNECTIONS_PER_SOURCE, `${alive} connections kept open from one source`);
      const other = await call(fx.port(), { localAddress: '127.0.0.5' });
      assert.is(other.status, 200, 'another source is still served');
    } finally {
      for (const s of held) s.destroy();
    }
  });
});

test('connections over all listeners are capped', async () => {
  await withProxy(
    async (fx) => {
      const held: net.Socket[] = [];
      try {
        for (const source of ['127.0.0.6', '127.0.0.7', '127.0.0.8']) {
          for (let i = 0; i < 3; i++) {
            held.push(
              await new Promise<net.Socket>((resolve, reject) => {
                const socket = net.connect({ host: '127.0.0.2', port: fx.port(), localAddress: source }, () => resolve(socket));
                socket.on('error', reject);
              }),
            );
          }
        }
        await new Promise((r) => setTimeout(r, 100));
        const open = held.filter((x) => !x.destroyed && x.readyState === 'open').length;
        assert.is(open, 5, 'five connections kept, the rest refused');
        for (const x of held) x.destroy();
        await new Promise((r) => setTimeout(r, 100));
        assert.is((await call(fx.port(), { localAddress: '127.0.0.5' })).status, 200, 'served again once they closed');
      } finally {
        for (const x of held) x.destroy();
      }
    },
    { maxConnections: 5 },
  );
});

test.run();
