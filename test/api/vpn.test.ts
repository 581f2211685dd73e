// The VPN over the simulated host, in-process: charon started before swanctl
// loads its files (never in one batch), the secrets file 0600, GET
// /v1/system/vpn, an identical re-push that touches nothing, and a push
// without the section that stops charon and removes the files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeKit, payload, ROOT } from './kit.ts';

const SECRETS = `${ROOT}/etc/swanctl/secrets.conf`;

test('PUT with a VPN: charon, then swanctl --load-all; GET /v1/system/vpn; identical re-push; removal', async () => {
  const k = await makeKit();
  const body = payload('vpn-site');
  const r = await k.put(body);
  assert.is(r.status, 200, await r.clone().text());
  const dump = k.host.dump();
  assert.match(dump, /daemon env pid \d+/);
  const loads = k.host.commands.filter((c) => c.includes('swanctl') && c.includes('--load-all'));
  assert.is(loads.length, 1);
  assert.is(k.host.files.get(SECRETS)?.mode, 0o600);
  assert.match(k.host.files.get(SECRETS)?.content ?? '', /secret = 0x[0-9a-f]+/);

  const state = await (await k.fetch('GET', '/v1/system/vpn')).json();
  assert.is(state.charon, 'running');
  assert.equal(
    state.connections.map((c: { state: string }) => c.state),
    ['down', 'down', 'disabled'],
  );
  assert.not.ok(JSON.stringify(state).includes(body.vpn.ipsec[0].ipsec_connections[0].psk));

  const before = k.host.commands.length;
  assert.is((await k.put(body)).status, 200);
  assert.equal(
    k.host.commands.slice(before).filter((c) => c.includes('swanctl')),
    [],
  );

  const none = payload('vpn-site');
  delete none.vpn;
  assert.is((await k.put(none)).status, 200);
  assert.not.match(k.host.dump(), /daemon env pid/);
  assert.not.ok(k.host.files.has(SECRETS));
  assert.not.ok(k.host.files.has(`${ROOT}/etc/swanctl/swanctl.conf`));
  const after = await (await k.fetch('GET', '/v1/system/vpn')).json();
  assert.equal(after, { charon: 'stopped', connections: [] });
  await k.agent.close();
});

test('a crashed charon restarted by the supervisor loads its connections again, without a push', async () => {
  const k = await makeKit();
  assert.is((await k.put(payload('vpn-site'))).status, 200);
  const isLoad = (c: string) => c.includes('swanctl') && c.includes('--load-all');
  const planLoad = k.host.commands.find(isLoad);
  const charon = () => [...k.host.processes].find(([, p]) => p.alive && p.argv.includes('charon-systemd'))?.[0];
  const first = charon();
  assert.ok(first);
  const before = k.host.commands.length;
  k.host.signal(first, 'SIGKILL');
  const end = performance.now() + 5000;
  while (!k.host.commands.slice(before).some(isLoad) && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  const again = k.host.commands.slice(before).filter(isLoad);
  assert.equal(again, [planLoad], 'the same load as the plan step, once');
  assert.ok(charon() !== undefined && charon() !== first, 'a new charon');
  assert.ok(k.log.records.some((r) => r.event === 'daemon.after_restart' && r.fields.exit_code === 0));
  await k.agent.close();
});

test.run();
