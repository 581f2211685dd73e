// The lockout of issue 10, through the real agent in a lab: a body whose
// management network has no address (or another one) is refused at once, the
// API keeps answering on its address, and a restarted agent comes back to the
// configuration it had, reachable. Needs root.
import * as assert from 'uvu/assert';
import { addresses } from '../../lab/router-state.ts';
import { payload, withLab } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { appliedConfig, applyOk, putConfig } from './agent-checks.ts';

const test = rootSuite('agent: no lockout');

test('a body that would take the management address away is 422; the API stays, also across a restart', () =>
  withLab(async (lab, first) => {
    const seed = payload('seed-example');
    await applyOk(lab, seed);
    const mgmt = await addresses(lab.topo.routerNs, 'eth0');
    for (const addrs of [[], ['fdca:3ba5:a17a:acda::77/64']]) {
      const body = payload('seed-example');
      body.networks[0].interface.addresses = addrs;
      const r = await putConfig(lab, body);
      assert.is(r.status, 422, r.body);
      assert.is(r.json().issues[0].path, 'networks.0.interface.addresses');
    }
    assert.equal(await addresses(lab.topo.routerNs, 'eth0'), mgmt, 'the management address is still there');
    assert.equal(await appliedConfig(lab), { configuration: seed });
    await first.kill();
    await lab.startAgent({ root: first.root });
    await lab.waitFor(async () => (await lab.api('GET', '/v1/system/config')).status === 200, 20_000, 'the restarted agent answers');
    assert.equal(await appliedConfig(lab), { configuration: seed }, 'the saved configuration is the last good one');
  }));

test.run();
