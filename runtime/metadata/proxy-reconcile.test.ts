// The metadata proxy over real loopback sockets: reconciling listeners with the table.

import http from 'node:http';
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryLogger } from '../log.ts';
import { ListenerBindError, MetadataProxy } from './proxy.ts';
import { call, callError, echoed, freePort, listener, startUpstream, table, waitForLogs, withProxy } from './test-kit.ts';

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
      let answered = false;
      void inFlight.then(() => {
        answered = true;
      });
      await proxy.apply(table(upstream, []));
      assert.not.ok(answered, 'apply does not wait for the request');
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

test.run();
