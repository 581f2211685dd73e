// The log lines of the API: a request id on every answer and in the apply and
// http.request lines; no secret (VPN pre-shared keys) in any line, whatever
// happens to the body: applied, refused, failed and rolled back.
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { apiFront } from '../../runtime/front.ts';
import { memoryLogger } from '../../runtime/log.ts';
import { createHttpServer } from '../../runtime/server.ts';
import { makeKit, payload } from './kit.ts';

const SECRET = 'SECRET-psk-0xdeadbeef';
const withVpn = () => {
  const body = payload('vpn-site');
  body.vpn.ipsec[0].ipsec_connections[0].psk = SECRET;
  return body;
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('a PUT carrying a VPN pre-shared key: applied, refused, failed; the key is in no log line', async () => {
  const k = await makeKit();
  assert.is((await k.put(withVpn())).status, 200);
  const bad = withVpn();
  bad.networks[0].interface.addresses = ['not-an-address'];
  assert.is((await k.put(bad)).status, 422);
  k.host.failOn('iptables-restore -w 5', { stderr: 'iptables-restore: line 9 failed' });
  const changed = withVpn();
  changed.vpn.ipsec[0].ipsec_connections[0].peer_address = '172.24.4.51';
  changed.vpn.ipsec[0].external_v4_ip = '172.24.4.9';
  changed.networks[1].interface.addresses = ['172.24.4.9/24'];
  assert.is((await k.put(changed)).status, 500);
  const applies = k.log.records.filter((r) => r.event === 'apply');
  assert.is(applies.length, 3, JSON.stringify(k.log.records.map((r) => r.event)));
  assert.ok(k.log.records.some((r) => r.event === 'apply.step_failed'));
  for (const r of k.log.records) assert.not.ok(JSON.stringify(r).includes(SECRET), `${r.event} carries the key`);
  await k.agent.close();
});

test('the apply line gives the event-loop delay and the time of each phase, the checks included', async () => {
  const k = await makeKit();
  assert.is((await k.put(payload('seed-example'))).status, 200);
  const line = k.log.records.filter((r) => r.event === 'apply').at(-1)?.fields as Record<string, unknown>;
  assert.type(line.loop_p99_ms, 'number');
  assert.type(line.loop_max_ms, 'number');
  const phases = line.phaseMs as Record<string, number>;
  for (const p of ['check', 'files', 'firewall', 'services']) assert.type(phases[p], 'number', p);
  await k.agent.close();
});

test('secret-named fields are withheld at any depth in the JSON lines', async () => {
  const log = memoryLogger();
  log.info('x', { a: { vpn: { ipsec: [{ psk: SECRET, name: 'n' }] } }, shared_secret: SECRET, metadata_secret: SECRET });
  const text = JSON.stringify(log.records);
  assert.not.ok(text.includes(SECRET));
  assert.match(text, /"name":"n"/);
  assert.match(text, /"psk":"\(withheld\)"/);
});

test('every answer carries x-request-id: a safe incoming one kept, anything else replaced', async () => {
  const k = await makeKit();
  const own = await k.fetch('GET', '/v1/system/config', { headers: { 'x-request-id': 'orch-42.a:b_c' } });
  assert.is(own.headers.get('x-request-id'), 'orch-42.a:b_c');
  for (const bad of ['has space', 'x'.repeat(65), 'quote"d', 'ünï']) {
    const res = await k.fetch('GET', '/v1/status', { headers: { 'x-request-id': bad } });
    assert.match(res.headers.get('x-request-id') ?? '', UUID, bad);
  }
  const missing = await k.fetch('GET', '/v1/nowhere');
  assert.is(missing.status, 404);
  assert.match(missing.headers.get('x-request-id') ?? '', UUID);
  const a = await k.put(payload('seed-example'));
  const b = await k.put(payload('seed-example'));
  assert.is.not(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
  const ids = k.log.records.filter((r) => r.event === 'apply').map((r) => r.fields.request_id);
  assert.equal(ids, [a.headers.get('x-request-id'), b.headers.get('x-request-id')]);
  await k.agent.close();
});

test('the http.request line carries the request id of the answer (loopback server)', async () => {
  const k = await makeKit();
  const log = memoryLogger();
  const server = createHttpServer(apiFront(k.agent), log);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v1/system/config`, { headers: { 'x-request-id': 'trace-7' } });
    await res.text();
    assert.is(res.headers.get('x-request-id'), 'trace-7');
    await new Promise((r) => setTimeout(r, 50));
    const line = log.records.find((r) => r.event === 'http.request');
    assert.ok(line, 'an http.request line');
    assert.equal(
      { ...line?.fields, duration_ms: 0, remote: '' },
      { method: 'GET', path: '/v1/system/config', status: 200, request_id: 'trace-7', duration_ms: 0, remote: '' },
    );
  } finally {
    await new Promise((r) => server.close(r));
    await k.agent.close();
  }
});

test.run();
