// A SIGKILL after an apply finished but before its answer reached the client:
// the agent persists the configuration after executing it and before
// answering, so a new agent on the same root converges to the new
// configuration without another PUT. The client's side is made deaf to the
// agent's answer (a firewall rule in the management namespace drops every
// segment from the API port that carries data), so the answer can never
// arrive, whatever the timing. Needs root.
import * as assert from 'uvu/assert';
import type { AgentProcess } from '../../lab/agent.ts';
import type { Lab } from '../../lab/lab.ts';
import { sleep } from '../../lab/netns.ts';
import { daemonPids, savedConfiguration } from '../../lab/router-state.ts';
import { payload, withLab } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { appliedConfig, applies, applyOk, putConfig, snapshot, withFloatingIp } from './agent-checks.ts';

const test = rootSuite('agent: killed after an apply, before its answer');

/**
 * Drops, in the management namespace, TCP segments from the API port that carry
 * data (longer than a bare ACK or FIN with timestamps): the handshake and ACKs
 * pass, so the request is delivered, but no byte of the answer is. Answers how to undo it.
 */
async function deafToAnswers(lab: Lab, port: number): Promise<() => Promise<void>> {
  const ns = lab.topo.mgmt?.ns as string;
  // bare segments: IPv4 20 + TCP 20 + 12 of options = 52 bytes, IPv6 40 + 20 + 12 = 72
  const rules: [string, string][] = [
    ['iptables', '53:65535'],
    ['ip6tables', '73:65535'],
  ];
  const rule = (len: string) => [
    '-p',
    'tcp',
    '--sport',
    String(port),
    '--tcp-flags',
    'SYN',
    'NONE',
    '-m',
    'length',
    '--length',
    len,
    '-j',
    'DROP',
  ];
  for (const [cmd, len] of rules) await lab.must(ns, [cmd, '-I', 'INPUT', ...rule(len)]);
  return async () => {
    for (const [cmd, len] of rules) await lab.must(ns, [cmd, '-D', 'INPUT', ...rule(len)]);
  };
}

test('SIGKILL once the new configuration is persisted, its answer never delivered: a restart converges to it', () =>
  withLab(async (lab, first) => {
    const R = lab.topo.routerNs;
    const seed = payload('seed-example');
    await applyOk(lab, seed);
    const next = withFloatingIp('172.24.4.10');
    next.hostname = 'router-after-kill';

    const hear = await deafToAnswers(lab, first.port);
    let answer: Awaited<ReturnType<typeof putConfig>>;
    try {
      // fixture: with the rule in place nothing the agent says arrives (a GET times out)
      const probe = await lab.api('GET', '/v1/', { timeoutS: 2 });
      assert.is(probe.status, 0, `the management side still hears the agent: ${probe.status}`);

      const put = putConfig(lab, next);
      // the apply finished when the agent persisted the new configuration
      const deadline = Date.now() + 30_000;
      while (JSON.stringify(await savedConfiguration(first.root)) !== JSON.stringify(next)) {
        assert.ok(Date.now() < deadline, 'the new configuration was never persisted');
        assert.not.ok(first.exited(), 'the agent died during the apply');
        await sleep(5);
      }
      await first.kill('SIGKILL');
      answer = await put;
    } finally {
      await hear();
    }
    assert.is(answer.status, 0, `the client got an answer (${answer.status}), the test proves nothing: ${answer.body}`);
    assert.is(applies(first).at(-1)?.status, 200, 'the killed agent had finished the apply');
    // the host as the finished apply left it (the killed agent's host name aside: its UTS namespace is gone)
    const applied = { ...(await snapshot(lab, { root: first.root, pid: process.pid } as AgentProcess)), hostname: '' };
    const pids = await daemonPids(R);

    const agent = await lab.startAgent({ root: first.root });
    await lab.waitFor(async () => applies(agent).some((e) => e.forced === true), 20_000, 'the start-up convergence');
    const converge = applies(agent).find((e) => e.forced === true);
    assert.is(converge?.status, 200, JSON.stringify(converge));
    assert.equal(await appliedConfig(lab), { configuration: next }, 'GET answers the configuration whose answer was lost');
    assert.is(applies(agent).length, 1, 'converged by itself: no PUT was needed');

    const after = await snapshot(lab, agent);
    assert.is(after.hostname, 'router-after-kill');
    assert.ok(after.addresses.eth1?.includes('172.24.4.10/32') || after.rules4.includes('172.24.4.10'), JSON.stringify(after.addresses));
    assert.match(after.rules4, /172\.24\.4\.10/, 'the floating IP\u2019s NAT rules are loaded');
    assert.equal({ ...after, hostname: '' }, applied, 'the host is as the finished apply left it');
    assert.equal(await daemonPids(R), pids, 'the daemons were adopted, not restarted');
    // nothing left to do: a dry run of the lost body plans no step
    const dry = await putConfig(lab, next, { dryRun: true });
    assert.is(dry.status, 200, dry.body);
    assert.equal(dry.json().plan, []);
  }));

test.run();
