// Applying configurations for real: a real agent process in a router
// namespace, driven over HTTP from the orchestrator's namespace (see
// test/agent-kit.ts). Each test has a lab and an agent of its own.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type AgentProcess,
  addresses,
  daemonPids,
  files,
  type Lab,
  logEvents,
  MGMT_ADDR,
  must,
  packetCount,
  payload,
  putConfig,
  type Reply,
  request,
  routes,
  rules,
  sh,
  sleep,
  startAgent,
  waitFor,
  withAgent,
  withLab,
  withLogTail,
} from '../test/agent-kit.ts';

// ---------------------------------------------------------------------------
// Helpers

async function applyOk(lab: Lab, body: unknown): Promise<Reply> {
  const r = await putConfig(lab, body);
  assert.is(r.status, 200, `PUT answered ${r.status}: ${r.body}`);
  return r;
}

async function dryRunPlan(lab: Lab, body: unknown): Promise<unknown[]> {
  const r = await putConfig(lab, body, { dryRun: true });
  assert.is(r.status, 200, r.body);
  return r.json().plan;
}

/** The hostname inside the agent's own UTS namespace. */
async function agentHostname(agent: AgentProcess): Promise<string> {
  return (await must(['nsenter', '--target', String(agent.pid), '--uts', 'hostname'])).trim();
}

/** Content digests only (mtimes change when a rollback rewrites a file). */
async function contents(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [p, st] of Object.entries(await files(root))) out[p] = st.sha256;
  return out;
}

function stateConfiguration(root: string): unknown {
  return JSON.parse(readFileSync(path.join(root, 'state', 'config.json'), 'utf8')).configuration;
}

/** Everything the router's state is made of, as the kernel and the root show it. */
async function snapshot(lab: Lab, agent: AgentProcess) {
  return {
    eth0: await addresses(lab, 'eth0'),
    eth1: await addresses(lab, 'eth1'),
    eth2: await addresses(lab, 'eth2'),
    routes4: await routes(lab, 4),
    routes6: await routes(lab, 6),
    rules4: await rules(lab, 4),
    rules6: await rules(lab, 6),
    files: await contents(agent.root),
    hostname: await agentHostname(agent),
  };
}

function apply(events: Record<string, unknown>[]) {
  return events.filter((e) => e.event === 'apply');
}

/** seed-example with a floating IP (IPv4 NAT rules, an address on the external link). */
function withFloatingIp(floating: string, fixed = '10.0.0.3') {
  const body = payload('seed-example');
  body.floating_ips = [{ floating_ip: floating, fixed_ip: fixed }];
  return body;
}

// ---------------------------------------------------------------------------
// Idempotence

test('an identical re-push is an empty plan: no file written, daemons keep their pids, counters are kept', () =>
  withAgent({}, async (lab, agent) => {
    const seed = payload('seed-example');
    await applyOk(lab, seed);
    // traffic through both firewalls, so that a reload would show as counters going back
    await sh(['ip', 'netns', 'exec', lab.t, 'ping', '-n', '-q', '-c', '30', '-i', '0.01', '-W', '1', '10.0.0.1']);
    await sh(['ip', 'netns', 'exec', lab.m, 'ping', '-6', '-n', '-q', '-c', '30', '-i', '0.01', '-W', '1', MGMT_ADDR]);
    const before = {
      files: await files(agent.root),
      pids: await daemonPids(lab),
      v4: await packetCount(lab, 4),
      v6: await packetCount(lab, 6),
    };
    assert.is(before.pids.dnsmasq.length, 1, JSON.stringify(before.pids));
    assert.is(before.pids.bird6.length, 1, JSON.stringify(before.pids));
    assert.ok(before.v4 >= 30 && before.v6 >= 30, `counters ${before.v4}/${before.v6}`);
    assert.is(Object.keys(before.files).length, 9);

    assert.equal(await dryRunPlan(lab, seed), [], 'the dry run of the same body plans nothing');
    for (let i = 0; i < 2; i++) {
      const r = await applyOk(lab, seed);
      assert.equal(r.json(), { configuration: seed });
    }
    assert.equal(await files(agent.root), before.files, 'no file was rewritten (mtimes unchanged)');
    assert.equal(await daemonPids(lab), before.pids, 'dnsmasq and bird6 kept their pids');
    const v4 = await packetCount(lab, 4);
    const v6 = await packetCount(lab, 6);
    assert.ok(v4 >= before.v4, `IPv4 counters went from ${before.v4} to ${v4}: the rules were reloaded`);
    assert.ok(v6 >= before.v6, `IPv6 counters went from ${before.v6} to ${v6}: the rules were reloaded`);
    const last = apply(logEvents(agent)).slice(-2);
    for (const e of last) {
      assert.equal(e.plan, {}, JSON.stringify(e));
      assert.is(e.filesWritten, 0);
      assert.is(e.restarts, 0);
      assert.is(e.reloads, 0);
      assert.is(e.iptablesReloads, 0);
    }
  }));

test('an identical re-push with host routes (/24, /32, /128) is an empty plan and keeps the routes', () =>
  withAgent({}, async (lab, agent) => {
    const body = payload('seed-example');
    body.networks[2].subnets[0].host_routes = [
      { destination: '192.168.100.0/24', nexthop: '10.0.0.254' },
      { destination: '192.168.5.5/32', nexthop: '10.0.0.254' },
    ];
    body.networks[2].subnets[1].host_routes = [{ destination: 'fd00:1::5/128', nexthop: 'fdc3:6ee6:d81f:ede::fe' }];
    await applyOk(lab, body);
    const v4 = await routes(lab, 4);
    const v6 = await routes(lab, 6);
    assert.ok(v4.includes('192.168.100.0/24 via 10.0.0.254 dev eth2 proto static'), v4.join('\n'));
    assert.ok(
      v4.some((r) => r.startsWith('192.168.5.5') && r.endsWith('via 10.0.0.254 dev eth2 proto static')),
      v4.join('\n'),
    );
    assert.ok(
      v6.some((r) => r.startsWith('fd00:1::5') && r.endsWith('dev eth2 proto static')),
      v6.join('\n'),
    );
    const filesBefore = await files(agent.root);
    assert.equal(await dryRunPlan(lab, body), [], 'a re-push of the same host routes must plan nothing');
    await applyOk(lab, body);
    assert.equal(apply(logEvents(agent)).at(-1)?.plan, {}, 'the re-push deleted and re-added routes');
    assert.equal(await routes(lab, 4), v4);
    assert.equal(await routes(lab, 6), v6);
    assert.equal(await files(agent.root), filesBefore);
  }));

test('a new external address keeps the default route through the same gateway', () =>
  withAgent({}, async (lab) => {
    await applyOk(lab, payload('seed-example'));
    const body = payload('seed-example');
    body.networks[1].interface.addresses = ['172.24.4.5/24', '2001:db8::5/64'];
    await applyOk(lab, body);
    assert.equal(await addresses(lab, 'eth1'), ['172.24.4.5/24', '2001:db8::5/64']);
    assert.ok(
      (await routes(lab, 4)).includes('default via 172.24.4.1 dev eth1 proto static'),
      `the IPv4 default route is missing after the apply:\n${(await routes(lab, 4)).join('\n')}`,
    );
    assert.ok((await routes(lab, 6)).includes('default via 2001:db8::2 dev eth1 proto static'));
    assert.equal(await dryRunPlan(lab, body), [], 'the router has converged');
  }));

// Failures and rollback: test/api/apply.test.ts fails chosen steps of a simulated host.

// ---------------------------------------------------------------------------
// Restart

test('after SIGKILL, a new agent on the same root restores the configuration, converges and adopts the daemons', () =>
  withLab(async (lab) => {
    let agent: AgentProcess | null = await startAgent(lab);
    try {
      const seed = payload('seed-example');
      await applyOk(lab, seed);
      const root = agent.root;
      const before = await snapshot(lab, agent);
      const pids = await daemonPids(lab);
      assert.is(pids.dnsmasq.length, 1);
      assert.is(pids.bird6.length, 1);

      await agent.kill();
      assert.equal(await daemonPids(lab), pids, 'the daemons outlive the agent');
      // damage while the agent is down
      await must(['ip', '-n', lab.r, 'address', 'del', '10.0.0.1/24', 'dev', 'eth2']);
      await must(['ip', '-n', lab.r, '-6', 'address', 'del', '2001:db8::3/64', 'dev', 'eth1']);
      await must(['ip', '-n', lab.r, '-4', 'route', 'del', 'default']);
      await must(['ip', 'netns', 'exec', lab.r, 'iptables', '-F']);
      await must(['rm', '-f', path.join(root, 'etc', 'hosts')]);
      assert.not.ok((await addresses(lab, 'eth2')).includes('10.0.0.1/24'), 'fixture: the damage is done');
      assert.not.ok(
        (await routes(lab, 4)).some((r) => r.startsWith('default')),
        'fixture: the damage is done',
      );

      agent = await startAgent(lab, { root });
      const started = agent;
      // the API answers before convergence is done; wait for the forced apply
      await waitFor('the start-up convergence', () => apply(logEvents(started)).find((e) => e.forced === true), 20_000);
      const converge = apply(logEvents(agent)).find((e) => e.forced === true);
      assert.is(converge?.status, 200, JSON.stringify(converge));

      const after = await snapshot(lab, agent);
      assert.equal({ ...after, hostname: '' }, { ...before, hostname: '' }, 'addresses, routes, rules and files are back');
      assert.is(after.hostname, seed.hostname, 'the new agent\u2019s host name is set');
      assert.equal(await daemonPids(lab), pids, 'dnsmasq and bird6 were adopted, not restarted nor duplicated');
      const adopted = logEvents(agent)
        .filter((e) => e.event === 'daemon.adopted')
        .map((e) => e.daemon)
        .sort();
      assert.equal(adopted, ['bird6', 'dnsmasq']);
      for (const url of ['/v1/system/config', '/v1/system/config/']) {
        assert.equal((await request(lab, 'GET', url)).json(), { configuration: seed }, `${url} after the restart`);
      }
      assert.equal(await dryRunPlan(lab, seed), [], 'nothing left to do');
      // and the adopted daemons are still managed: a re-push keeps them
      await applyOk(lab, seed);
      assert.equal(await daemonPids(lab), pids);
    } catch (err) {
      throw withLogTail(err, agent);
    } finally {
      await agent?.stop();
    }
  }));

test('after a restart, daemons that died meanwhile are started once, and a stale pid file adopts no stranger', () =>
  withLab(async (lab) => {
    let agent: AgentProcess | null = await startAgent(lab);
    let stranger: ReturnType<typeof execa> | null = null;
    try {
      await applyOk(lab, payload('seed-example'));
      const root = agent.root;
      const old = await daemonPids(lab);
      await agent.kill();
      for (const pid of [...old.dnsmasq, ...old.bird6]) process.kill(pid, 'SIGKILL');
      await waitFor('the daemons to die', async () => {
        const p = await daemonPids(lab);
        return p.dnsmasq.length === 0 && p.bird6.length === 0;
      });
      // dnsmasq's pid file now names an unrelated process of the router
      stranger = execa('ip', ['netns', 'exec', lab.r, 'sleep', '60'], { reject: false });
      const strangerPid = stranger.pid as number;
      await writeFile(path.join(root, 'run', 'dnsmasq.pid'), `${strangerPid}\n`);

      agent = await startAgent(lab, { root });
      const started = agent;
      await waitFor('the start-up convergence', () => apply(logEvents(started)).find((e) => e.forced === true), 20_000);
      assert.is(apply(logEvents(agent)).find((e) => e.forced === true)?.status, 200);
      const now = await daemonPids(lab);
      assert.is(now.dnsmasq.length, 1, JSON.stringify(now));
      assert.is(now.bird6.length, 1, JSON.stringify(now));
      assert.not.equal(now.dnsmasq, old.dnsmasq);
      assert.not.ok(now.dnsmasq.includes(strangerPid));
      assert.not.ok(
        logEvents(agent).some((e) => e.event === 'daemon.adopted'),
        'nothing to adopt: one daemon is dead, the other pid file names a stranger',
      );
      assert.ok(existsSync(`/proc/${strangerPid}`), 'the stranger was left alone');
      assert.equal(await dryRunPlan(lab, payload('seed-example')), []);
    } catch (err) {
      throw withLogTail(err, agent);
    } finally {
      await agent?.stop();
      stranger?.kill('SIGKILL');
      await stranger;
    }
  }));

test('a new agent whose state says nothing is applied adopts nothing and answers an empty configuration', () =>
  withAgent({}, async (lab, agent) => {
    assert.equal((await request(lab, 'GET', '/v1/system/config/')).json(), { configuration: {} });
    assert.equal(await daemonPids(lab), { dnsmasq: [], bird6: [] });
    assert.not.ok(logEvents(agent).some((e) => e.event === 'daemon.adopted' || e.event === 'apply'));
  }));

// ---------------------------------------------------------------------------
// Concurrency

test('concurrent PUTs are serialised: all answered, the host ends in the last applied configuration', () =>
  withAgent({}, async (lab, agent) => {
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
    const final = (await request(lab, 'GET', '/v1/system/config')).json().configuration;
    const k = variants.findIndex((v) => JSON.stringify(v) === JSON.stringify(final));
    assert.ok(k >= 0, 'GET /v1/system/config is one of the variants');
    assert.ok(
      answers.some((r) => JSON.stringify(r.json().configuration) === JSON.stringify(final)),
      'the last applied configuration was answered to someone',
    );
    const fip = `172.24.4.${71 + k}`;
    assert.equal(await addresses(lab, 'eth1'), ['172.24.4.3/24', `${fip}/24`, '2001:db8::3/64'].sort());
    assert.is(readFileSync(path.join(agent.root, 'etc', 'hostname'), 'utf8'), `router-${k + 1}\n`);
    assert.is(await agentHostname(agent), `router-${k + 1}`);
    const v4 = await rules(lab, 4);
    assert.ok(v4.includes(fip), 'the final floating IP is NATed');
    for (let i = 0; i < variants.length; i++)
      if (i !== k) assert.not.ok(v4.includes(`172.24.4.${71 + i}`), `leftover rules of variant ${i + 1}`);
    assert.equal(stateConfiguration(agent.root), variants[k]);
    assert.equal(await dryRunPlan(lab, variants[k]), [], 'the host state is exactly the last configuration');
    const events = logEvents(agent);
    const bad = events.filter((e) => e.level === 'error' || e.raw !== undefined);
    assert.equal(bad, [], 'no error while applying concurrently');
    assert.ok(apply(events).length <= 1 + variants.length);
  }));

test('a PUT arriving while a restarted agent converges is applied after the convergence, not undone by it', () =>
  withLab(async (lab) => {
    let agent: AgentProcess | null = await startAgent(lab);
    try {
      const seed = payload('seed-example');
      await applyOk(lab, seed);
      const root = agent.root;
      await agent.kill();
      const next = payload('seed-example');
      next.floating_ips = [{ floating_ip: '172.24.4.77', fixed_ip: '10.0.0.3' }];
      // the PUT is sent the moment the API accepts connections, before or during the convergence
      agent = await startAgent(lab, { root, waitReady: false });
      let reply: Reply | null = null;
      for (let i = 0; i < 400 && !reply; i++) {
        reply = await putConfig(lab, next).catch(() => null);
        if (!reply) await sleep(5);
      }
      if (!reply) throw new Error('the agent never answered');
      assert.is(reply.status, 200, reply.body);
      const events = apply(logEvents(agent));
      assert.ok(events.length >= 2, JSON.stringify(events));
      assert.is(events.at(-1)?.forced, false, `the PUT was applied last: ${JSON.stringify(events.map((e) => e.forced))}`);
      assert.ok((await addresses(lab, 'eth1')).includes('172.24.4.77/24'), 'the floating IP of the PUT is on the host');
      const saved = JSON.parse(readFileSync(path.join(root, 'state', 'config.json'), 'utf8'));
      assert.equal(saved.configuration.floating_ips, next.floating_ips, 'and it is what was persisted');
    } catch (err) {
      throw withLogTail(err, agent);
    } finally {
      await agent?.stop();
    }
  }));

test.run();
