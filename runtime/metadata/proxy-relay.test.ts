// The metadata proxy over real loopback sockets: what it relays upstream and back.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryLogger } from '../log.ts';
import { MetadataProxy } from './proxy.ts';
import { call, echoed, listener, requestLogs, startUpstream, table, waitForLogs, withProxy } from './test-kit.ts';

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

test.run();
