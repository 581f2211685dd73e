// Applying configurations for real, restarts: a new agent on the same root
// restores the persisted configuration and adopts the daemons it finds. Each
// test has a scratch lab and an agent of its own. Needs root.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import type { AgentProcess } from '../../lab/agent.ts';
import { must } from '../../lab/netns.ts';
import { addresses, daemonPids, routes } from '../../lab/router-state.ts';
import { payload, withLab } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { applies, applyOk, dryRunPlan, snapshot } from './agent-checks.ts';

const test = rootSuite('agent: restarts');

/** Waits for the forced apply a new agent runs at start (the API answers before it is done). */
async function converged(lab: { waitFor: (c: () => Promise<boolean>, ms: number, what: string) => Promise<void> }, agent: AgentProcess) {
  await lab.waitFor(async () => applies(agent).some((e) => e.forced === true), 20_000, 'the start-up convergence');
  return applies(agent).find((e) => e.forced === true);
}

test('after SIGKILL, a new agent on the same root restores the configuration, converges and adopts the daemons', () =>
  withLab(async (lab, first) => {
    const R = lab.topo.routerNs;
    const seed = payload('seed-example');
    await applyOk(lab, seed);
    const root = first.root;
    const before = await snapshot(lab, first);
    const pids = await daemonPids(R);
    assert.is(pids.dnsmasq.length, 1);
    assert.is(pids.bird6.length, 1);

    await first.kill();
    assert.equal(await daemonPids(R), pids, 'the daemons outlive the agent');
    // damage while the agent is down
    await must(['ip', '-n', R, 'address', 'del', '10.0.0.1/24', 'dev', 'eth2']);
    await must(['ip', '-n', R, '-6', 'address', 'del', '2001:db8::3/64', 'dev', 'eth1']);
    await must(['ip', '-n', R, '-4', 'route', 'del', 'default']);
    await must(['ip', 'netns', 'exec', R, 'iptables', '-F']);
    await rm(path.join(root, 'etc', 'hosts'), { force: true });
    assert.not.ok((await addresses(R, 'eth2')).includes('10.0.0.1/24'), 'fixture: the damage is done');
    assert.not.ok(
      (await routes(R, 4)).some((r) => r.startsWith('default')),
      'fixture: the damage is done',
    );

    const agent = await lab.startAgent({ root });
    const converge = await converged(lab, agent);
    assert.is(converge?.status, 200, JSON.stringify(converge));

    const after = await snapshot(lab, agent);
    assert.equal({ ...after, hostname: '' }, { ...before, hostname: '' }, 'addresses, routes, rules and files are back');
    assert.is(after.hostname, seed.hostname, 'the new agent\u2019s host name is set');
    assert.equal(await daemonPids(R), pids, 'dnsmasq and bird6 were adopted, not restarted nor duplicated');
    const adopted = agent
      .events()
      .filter((e) => e.event === 'daemon.adopted')
      .map((e) => e.daemon)
      .sort();
    assert.equal(adopted, ['bird6', 'dnsmasq']);
    for (const url of ['/v1/system/config', '/v1/system/config/']) {
      assert.equal((await lab.api('GET', url)).json(), { configuration: seed }, `${url} after the restart`);
    }
    assert.equal(await dryRunPlan(lab, seed), [], 'nothing left to do');
    // and the adopted daemons are still managed: a re-push keeps them
    await applyOk(lab, seed);
    assert.equal(await daemonPids(R), pids);
  }));

test('after a restart, daemons that died meanwhile are started once, and a stale pid file adopts no stranger', () =>
  withLab(async (lab, first) => {
    const R = lab.topo.routerNs;
    await applyOk(lab, payload('seed-example'));
    const root = first.root;
    const old = await daemonPids(R);
    await first.kill();
    for (const pid of [...old.dnsmasq, ...old.bird6]) process.kill(pid, 'SIGKILL');
    await lab.waitFor(
      async () => {
        const p = await daemonPids(R);
        return p.dnsmasq.length === 0 && p.bird6.length === 0;
      },
      10_000,
      'the daemons to die',
    );
    // dnsmasq's pid file now names an unrelated process of the router
    const stranger = spawn('ip', ['netns', 'exec', R, 'sleep', '60'], { stdio: 'ignore' });
    try {
      const strangerPid = stranger.pid as number;
      await writeFile(path.join(root, 'run', 'dnsmasq.pid'), `${strangerPid}\n`);

      const agent = await lab.startAgent({ root });
      assert.is((await converged(lab, agent))?.status, 200);
      const now = await daemonPids(R);
      assert.is(now.dnsmasq.length, 1, JSON.stringify(now));
      assert.is(now.bird6.length, 1, JSON.stringify(now));
      assert.not.equal(now.dnsmasq, old.dnsmasq);
      assert.not.ok(now.dnsmasq.includes(strangerPid));
      assert.not.ok(
        agent.events().some((e) => e.event === 'daemon.adopted'),
        'nothing to adopt: one daemon is dead, the other pid file names a stranger',
      );
      assert.ok(existsSync(`/proc/${strangerPid}`), 'the stranger was left alone');
      assert.equal(await dryRunPlan(lab, payload('seed-example')), []);
    } finally {
      stranger.kill('SIGKILL');
    }
  }));

test('a new agent whose state says nothing is applied adopts nothing and answers an empty configuration', () =>
  withLab(async (lab, agent) => {
    assert.equal((await lab.api('GET', '/v1/system/config/')).json(), { configuration: {} });
    assert.equal(await daemonPids(lab.topo.routerNs), { dnsmasq: [], bird6: [] });
    assert.not.ok(agent.events().some((e) => e.event === 'daemon.adopted' || e.event === 'apply'));
  }));

test.run();
