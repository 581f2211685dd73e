// The command helper (runtime/host/spawner.ts) SIGKILLed at random moments
// while configurations are applied: a command it was running is answered as
// failed, never run twice, so the PUT either applies or fails and is rolled
// back; the agent itself never dies, starts a new helper (running commands
// itself while it boots), and the next PUT converges. Needs root.
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { sleep } from '../../lab/netns.ts';
import { payload, withLab } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { appliedConfig, applies, applyOk, dryRunPlan, putConfig, snapshot, withFloatingIp } from './agent-checks.ts';

const test = rootSuite('agent: its command helper killed during applies');

/** the agent's children that are its command helper (`node -e` with the helper's program) */
function helpers(agentPid: number): number[] {
  let children: string;
  try {
    children = readFileSync(`/proc/${agentPid}/task/${agentPid}/children`, 'utf8');
  } catch {
    return [];
  }
  return children
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv[1] === '-e' && argv[2]?.includes('runCommand');
      } catch {
        return false;
      }
    });
}

test('a helper killed at random moments fails at most the PUT it was serving; the agent lives on and converges', () =>
  withLab(async (lab, agent) => {
    const seed = payload('seed-example');
    await applyOk(lab, seed);
    const bodies = [withFloatingIp('172.24.4.10'), seed, withFloatingIp('172.24.4.11'), seed];
    let killed = 0;
    const statuses: number[] = [];
    for (let round = 0; round < 8; round++) {
      const body = bodies[round % bodies.length];
      const put = putConfig(lab, body);
      // somewhere within the apply (a seed-example apply takes 100-300 ms here)
      await sleep(Math.floor(Math.random() * 120));
      for (const pid of helpers(agent.pid)) {
        process.kill(pid, 'SIGKILL');
        killed += 1;
      }
      const reply = await put;
      statuses.push(reply.status);
      assert.ok(reply.status === 200 || reply.status === 500, `round ${round}: ${reply.status} ${reply.body}`);
      if (reply.status === 500) assert.match(reply.body, /rolled_back|checks/, `a failed apply says what it undid: ${reply.body}`);
      assert.not.ok(agent.exited(), `the agent died in round ${round}`);
    }
    assert.ok(killed >= 4, `the helper was killed only ${killed} times: the test proves little`);

    // the storm is over: the last body applies, and nothing is left to do after it
    const last = withFloatingIp('172.24.4.12');
    await applyOk(lab, last);
    assert.equal(await appliedConfig(lab), { configuration: last });
    assert.equal(await dryRunPlan(lab, last), [], 'a dry run of the applied body plans nothing');
    const host = await snapshot(lab, agent);
    assert.match(host.rules4, /172\.24\.4\.12/, 'the floating IP\u2019s rules are loaded');
    assert.not.match(host.rules4, /172\.24\.4\.1[01]\b/, 'no rule of an earlier floating IP is left');
    assert.ok(helpers(agent.pid).length <= 1, 'one helper at most');
    const failed = applies(agent).filter((e) => e.status !== 200).length;
    assert.is(failed, statuses.filter((s) => s !== 200).length, 'every failed PUT is one failed apply in the log');
  }));

test.run();
