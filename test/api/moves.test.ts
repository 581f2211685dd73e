// Moves: a DHCP address now on another MAC gets its neighbour entry replaced in
// the same apply (IPv4 and IPv6); a floating IP pointed at another fixed
// address has its NAT connections flushed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeHost, fakeNic } from '../fake-host/fake-host.ts';
import { makeKit, payload } from './kit.ts';

test('an address moved to a new MAC: the neighbour entries of both families are replaced, nothing else moves', async () => {
  const k = await makeKit();
  assert.is((await k.put(payload('seed-example'))).status, 200);
  const body = payload('seed-example');
  body.networks[2].allocations[1].mac_address = 'fa:16:3e:00:be:ef';
  const dry = await (await k.fetch('PUT', '/v1/system/config?dry_run=1', { body, headers: { accept: 'text/plain' } })).text();
  assert.match(
    dry,
    /^conntrack +run neighbours moved: ip -force -batch - <<< neigh replace 10\.0\.0\.3 lladdr fa:16:3e:00:be:ef dev eth2 nud stale; neigh replace fdc3:6ee6:d81f:ede:f816:3eff:fe3d:aad8 lladdr fa:16:3e:00:be:ef dev eth2 nud stale$/m,
  );
  assert.is((await k.put(body)).status, 200);
  assert.equal(k.host.neighbours, [
    { address: '10.0.0.3', mac: 'fa:16:3e:00:be:ef', dev: 'eth2' },
    { address: 'fdc3:6ee6:d81f:ede:f816:3eff:fe3d:aad8', mac: 'fa:16:3e:00:be:ef', dev: 'eth2' },
  ]);
  // pushing it again moves nothing
  const again = await (await k.fetch('PUT', '/v1/system/config?dry_run=1', { body, headers: { accept: 'text/plain' } })).text();
  assert.not.match(again, /neigh/);
});

test('a floating IP pointed at another fixed address: its connections are flushed both ways', async () => {
  const k = await makeKit({ host: new FakeHost([2, 3, 4, 5].map((i) => fakeNic(i, `eth${i - 2}`))) });
  const a = payload('floating-ips');
  assert.is((await k.put(a)).status, 200);
  const b = payload('floating-ips');
  const fip = b.floating_ips[0];
  const other = b.floating_ips.find((f: { fixed_ip: string }) => f.fixed_ip !== fip.fixed_ip)?.fixed_ip ?? '10.0.0.4';
  b.floating_ips = b.floating_ips.filter((f: { fixed_ip: string }) => f.fixed_ip !== other);
  fip.fixed_ip = other;
  const from = k.host.commands.length;
  const r = await k.put(b);
  assert.is(r.status, 200, await r.clone().text());
  const ran = k.host.commands.slice(from);
  assert.ok(ran.includes(`conntrack -D -d ${fip.floating_ip}`), ran.join('\n'));
  assert.ok(ran.includes(`conntrack -D -q ${fip.floating_ip}`));
});

test.run();
