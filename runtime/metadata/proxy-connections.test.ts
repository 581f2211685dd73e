// The metadata proxy over real loopback sockets: connection caps and their fairness.

import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_CONNECTIONS_PER_SOURCE } from './proxy.ts';
import { call, withProxy } from './test-kit.ts';

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
