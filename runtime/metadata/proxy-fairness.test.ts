// The metadata proxy over real loopback sockets: a full listener is shared fairly between
// source addresses, and idle connections are shed early under pressure (issue 10, item 4).

import http from 'node:http';
import type net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_CONNECTIONS_PER_LISTENER, MAX_CONNECTIONS_PER_SOURCE } from './proxy.ts';
import { call, isOpen, listener, openIdle, sleep, withProxy } from './test-kit.ts';

/** VMs known to net-1: 127.0.0.5 and 127.0.0.10 .. 127.0.0.19. */
const KNOWN: Record<string, string> = { '127.0.0.5': 'vm-5' };
for (let i = 10; i < 20; i++) KNOWN[`127.0.0.${i}`] = `vm-${i}`;
const known = (over: Parameters<typeof listener>[1] = {}) => [listener('net-1', { ip_instance_map: KNOWN, ...over })];

/** A request whose answer never comes (until the proxy's deadline); resolves with its outcome. */
function hangingRequest(port: number, localAddress: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.2', port, localAddress, path: '/hang', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end();
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10);
  assert.ok(check(), `timed out waiting for ${what}`);
}

test('four sources filling a listener with half-open connections cannot deny a fifth', () =>
  withProxy(
    async ({ port, upstream }) => {
      const sources = ['127.0.0.10', '127.0.0.11', '127.0.0.12', '127.0.0.13'];
      assert.is(sources.length * MAX_CONNECTIONS_PER_SOURCE, MAX_CONNECTIONS_PER_LISTENER, 'the four fill the listener');
      const held = new Map<string, net.Socket[]>();
      try {
        for (const source of sources) {
          const sockets: net.Socket[] = [];
          held.set(source, sockets);
          for (let i = 0; i < MAX_CONNECTIONS_PER_SOURCE; i++) sockets.push(await openIdle(port(), source));
        }
        await sleep(100);
        const reply = await call(port(), { localAddress: '127.0.0.5' });
        assert.is(reply.status, 200, 'the fifth source is answered');
        assert.is(upstream.seen.length, 1);
        await sleep(50);
        // Exactly one connection made room: the oldest (idle) one of one of the four.
        const lost = [...held].filter(([, sockets]) => sockets.some((s) => !isOpen(s)));
        assert.is(lost.length, 1, 'one source gave up one connection');
        const sockets = lost[0]?.[1] ?? [];
        assert.is(sockets.filter((s) => !isOpen(s)).length, 1);
        assert.not.ok(isOpen(sockets[0] as net.Socket), 'its oldest connection');
      } finally {
        for (const sockets of held.values()) for (const s of sockets) s.destroy();
      }
    },
    { idleTimeoutUnderPressureMs: 60_000 }, // only the fair share may make room here
    known(),
  ));

test('a full listener is shared to within one connection; a source at its share cannot take more', () =>
  withProxy(
    async ({ port }) => {
      const a: net.Socket[] = [];
      const b: net.Socket[] = [];
      try {
        for (let i = 0; i < 5; i++) a.push(await openIdle(port(), '127.0.0.10'));
        await sleep(50);
        assert.is(a.filter(isOpen).length, 5, 'alone, a source may use the whole listener');
        for (let i = 0; i < 3; i++) b.push(await openIdle(port(), '127.0.0.11'));
        a.push(await openIdle(port(), '127.0.0.10'));
        await sleep(100);
        assert.equal(b.map(isOpen), [true, true, false], 'at 3 against 2, taking one more would only swap the two');
        assert.equal(a.map(isOpen), [false, false, true, true, true, false], 'the oldest went first; none is taken back');
      } finally {
        for (const s of [...a, ...b]) s.destroy();
      }
    },
    { maxConnectionsPerListener: 5, maxConnectionsPerSource: 5, idleTimeoutUnderPressureMs: 60_000 },
    known(),
  ));

test('room is made from idle connections first, from requests in flight only as a last resort', () =>
  withProxy(
    async ({ port, upstream, log }) => {
      const held: net.Socket[] = [];
      try {
        const busy = [0, 1, 2].map(() => hangingRequest(port(), '127.0.0.10'));
        await until(() => upstream.seen.length === 3, 'three requests in flight');
        const idle = await openIdle(port(), '127.0.0.10'); // the newest, but idle
        held.push(idle);
        held.push(await openIdle(port(), '127.0.0.11'));
        await sleep(100);
        assert.not.ok(isOpen(idle), 'the idle connection went first');
        held.push(await openIdle(port(), '127.0.0.11'));
        const first = await busy[0]; // 127.0.0.10 still held 3 of 4: its oldest request is cut
        assert.is(first, 'ECONNRESET');
        held.push(await openIdle(port(), '127.0.0.11'));
        await sleep(100);
        assert.not.ok(isOpen(held[3] as net.Socket), 'at 2 and 2, the newcomer waits');
        assert.ok(isOpen(held[1] as net.Socket) && isOpen(held[2] as net.Socket));
        assert.equal(await Promise.all(busy.slice(1)), ['504', '504'], 'the other requests ran to their end');
        const pressure = log.records.find((r) => r.event === 'metadata.connections_pressure');
        assert.is(pressure?.level, 'warn');
      } finally {
        for (const s of held) s.destroy();
      }
    },
    { maxConnectionsPerListener: 4, idleTimeoutUnderPressureMs: 60_000, totalTimeoutMs: 1500 },
    known(),
  ));

test('under pressure, idle and half-open connections are shed early; requests in flight are not', () =>
  withProxy(
    async ({ port, log }) => {
      const early: net.Socket[] = [];
      const late: net.Socket[] = [];
      try {
        early.push(await openIdle(port(), '127.0.0.10'), await openIdle(port(), '127.0.0.11'));
        const inFlight = hangingRequest(port(), '127.0.0.12'); // busy for longer than the idle timeout
        await sleep(300);
        assert.is(early.filter(isOpen).length, 2, 'below the pressure mark, idle connections stay');
        for (let i = 0; i < 3; i++) late.push(await openIdle(port(), '127.0.0.13')); // 6 of 8: pressure
        await until(() => early.every((s) => !isOpen(s)), 'idle connections shed');
        assert.is(await inFlight, '504', 'the busy connection lived until its own deadline');
        assert.is(late.filter(isOpen).length, 3, 'shedding stopped once the pressure was gone');
        const relieved = log.records.find((r) => r.event === 'metadata.connections_relieved');
        assert.is(relieved?.fields.shed_idle, 2);
      } finally {
        for (const s of [...early, ...late]) s.destroy();
      }
    },
    { maxConnectionsPerListener: 8, idleTimeoutUnderPressureMs: 100, totalTimeoutMs: 1000 },
    known(),
  ));

test('sources without an instance share one allowance', () =>
  withProxy(
    async ({ port }) => {
      const strangers: net.Socket[] = [];
      const vm: net.Socket[] = [];
      try {
        for (const source of ['127.0.0.20', '127.0.0.21', '127.0.0.22']) {
          for (let i = 0; i < 2; i++) strangers.push(await openIdle(port(), source));
        }
        for (let i = 0; i < 3; i++) vm.push(await openIdle(port(), '127.0.0.5'));
        await sleep(100);
        assert.is(strangers.filter(isOpen).length, 3, 'all unknown sources together hold one source allowance');
        assert.is(vm.filter(isOpen).length, 3, 'a known VM has its own');
      } finally {
        for (const s of [...strangers, ...vm]) s.destroy();
      }
    },
    { maxConnectionsPerSource: 3 },
    known(),
  ));

test('the cap over all listeners is shared fairly too', () =>
  withProxy(
    async ({ port }) => {
      const a: net.Socket[] = [];
      try {
        for (let i = 0; i < 4; i++) a.push(await openIdle(port('net-1'), '127.0.0.10'));
        const other = await call(port('net-2'), { host: '127.0.0.3', localAddress: '127.0.0.5' });
        assert.is(other.status, 200, 'a VM on another network is answered');
        await sleep(50);
        assert.equal(a.map(isOpen), [false, true, true, true]);
      } finally {
        for (const s of a) s.destroy();
      }
    },
    { maxConnections: 4, idleTimeoutUnderPressureMs: 60_000 },
    [...known(), listener('net-2', { listen_address: '127.0.0.3' })],
  ));

test.run();
