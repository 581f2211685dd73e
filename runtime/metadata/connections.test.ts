// The connection gate's policy on fake sockets and an injected clock: who is admitted,
// who makes room, and what is shed under pressure.

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryLogger } from '../log.ts';
import { ConnectionGate, ConnectionPool } from './connections.ts';
import type { ConnectionLimits } from './options.ts';

/** Only what the gate uses of a socket: destroy(), and 'close' once destroyed. */
class FakeSocket extends EventEmitter {
  destroyed = false;

  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      queueMicrotask(() => this.emit('close'));
    }
    return this;
  }
}

const sock = (s: FakeSocket) => s as unknown as Socket;

function setup(limits: Partial<ConnectionLimits>) {
  const clock = { now: 0 };
  const log = memoryLogger();
  const all: ConnectionLimits = { total: 100, perListener: 100, perSource: 100, idleUnderPressureMs: 60_000, ...limits };
  const gate = new ConnectionGate(all, () => clock.now, log);
  const open = (pool: ConnectionPool, key: string, count = 1) => {
    const sockets: FakeSocket[] = [];
    for (let i = 0; i < count; i++) {
      const socket = new FakeSocket();
      gate.admit(pool, sock(socket), key);
      sockets.push(socket);
    }
    return sockets;
  };
  return { gate, log, clock, open };
}

const open = (sockets: FakeSocket[]) => sockets.map((s) => !s.destroyed);
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a newcomer at a full listener takes the oldest idle connection of the largest holder', () => {
  const { gate, open: connect } = setup({ perListener: 4 });
  const pool = new ConnectionPool('net-1');
  const a = connect(pool, 'a', 3);
  const b = connect(pool, 'b', 1);
  const [c] = connect(pool, 'c');
  assert.equal(open(a), [false, true, true]);
  assert.equal(open(b), [true]);
  assert.ok(c && !c.destroyed);
  assert.is(gate.shedReason(sock(a[0] as FakeSocket)), 'listener_full');
  assert.is(gate.size, 4);
  const [d] = connect(pool, 'd'); // a 2, b 1, c 1: a holds more than d would + 1
  assert.ok(d && !d.destroyed);
  const [e] = connect(pool, 'e'); // a 1, b 1, c 1, d 1: nobody holds more than e would + 1
  assert.ok(e?.destroyed, 'refused once every source is at its share');
  gate.close();
});

test('among equal holders one with an idle connection gives it up; a busy one goes only as a last resort', () => {
  const { gate, open: connect } = setup({ perListener: 4 });
  const pool = new ConnectionPool('net-1');
  const a = connect(pool, 'a', 2);
  for (const s of a) gate.requestStarted(sock(s));
  const b = connect(pool, 'b', 2);
  connect(pool, 'c');
  assert.equal(open(a), [true, true], 'a is as large as b, but busy');
  assert.equal(open(b), [false, true]);
  connect(pool, 'd'); // a 2 (busy), b 1, c 1
  assert.equal(open(a), [false, true], 'a had nothing idle: its oldest request is cut');
  gate.close();
});

test('a source at its own cap is refused without taking anything', () => {
  const { gate, open: connect } = setup({ perListener: 4, perSource: 2 });
  const pool = new ConnectionPool('net-1');
  const a = connect(pool, 'a', 3);
  assert.equal(open(a), [true, true, false]);
  assert.is(gate.size, 2);
  gate.close();
});

test('the cap over all listeners makes room from the largest holder on any listener', () => {
  const { gate, open: connect } = setup({ total: 3 });
  const one = new ConnectionPool('net-1');
  const two = new ConnectionPool('net-2');
  const a = connect(one, 'a', 3);
  const [b] = connect(two, 'a'); // the same address on another network is another source
  assert.ok(b && !b.destroyed);
  assert.equal(open(a), [false, true, true]);
  assert.is(gate.shedReason(sock(a[0] as FakeSocket)), 'proxy_full');
  gate.close();
});

test('a closed connection frees its place', async () => {
  const { gate, open: connect } = setup({ perListener: 2 });
  const pool = new ConnectionPool('net-1');
  const a = connect(pool, 'a', 2);
  a[0]?.destroy();
  await tick(0);
  assert.is(gate.size, 1);
  const [b] = connect(pool, 'a');
  assert.ok(b && !b.destroyed);
  assert.equal(open(a), [false, true]);
  gate.close();
});

test('under pressure, connections idle for the timeout are shed; busy ones and quiet times are spared', async () => {
  const { gate, log, clock, open: connect } = setup({ perListener: 4, idleUnderPressureMs: 40 });
  const pool = new ConnectionPool('net-1');
  const early = connect(pool, 'a', 2);
  clock.now = 100;
  await tick(30);
  assert.equal(open(early), [true, true], 'no pressure at 2 of 4');
  const [busy] = connect(pool, 'b');
  gate.requestStarted(sock(busy as FakeSocket));
  const [fresh] = connect(pool, 'c'); // 4 of 4: pressure
  assert.is(log.records.find((r) => r.event === 'metadata.connections_pressure')?.level, 'warn');
  await tick(50);
  assert.equal(open(early), [false, false], 'idle for 100 ms, over the 40 ms allowed');
  assert.ok(busy && !busy.destroyed, 'a request in flight is never idle');
  assert.ok(fresh && !fresh.destroyed, 'idle for 0 ms');
  assert.is(gate.shedReason(sock(early[0] as FakeSocket)), 'idle_under_pressure');
  const relieved = log.records.find((r) => r.event === 'metadata.connections_relieved');
  assert.equal(relieved?.fields, { connections: 2, duration_ms: 0, shed_idle: 2, evicted: 0, refused: 0 });
  clock.now = 1000;
  await tick(30);
  assert.ok(!fresh.destroyed, 'no pressure any more: the usual timeouts apply');
  gate.close();
});

test.run();
