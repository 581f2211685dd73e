// The metadata proxy over real loopback sockets: failures, timeouts and per-request limits.

import http from 'node:http';
import type net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryLogger } from '../log.ts';
import { MetadataProxy } from './proxy.ts';
import { call, callError, closeServer, freePort, listener, requestLogs, table, waitForLogs, withProxy } from './test-kit.ts';

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

test.run();
