// Applying configurations for real, concurrency: PUTs are applied one at a
// time, and a PUT is never undone by the start-up convergence. Each test has
// a scratch lab and an agent of its own. Needs root.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import type { Reply } from '../../lab/http.ts';
import { sleep } from '../../lab/netns.ts';
import { addresses, hostnameOf, rules, savedConfiguration } from '../../lab/router-state.ts';
import { payload, withLab } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { appliedConfig, applies, applyOk, dryRunPlan, putConfig, withFloatingIp } from './agent-checks.ts';

const test = rootSuite('agent: concurrent pushes');

test('concurrent PUTs are serialised: all answered, the host ends in the last applied configuration', () =>
  withLab(async (lab, agent) => {
    const R = lab.topo.routerNs;
    await applyOk(lab, payload('seed-example'));
    const variants = [1, 2, 3, 4, 5].map((i) => {
      const body = withFloatingIp(`172.24.4.${70 + i}`, `10.0.0.${10 + i}`);
      body.hostname = `router-${i}`;
      return body;
    });
    const answers = await Promise.all(variants.map((v) => putConfig(lab, v)));
    for (const r of answers) {
      assert.is(r.status, 200, r.body);
      const got = r.json().configuration;
      assert.ok(
        variants.some((v) => JSON.stringify(v) === JSON.stringify(got)),
        `an answer carries a configuration nobody sent: ${r.body.slice(0, 200)}`,
      );
    }
    const final = ((await appliedConfig(lab)) as { configuration: unknown }).configuration;
    const k = variants.findIndex((v) => JSON.stringify(v) === JSON.stringify(final));
    assert.ok(k >= 0, 'GET /v1/system/config is one of the variants');
    assert.ok(
      answers.some((r) => JSON.stringify(r.json().configuration) === JSON.stringify(final)),
      'the last applied configuration was answered to someone',
    );
    const fip = `172.24.4.${71 + k}`;
    assert.equal(await addresses(R, 'eth1'), ['172.24.4.3/24', `${fip}/24`, '2001:db8::3/64'].sort());
    assert.is(readFileSync(path.join(agent.root, 'etc', 'hostname'), 'utf8'), `router-${k + 1}\n`);
    assert.is(await hostnameOf(agent.pid), `router-${k + 1}`);
    const v4 = await rules(R, 4);
    assert.ok(v4.includes(fip), 'the final floating IP is NATed');
    for (let i = 0; i < variants.length; i++)
      if (i !== k) assert.not.ok(v4.includes(`172.24.4.${71 + i}`), `leftover rules of variant ${i + 1}`);
    assert.equal(await savedConfiguration(agent.root), variants[k]);
    assert.equal(await dryRunPlan(lab, variants[k]), [], 'the host state is exactly the last configuration');
    const events = agent.events();
    const bad = events.filter((e) => e.level === 'error' || e.raw !== undefined);
    assert.equal(bad, [], 'no error while applying concurrently');
    assert.ok(applies(agent).length <= 1 + variants.length);
  }));

test('a PUT arriving while a restarted agent converges is applied after the convergence, not undone by it', () =>
  withLab(async (lab, first) => {
    const seed = payload('seed-example');
    await applyOk(lab, seed);
    const root = first.root;
    await first.kill();
    const next = payload('seed-example');
    next.floating_ips = [{ floating_ip: '172.24.4.77', fixed_ip: '10.0.0.3' }];
    // the PUT is sent the moment the API accepts connections, before or during the convergence
    const agent = await lab.startAgent({ root, waitReady: false });
    let reply: Reply | null = null;
    for (let i = 0; i < 400 && !reply; i++) {
      const r = await putConfig(lab, next);
      if (r.status !== 0) reply = r;
      else await sleep(5);
    }
    if (!reply) throw new Error('the agent never answered');
    assert.is(reply.status, 200, reply.body);
    const events = applies(agent);
    assert.ok(events.length >= 2, JSON.stringify(events));
    assert.is(events.at(-1)?.forced, false, `the PUT was applied last: ${JSON.stringify(events.map((e) => e.forced))}`);
    assert.ok((await addresses(lab.topo.routerNs, 'eth1')).includes('172.24.4.77/24'), 'the floating IP of the PUT is on the host');
    const saved = (await savedConfiguration(root)) as { floating_ips: unknown };
    assert.equal(saved.floating_ips, next.floating_ips, 'and it is what was persisted');
  }));

test.run();
