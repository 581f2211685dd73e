// A configuration that would cut the orchestrator off is refused before
// anything changes: a management network without addresses, or one that would
// take away every address the API listens on. And should an apply still leave
// the API without an address, it is rolled back and never saved.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeHost, fakeNic } from '../fake-host/fake-host.ts';
import { makeKit, payload, ROOT } from './kit.ts';

const MGMT = 'fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1';

async function configured() {
  const k = await makeKit();
  assert.is((await k.put(payload('seed-example'))).status, 200);
  k.agent.state.apiAddresses = [MGMT];
  return k;
}

test('a management network without interface addresses is 422 naming its addresses; nothing changes', async () => {
  const k = await configured();
  const before = k.host.dump(ROOT);
  const body = payload('seed-example');
  body.networks[0].interface.addresses = [];
  const r = await k.put(body);
  assert.is(r.status, 422);
  const answer = await r.json();
  assert.is(answer.issues[0].path, 'networks.0.interface.addresses');
  assert.match(answer.issues[0].message, /management network needs an address/);
  assert.is(k.host.dump(ROOT), before);
  assert.equal((await (await k.fetch('GET', '/v1/system/config')).json()).configuration, payload('seed-example'));
});

test('a body moving the management address away from the one the API listens on is 422, dry run included', async () => {
  const k = await configured();
  const before = k.host.dump(ROOT);
  const body = payload('seed-example');
  body.networks[0].interface.addresses = ['fdca:3ba5:a17a:acda::99/64'];
  for (const query of ['', '?dry_run=1']) {
    const r = await k.put(body, query);
    assert.is(r.status, 422, query);
    const answer = await r.json();
    assert.is(answer.issues[0].path, 'networks.0.interface.addresses');
    assert.match(answer.issues[0].message, new RegExp(`API is reached on \\(${MGMT}\\)`));
  }
  assert.is(k.host.dump(ROOT), before);
});

test('adding a second management address next to the one in use is fine', async () => {
  const k = await configured();
  const body = payload('seed-example');
  body.networks[0].interface.addresses.push('fdca:3ba5:a17a:acda::99/64');
  assert.is((await k.put(body)).status, 200);
});

test('an apply that leaves the API without an address anyway is rolled back and not saved', async () => {
  const host = new FakeHost([2, 3, 4, 5].map((i) => fakeNic(i, `eth${i - 2}`)));
  const k = await makeKit({ host });
  assert.is((await k.put(payload('seed-example'))).status, 200);
  // the API listens on an address of a NIC the configuration leaves alone; it goes away during the apply
  const eth3 = host.links_.find((l) => l.ifname === 'eth3');
  eth3?.addresses.push({ address: '192.0.2.10', prefixLength: 24, family: 4, scope: 'global', permanent: true });
  k.agent.state.apiAddresses = ['192.0.2.10'];
  const saved = host.files.get(`${ROOT}/state/config.json`)?.content;
  const body = payload('seed-example');
  body.networks[1].interface.addresses.push('172.24.4.99/24');
  host.failOn((argv, input) => {
    if (argv.join(' ') === 'ip -batch -' && input?.includes('172.24.4.99') && eth3) eth3.addresses = [];
    return false;
  });
  const r = await k.put(body);
  assert.is(r.status, 500, await r.clone().text());
  const answer = await r.json();
  assert.is(answer.step.step, 'api reachability');
  assert.is(answer.rolled_back, true);
  assert.is(host.files.get(`${ROOT}/state/config.json`)?.content, saved, 'nothing saved');
  assert.not.ok(host.dump().includes('172.24.4.99'), 'rolled back');
});

test.run();
