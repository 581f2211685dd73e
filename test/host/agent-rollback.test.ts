// Applying configurations for real, failures: a step the host really refuses
// (no test hook) answers 500 naming it, and the agent rolls the router back to
// the previous configuration. Each test has a scratch lab and an agent of its
// own. Needs root.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import * as assert from 'uvu/assert';
import type { AgentProcess } from '../../lab/agent.ts';
import type { Lab } from '../../lab/lab.ts';
import { veth } from '../../lab/netns.ts';
import { addresses, daemonPids, hostnameOf, routes, rules, savedConfiguration } from '../../lab/router-state.ts';
import { payload, withLab } from '../../lab/scratch.ts';
import { echoArgv } from '../../lab/services.ts';
import { rootSuite } from '../../lab/suite.ts';
import { appliedConfig, applyOk, dryRunPlan, putConfig, snapshot, withFloatingIp } from './agent-checks.ts';

const test = rootSuite('agent: failed steps and rollback');

/** A route the kernel refuses: its next hop is the router's own address on the tenant network. */
const REFUSED_ROUTE = { destination: 'fd00:9::/64', nexthop: 'fdc3:6ee6:d81f:ede::1' };

interface FailingCase {
  /** the step the answer must name, and what its stderr says */
  step: string;
  stderr: RegExp;
  variant: unknown;
  /** a condition of the host that makes the step fail; answers how to lift it */
  hostCondition?: (lab: Lab) => Promise<() => Promise<void>>;
  /** what is pushed once the cause is gone (the condition lifted, or the refused part left out) */
  retry: unknown;
  check: (lab: Lab, agent: AgentProcess) => Promise<void>;
}

async function failingStep(c: FailingCase) {
  await withLab(async (lab, agent) => {
    const seed = payload('seed-example');
    await applyOk(lab, seed);
    const lift = await c.hostCondition?.(lab);
    try {
      const before = await snapshot(lab, agent);
      const r = await putConfig(lab, c.variant);
      assert.is(r.status, 500, r.body);
      assert.match(r.headers['content-type'] ?? '', /^application\/json/);
      const body = r.json();
      assert.type(body.error, 'string');
      assert.ok(body.error.includes(c.step), `the answer names the failed step: ${body.error}`);
      assert.ok(Array.isArray(body.issues));
      assert.ok(String(body.step?.step).startsWith(c.step), JSON.stringify(body.step));
      assert.match(String(body.step?.stderr), c.stderr, 'the host\u2019s own error is in the answer');
      assert.is(body.rolled_back, true, r.body);
      assert.not.ok(r.body.includes('    at '), 'no stack trace');

      assert.equal(await snapshot(lab, agent), before, 'the router is back to the previous configuration');
      assert.equal(await appliedConfig(lab), { configuration: seed });
      assert.equal(await savedConfiguration(agent.root), seed);
      const pids = await daemonPids(lab.topo.routerNs);
      assert.is(pids.dnsmasq.length, 1, JSON.stringify(pids));
      assert.is(pids.bird6.length, 1, JSON.stringify(pids));
      assert.equal(await dryRunPlan(lab, seed), [], 'converged on the previous configuration');
      assert.ok(agent.events().some((e) => e.event === 'apply.rolled_back'));
    } finally {
      await lift?.();
    }
    // the cause gone, the push goes through
    const again = await putConfig(lab, c.retry);
    assert.is(again.status, 200, again.body);
    await c.check(lab, agent);
  });
}

test('a route the kernel refuses fails the ip batch with the addresses before it: rolled back to the previous state, 500 naming it', async () => {
  const retry = withFloatingIp('172.24.4.60');
  retry.hostname = 'router-b';
  retry.networks[2].subnets[0].host_routes = [{ destination: '192.168.100.0/24', nexthop: '10.0.0.254' }];
  const variant = structuredClone(retry);
  variant.networks[2].subnets[1].host_routes = [REFUSED_ROUTE];
  await failingStep({
    step: 'run links and addresses + routes',
    stderr: /Gateway can not be a local address/,
    variant,
    retry,
    check: async (lab, agent) => {
      assert.ok((await addresses(lab.topo.routerNs, 'eth1')).includes('172.24.4.60/24'));
      assert.ok((await routes(lab.topo.routerNs, 4)).includes('192.168.100.0/24 via 10.0.0.254 dev eth2 proto static'));
      assert.is(await hostnameOf(agent.pid), 'router-b');
      assert.equal(await savedConfiguration(agent.root), retry);
    },
  });
});

/** A process of the router listening on every address at a port: a TCP echo server. */
async function holdPort(ns: string, port: number): Promise<ChildProcess> {
  const [cmd, ...args] = ['ip', 'netns', 'exec', ns, ...echoArgv('tcp-echo', '0.0.0.0', port)];
  const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', () => resolve());
    child.once('exit', (code) => reject(new Error(`the port holder exited (${code})`)));
  });
  return child;
}

test('a taken port fails "service metadata" after the firewall was loaded: rolled back, 500 naming it', async () => {
  // a new tenant network on a NIC plugged in for it; the metadata listener it needs (port 9600 + 3)
  // is taken by another process of the router, so its step fails after addresses and rules changed
  const variant = withFloatingIp('172.24.4.61');
  const network = structuredClone(variant.networks[2]);
  network.interface = { ifname: 'ge3', addresses: ['10.0.9.1/24'], mtu: 1450 };
  network.network_id = '5d1e5b48-8e1c-4f4b-9a51-0c9f6e0f0903';
  network.subnets = [{ ...network.subnets[0], id: '6e2f6c59-9f2d-4a5c-8b62-1d0a7f1a1904', cidr: '10.0.9.0/24', gateway_ip: '10.0.9.1' }];
  network.allocations = [];
  variant.networks.push(network);
  await failingStep({
    step: 'metadata',
    stderr: /EADDRINUSE/,
    variant,
    hostCondition: async (lab) => {
      await veth({ ns: lab.topo.routerNs, ifname: 'eth3', mac: 'fa:16:3e:00:00:33' }, { ns: lab.topo.switchNs, ifname: 'r3' });
      const holder = await holdPort(lab.topo.routerNs, 9603);
      return async () => {
        holder.kill('SIGKILL');
        await new Promise((r) => holder.once('exit', r));
      };
    },
    retry: variant,
    check: async (lab) => {
      assert.ok((await addresses(lab.topo.routerNs, 'eth1')).includes('172.24.4.61/24'));
      assert.ok((await rules(lab.topo.routerNs, 4)).includes('172.24.4.61'));
      assert.equal(await addresses(lab.topo.routerNs, 'eth3'), ['10.0.9.1/24']);
    },
  });
});

test('a failing step of the first configuration answers 500 and nothing is recorded as applied', () =>
  withLab(async (lab, agent) => {
    const first = payload('seed-example');
    first.networks[2].subnets[1].host_routes = [REFUSED_ROUTE];
    const r = await putConfig(lab, first);
    assert.is(r.status, 500, r.body);
    const body = r.json();
    assert.ok(body.error.includes('run links and addresses + routes'), body.error);
    assert.is(body.rolled_back, false, 'there was nothing to roll back to');
    assert.equal(await appliedConfig(lab), { configuration: {} });
    assert.not.ok(existsSync(path.join(agent.root, 'state', 'config.json')));
    // the firewall files were written before the failure, the rules not loaded: the retry must still load them
    await applyOk(lab, payload('seed-example'));
    assert.match(await rules(lab.topo.routerNs, 6), ':INPUT DROP', 'the retried push loaded the IPv6 rules');
    assert.match(await rules(lab.topo.routerNs, 6), '--dport 547');
    assert.match(await rules(lab.topo.routerNs, 4), ':INPUT DROP', 'and the IPv4 ones');
    assert.equal(await dryRunPlan(lab, payload('seed-example')), []);
  }));

test.run();
