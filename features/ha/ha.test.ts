// The HA feature without root: keepalived's instances (one per data network,
// the advert address of the management family, a stand-in otherwise), the
// addresses it owns, the routes left to it, its firewall openings, validation
// and its plan steps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planConfiguration } from '../../handlers/plan/plan.ts';
import { defaultInterfaceMap, parseConfiguration } from '../../schema/parse.ts';
import { payload } from '../../test/api/kit.ts';
import type { Facts } from '../kit/facts.ts';
import { routeCommands } from '../routes/index.ts';
import { haFirewall } from './firewall.ts';
import { conntrackd, keepalived } from './index.ts';
import { vrrpAddresses } from './owned.ts';
import { keepalivedInstances } from './render.ts';

// biome-ignore lint/suspicious/noExplicitAny: payloads are edited freely
function model(body: any) {
  const parsed = parseConfiguration(body, defaultInterfaceMap());
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.model;
}

test('one instance per data network; the advert address is of the management family or a link-local stand-in', () => {
  const m = model(payload('ha-pair'));
  const inst = keepalivedInstances(m);
  assert.equal(
    inst.map((i) => [i.name, i.ifname, i.vrid, i.primary]),
    [
      ['vrrp_ge1', 'eth1', 2, ['2001:db8::3/64 dev eth1']],
      ['vrrp_ge2', 'eth2', 3, ['fdc2:d8e3:5437:5ad8::1/64 dev eth2']],
      ['vrrp_ge3', 'eth3', 4, ['fe80::ac:4/64 dev eth3']],
    ],
  );
  assert.ok(inst[0]?.excluded.includes('172.24.4.10/24 dev eth1'), 'floating IPs are VRRP addresses');
  assert.equal(inst[0]?.routes, ['0.0.0.0/0 via 172.24.4.1 dev eth1', '::/0 via 2001:db8::2 dev eth1']);
});

test('owned addresses: everything but the management network; none without ha_resource', () => {
  const m = model(payload('ha-pair'));
  const owned = vrrpAddresses(m).map((a) => a.address);
  assert.not.ok(owned.includes(m.managementAddress as string));
  assert.ok(owned.includes('10.0.0.1') && owned.includes('172.24.4.21') && owned.includes('2001:db8::3'));
  const single = payload('ha-pair');
  single.ha_resource = false;
  assert.equal(vrrpAddresses(model(single)), []);
  assert.equal(keepalived.render?.(model(single), { file: (p: string) => `/r/${p}` } as never), []);
});

test('the routes feature leaves VRRP-owned links to keepalived, and deletes its own old static routes there', () => {
  const m = model(payload('ha-pair'));
  const old = [{ family: 4 as const, dst: 'default', gateway: '172.24.4.1', dev: 'eth1', protocol: 'static' }];
  assert.equal(routeCommands(m, old, new Set()), { deletes: ['route del default via 172.24.4.1 dev eth1'], adds: [] });
  const kept = [{ family: 4 as const, dst: 'default', gateway: '172.24.4.1', dev: 'eth1', protocol: 'keepalived' }];
  assert.equal(routeCommands(m, kept, new Set()), { deletes: [], adds: [] });
});

test('firewall: VRRP and sync only from the peers, on the management interface, to the management address', () => {
  const rules = haFirewall(model(payload('ha-pair'))).filter((e) => 'spec' in e);
  const from = '-i eth0 -s fdca:3ba5:a17a:acda:f816:3eff:fe56:9d81 -d fdca:3ba5:a17a:acda:f816:3eff:fe56:9d80';
  assert.equal(
    rules.map((r) => ('spec' in r ? [r.chain, r.family, r.spec] : [])),
    [
      ['INPUT', 6, `${from} -p 112 -j ACCEPT`],
      ['INPUT', 6, `${from} -p udp --dport 3780 -j ACCEPT`],
    ],
  );
});

test('validation: a peer of the management family, not itself, a VRRP priority', () => {
  const issues = (edit: (b: ReturnType<typeof payload>) => void) => {
    const b = payload('ha-pair');
    edit(b);
    return keepalived.validate?.(model(b), () => '') ?? [];
  };
  assert.equal(
    issues(() => {}),
    [],
  );
  assert.equal(
    issues((b) => {
      b.ha_config.peers = ['192.0.2.9'];
    }).map((i) => i.path),
    ['ha_resource'],
  );
  assert.equal(
    issues((b) => {
      b.ha_config.priority = 255;
    }).map((i) => i.path),
    ['ha_config.priority'],
  );
});

test('plan: start both when not running; nothing when running and unchanged, even forced; SIGHUP on a change', () => {
  const m = model(payload('ha-pair'));
  const files = [...(keepalived.render?.(m, { file: (p: string) => `/r/${p}` } as never) ?? [])];
  const facts: Facts = { links: [], routes: [], files: {}, sysctls: {}, hostname: '', services: {} };
  const kinds = (force: boolean, running: boolean, changed: boolean) => {
    const f = structuredClone(facts);
    if (running) f.services = { keepalived: { running: true, pid: 9 }, conntrackd: { running: true, pid: 10 } };
    if (!changed) for (const x of files) f.files[x.path] = 'same';
    const rendered = files.map((x) => ({ ...x, digest: changed ? 'new' : 'same', feature: 'ha' }));
    return planConfiguration(m, rendered, f, { force, root: '/r', features: [keepalived, conntrackd] })
      .steps.filter((s) => s.phase === 'services')
      .map((s) => (s.kind === 'daemon' ? `${s.name} ${s.action}` : s.kind === 'signal' ? `${s.name} ${s.signal}` : s.kind));
  };
  assert.equal(kinds(false, false, true), ['keepalived start', 'conntrackd start']);
  assert.equal(kinds(false, true, false), []);
  assert.equal(kinds(true, true, false), [], 'a forced convergence never reloads keepalived');
  assert.equal(kinds(false, true, true), ['keepalived SIGHUP']);
});

test.run();
