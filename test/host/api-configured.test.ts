// The REST API of a configured router: the suite's agent is configured with
// seed-example first; tests that change the configuration put it back.
// Needs root.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import type { Lab } from '../../lab/lab.ts';
import { addresses, daemonPids, files, routes, rules } from '../../lab/router-state.ts';
import { payload } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { putConfig } from './agent-checks.ts';
import { assertErrorBody, invalidBody, JSON_TYPE, slashed, suiteLab, TEXT_TYPE } from './api-checks.ts';

const test = rootSuite('API of a configured router');
// the upstream gateway answers once the router has its external address; 2001:db8::99 never does
const it = suiteLab({ agent: { statusTargets: ['172.24.4.1', '2001:db8::99'] } }, async ({ lab }) => {
  const r = await lab.api('PUT', '/v1/system/config', {
    body: JSON.stringify(payload('seed-example')),
    contentType: 'application/json; charset=utf-8',
  });
  if (r.status !== 200) throw new Error(`configuring seed-example failed: ${r.status} ${r.body}`);
});
test.after(it.remove);

/** Puts seed-example back if a test changed it. */
async function restoreSeed(lab: Lab) {
  const r = await putConfig(lab, payload('seed-example'));
  assert.is(r.status, 200, r.body);
}

test(
  'PUT applies and answers 200 {"configuration": ...}',
  it.wrap(async ({ lab, R }) => {
    const seed = payload('seed-example');
    for (const type of ['application/json', 'application/json; charset=utf-8']) {
      const r = await lab.api('PUT', '/v1/system/config', { body: JSON.stringify(seed), contentType: type });
      assert.is(r.status, 200, r.body);
      assert.match(r.headers['content-type'] ?? '', JSON_TYPE);
      assert.equal(r.json(), { configuration: seed });
    }
    assert.equal(await addresses(R, 'eth1'), ['172.24.4.3/24', '2001:db8::3/64']);
    assert.equal(await addresses(R, 'eth2'), ['10.0.0.1/24', 'fdc3:6ee6:d81f:ede::1/64']);
    assert.ok((await routes(R, 4)).includes('default via 172.24.4.1 dev eth1 proto static'));
  }),
);

test(
  'GET /v1/system/config/ returns the last applied configuration',
  it.wrap(async ({ lab }) => {
    const variant = payload('seed-example');
    variant.hostname = 'router-variant';
    variant.floating_ips = [{ floating_ip: '172.24.4.40', fixed_ip: '10.0.0.3' }];
    try {
      const r = await putConfig(lab, variant);
      assert.is(r.status, 200, r.body);
      for (const url of slashed('/v1/system/config')) {
        const got = await lab.api('GET', url);
        assert.is(got.status, 200);
        assert.match(got.headers['content-type'] ?? '', JSON_TYPE);
        assert.equal(got.json(), { configuration: variant });
      }
      // a rejected PUT and a dry run do not change it
      assertErrorBody(await putConfig(lab, invalidBody()), 422, 'invalid');
      assert.is((await putConfig(lab, payload('seed-example'), { dryRun: true })).status, 200);
      assert.equal((await lab.api('GET', '/v1/system/config')).json(), { configuration: variant });
    } finally {
      await restoreSeed(lab);
    }
    assert.equal((await lab.api('GET', '/v1/system/config/')).json(), { configuration: payload('seed-example') });
  }),
);

test(
  'a body wrapped as {"configuration": ...} is applied as the configuration itself',
  it.wrap(async ({ lab }) => {
    const seed = payload('seed-example');
    const r = await putConfig(lab, { configuration: seed });
    assert.is(r.status, 200, r.body);
    assert.equal(r.json(), { configuration: seed });
    assert.equal((await lab.api('GET', '/v1/system/config')).json(), { configuration: seed });
  }),
);

test(
  'GET /v1/status/ after configuration: the reachable target\u2019s family is up, within 3 s',
  it.wrap(async ({ lab }) => {
    for (const url of ['/v1/status/', '/v1/status']) {
      const r = await lab.api('GET', url, { timeoutS: 10 });
      assert.is(r.status, 200, r.body);
      assert.ok(r.seconds < 3, `${url} took ${r.seconds} s`);
      assert.equal(r.json(), { v4: true, v6: false });
    }
  }),
);

test(
  'GET /v1/firewall/rules/ lists the applied rules, IPv4 first',
  it.wrap(async ({ lab, R }) => {
    for (const url of ['/v1/firewall/rules/', '/v1/firewall/rules']) {
      const r = await lab.api('GET', url);
      assert.is(r.status, 200);
      assert.match(r.headers['content-type'] ?? '', TEXT_TYPE);
      const v4 = await lab.must(R, ['iptables', '-L', '-n']);
      const v6 = await lab.must(R, ['ip6tables', '-L', '-n']);
      assert.ok(v4.includes('0.0.0.0/0') && v6.includes('::/0'), 'fixture: rules are loaded');
      assert.is(r.body, v4 + v6);
    }
  }),
);

test(
  'GET /v1/system/interfaces/ shows the configured addresses and MTUs under the same generic names',
  it.wrap(async ({ lab, R }) => {
    const list = (await lab.api('GET', '/v1/system/interfaces/')).json().interfaces as {
      ifname: string;
      lladdr: string;
      addresses: string[];
      mtu: number;
      state: string;
    }[];
    const macs: string[] = [];
    for (const nic of lab.topo.nics) macs.push((await lab.must(R, ['cat', `/sys/class/net/${nic.routerIf}/address`])).trim());
    assert.equal(
      list.map((i) => [i.ifname, i.lladdr, i.state]),
      macs.map((mac, k) => [`ge${k}`, mac, 'up']),
    );
    assert.ok(list[1]?.addresses.includes('172.24.4.3/24'));
    assert.ok(list[2]?.addresses.includes('10.0.0.1/24'));
    assert.is(list[2]?.mtu, 1450);
  }),
);

test(
  'a dry run on a configured router touches nothing',
  it.wrap(async ({ lab, agent, R }) => {
    const variant = payload('seed-example');
    variant.networks[1].interface.addresses = ['172.24.4.9/24', '2001:db8::9/64'];
    variant.floating_ips = [{ floating_ip: '172.24.4.41', fixed_ip: '10.0.0.3' }];
    const state = async () => ({
      files: await files(agent.root),
      state: readFileSync(path.join(agent.root, 'state', 'config.json'), 'utf8'),
      eth1: await addresses(R, 'eth1'),
      v4: await routes(R, 4),
      rules4: await rules(R, 4),
      pids: await daemonPids(R),
    });
    const before = await state();
    const r = await putConfig(lab, variant, { dryRun: true });
    assert.is(r.status, 200, r.body);
    const plan = r.json().plan as { kind: string; input?: string }[];
    assert.ok(
      plan.some((s) => s.kind === 'run' && s.input?.split('\n').includes('address add 172.24.4.9/24 brd + dev eth1')),
      r.body,
    );
    assert.equal(await state(), before);
  }),
);

test.run();
