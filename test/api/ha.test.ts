// High availability over the simulated host: keepalived and conntrackd start,
// the address and route planners leave VRRP-owned addresses and routes to
// keepalived (never adding, never removing them), an identical push touches
// neither daemon, a change reloads keepalived only, and GET /v1/system/ha and
// /v1/status say the role the transition script recorded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeHost, fakeNic } from '../fake-host/fake-host.ts';
import { makeKit, payload, ROOT } from './kit.ts';

const nics = () => new FakeHost([2, 3, 4, 5].map((i) => fakeNic(i, `eth${i - 2}`)));
const MGMT = 'fdca:3ba5:a17a:acda:f816:3eff:fe56:9d80';

async function planText(k: Awaited<ReturnType<typeof makeKit>>, body: unknown): Promise<string> {
  const r = await k.fetch('PUT', '/v1/system/config?dry_run=1', { body, headers: { accept: 'text/plain' } });
  assert.is(r.status, 200);
  return r.text();
}

const addressesOf = (host: FakeHost, ifname: string) =>
  host.links_.find((l) => l.ifname === ifname)?.addresses.map((a) => `${a.address}/${a.prefixLength}`) ?? [];

test('an HA push: only the management address is planned, keepalived and conntrackd start', async () => {
  const k = await makeKit({ host: nics() });
  const r = await k.put(payload('ha-pair'));
  assert.is(r.status, 200, await r.clone().text());
  assert.equal(addressesOf(k.host, 'eth0'), [`${MGMT}/64`]);
  for (const ifname of ['eth1', 'eth2', 'eth3']) assert.equal(addressesOf(k.host, ifname), [], `${ifname} carries no VRRP address`);
  assert.equal(
    k.host.routes_.filter((r) => r.protocol === 'static'),
    [],
    'the default routes are keepalived virtual_routes',
  );
  const daemons = [...k.host.processes.values()].filter((p) => p.alive).map((p) => p.argv[0]);
  assert.ok(daemons.includes('keepalived') && daemons.includes('conntrackd'), daemons.join(' '));
  const conf = k.host.files.get(`${ROOT}/etc/keepalived/keepalived.conf`)?.content ?? '';
  assert.match(conf, /unicast_src_ip fdca:3ba5:a17a:acda:f816:3eff:fe56:9d80\n/);
  assert.match(conf, /0\.0\.0\.0\/0 via 172\.24\.4\.1 dev eth1/);
  assert.is(k.host.files.get(`${ROOT}/etc/keepalived/notify.sh`)?.mode, 0o755);
});

test('keepalived holding the addresses: a re-push removes none and reloads nothing; a change reloads keepalived only', async () => {
  const k = await makeKit({ host: nics() });
  const body = payload('ha-pair');
  assert.is((await k.put(body)).status, 200);
  // what keepalived does on the primary: the gateway, external and floating addresses appear
  const ext = k.host.links_.find((l) => l.ifname === 'eth1');
  ext?.addresses.push({ address: '172.24.4.3', prefixLength: 24, family: 4, scope: 'global' });
  ext?.addresses.push({ address: '172.24.4.10', prefixLength: 24, family: 4, scope: 'global' });
  k.host.routes_.push({ family: 4, dst: 'default', gateway: '172.24.4.1', dev: 'eth1', protocol: 'keepalived' });
  const again = await planText(k, body);
  assert.not.match(again, /keepalived|conntrackd|address (add|del)|route/, again);
  const spawns = k.host.spawns;
  assert.is((await k.put(body)).status, 200);
  assert.is(k.host.spawns, spawns, 'nothing started');
  assert.ok(addressesOf(k.host, 'eth1').includes('172.24.4.10/24'));

  // a new floating IP: keepalived's file changes, it gets SIGHUP; the planner still adds no address
  const changed = payload('ha-pair');
  changed.floating_ips.push({ ...changed.floating_ips[0], floating_ip: '172.24.4.99' });
  const plan = await planText(k, changed);
  assert.match(plan, /signal keepalived SIGHUP|keepalived.*SIGHUP/);
  assert.not.match(plan, /address add 172\.24\.4\.99/);
  assert.not.match(plan, /daemon.*conntrackd/);
});

test('three pushes in quick succession that each change keepalived.conf: at most two SIGHUPs, a second apart, the last file loaded', async () => {
  const k = await makeKit({ host: nics() });
  const conf = `${ROOT}/etc/keepalived/keepalived.conf`;
  assert.is((await k.put(payload('ha-pair'))).status, 200);
  const hups: { at: number; conf: string }[] = [];
  const signal = k.host.signal.bind(k.host);
  k.host.signal = (pid, sig) => {
    if (sig === 'SIGHUP' && k.host.processes.get(pid)?.argv[0] === 'keepalived')
      hups.push({ at: performance.now(), conf: k.host.files.get(conf)?.content ?? '' });
    return signal(pid, sig);
  };
  const answered: number[] = [];
  for (const ip of ['172.24.4.91', '172.24.4.92', '172.24.4.93']) {
    const body = payload('ha-pair');
    body.floating_ips.push({ ...body.floating_ips[0], floating_ip: ip });
    const r = await k.put(body);
    assert.is(r.status, 200, await r.clone().text());
    assert.match(k.host.files.get(conf)?.content ?? '', new RegExp(ip.replaceAll('.', '\\.')), 'written before the answer');
    answered.push(performance.now());
  }
  const end = performance.now() + 3000;
  while (!hups.some((h) => h.conf.includes('172.24.4.93')) && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 1200));
  assert.ok(hups.length >= 1 && hups.length <= 2, `${hups.length} SIGHUPs`);
  assert.match(hups.at(-1)?.conf ?? '', /172\.24\.4\.93/, 'the last file is the one loaded');
  assert.ok((hups.at(-1)?.at ?? 0) > (answered.at(-1) ?? 0), 'the owed reload follows the answer');
  for (let i = 1; i < hups.length; i++) assert.ok((hups[i]?.at ?? 0) - (hups[i - 1]?.at ?? 0) >= 990, 'a second apart');
  assert.ok(
    k.log.records.some((r) => r.event === 'apply' && (r.fields.deferredReloads as number) > 0),
    'the apply line counts the deferred reload',
  );
  await k.agent.close();
});

test('GET /v1/system/ha and /v1/status report the recorded role and the addresses held', async () => {
  const k = await makeKit({ host: nics(), statusTargets: ['172.24.4.1'] });
  assert.is((await k.put(payload('ha-pair'))).status, 200);
  let ha = (await (await k.fetch('GET', '/v1/system/ha')).json()).ha;
  assert.is(ha.enabled, true);
  assert.is(ha.role, 'unknown');
  assert.is(ha.held, 0);
  assert.ok(ha.owned > 5);
  assert.is(ha.keepalived, true);
  await k.host.writeFile(`${ROOT}/run/ha-role`, 'master 1700000000.5\n', 0o644);
  k.host.links_.find((l) => l.ifname === 'eth2')?.addresses.push({ address: '10.0.0.1', prefixLength: 24, family: 4, scope: 'global' });
  ha = (await (await k.fetch('GET', '/v1/system/ha')).json()).ha;
  assert.equal([ha.role, ha.since, ha.held, ha.priority], ['master', 1700000000.5, 1, 100]);
  const status = await (await k.fetch('GET', '/v1/status')).json();
  assert.is(status.ha_role, 'master');
});

test('without ha_resource nothing changes; turning it off stops both daemons and plans the addresses again', async () => {
  const k = await makeKit({ host: nics() });
  assert.is((await k.put(payload('ha-pair'))).status, 200);
  const single = payload('ha-pair');
  single.ha_resource = false;
  const plan = await planText(k, single);
  assert.match(plan, /daemon keepalived stop|keepalived.*stop/);
  assert.match(plan, /conntrackd.*stop/);
  assert.is((await k.put(single)).status, 200);
  assert.ok(addressesOf(k.host, 'eth1').includes('172.24.4.3/24'));
  assert.ok(k.host.routes_.some((r) => r.dst === 'default' && r.protocol === 'static'));
  const ha = (await (await k.fetch('GET', '/v1/system/ha')).json()).ha;
  assert.equal([ha.enabled, ha.role], [false, 'standalone']);
  const status = await (await k.fetch('GET', '/v1/status')).json();
  assert.is(status.ha_role, undefined);
});

test('an HA body without a peer or with its own address as peer is a 422 naming ha_resource / ha_config', async () => {
  const k = await makeKit({ host: nics() });
  const none = payload('ha-pair');
  delete none.ha_config;
  let r = await k.put(none);
  assert.is(r.status, 422);
  assert.match(await r.text(), /"path":"ha_resource"/);
  const self = payload('ha-pair');
  self.ha_config.peers = [MGMT];
  r = await k.put(self);
  assert.is(r.status, 422);
  assert.match(await r.text(), /ha_config\.peers\.0/);
});

test.run();
