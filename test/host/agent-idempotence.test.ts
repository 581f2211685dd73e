// Applying configurations for real, idempotence: a re-push of what the router
// already has changes nothing on the host. Each test has a scratch lab
// (lab/scratch.ts) and an agent of its own. Needs root.
import * as assert from 'uvu/assert';
import { inNs } from '../../lab/netns.ts';
import { addresses, daemonPids, files, packetCount, routes } from '../../lab/router-state.ts';
import { payload, withLab } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { applies, applyOk, dryRunPlan } from './agent-checks.ts';

const test = rootSuite('agent: idempotent pushes');

test('an identical re-push is an empty plan: no file written, daemons keep their pids, counters are kept', () =>
  withLab(async (lab, agent) => {
    const R = lab.topo.routerNs;
    const seed = payload('seed-example');
    await applyOk(lab, seed);
    // traffic through both firewalls, so that a reload would show as counters going back
    const vm = lab.topo.vms[0];
    const mgmt = lab.topo.mgmt;
    if (!vm || !mgmt) throw new Error('fixture: the lab has a VM and a management host');
    await lab.must(vm.ns, ['ip', 'address', 'add', `${vm.ipv4}/24`, 'dev', 'eth0']);
    await lab.must(vm.ns, ['ip', 'route', 'add', 'default', 'via', '10.0.0.1']);
    await inNs(vm.ns, ['ping', '-n', '-q', '-c', '30', '-i', '0.01', '-W', '1', '10.0.0.1']);
    await inNs(mgmt.ns, ['ping', '-6', '-n', '-q', '-c', '30', '-i', '0.01', '-W', '1', mgmt.routerAddress]);
    const before = {
      files: await files(agent.root),
      pids: await daemonPids(R),
      v4: await packetCount(R, 4),
      v6: await packetCount(R, 6),
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
    assert.equal(await daemonPids(R), before.pids, 'dnsmasq and bird6 kept their pids');
    const v4 = await packetCount(R, 4);
    const v6 = await packetCount(R, 6);
    assert.ok(v4 >= before.v4, `IPv4 counters went from ${before.v4} to ${v4}: the rules were reloaded`);
    assert.ok(v6 >= before.v6, `IPv6 counters went from ${before.v6} to ${v6}: the rules were reloaded`);
    const last = applies(agent).slice(-2);
    for (const e of last) {
      assert.equal(e.plan, {}, JSON.stringify(e));
      assert.is(e.filesWritten, 0);
      assert.is(e.restarts, 0);
      assert.is(e.reloads, 0);
      assert.is(e.iptablesReloads, 0);
    }
  }));

test('an identical re-push with host routes (/24, /32, /128) is an empty plan and keeps the routes', () =>
  withLab(async (lab, agent) => {
    const R = lab.topo.routerNs;
    const body = payload('seed-example');
    body.networks[2].subnets[0].host_routes = [
      { destination: '192.168.100.0/24', nexthop: '10.0.0.254' },
      { destination: '192.168.5.5/32', nexthop: '10.0.0.254' },
    ];
    body.networks[2].subnets[1].host_routes = [{ destination: 'fd00:1::5/128', nexthop: 'fdc3:6ee6:d81f:ede::fe' }];
    await applyOk(lab, body);
    const v4 = await routes(R, 4);
    const v6 = await routes(R, 6);
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
    assert.equal(applies(agent).at(-1)?.plan, {}, 'the re-push deleted and re-added routes');
    assert.equal(await routes(R, 4), v4);
    assert.equal(await routes(R, 6), v6);
    assert.equal(await files(agent.root), filesBefore);
  }));

test('a new external address keeps the default route through the same gateway', () =>
  withLab(async (lab) => {
    const R = lab.topo.routerNs;
    await applyOk(lab, payload('seed-example'));
    const body = payload('seed-example');
    body.networks[1].interface.addresses = ['172.24.4.5/24', '2001:db8::5/64'];
    await applyOk(lab, body);
    assert.equal(await addresses(R, 'eth1'), ['172.24.4.5/24', '2001:db8::5/64']);
    assert.ok(
      (await routes(R, 4)).includes('default via 172.24.4.1 dev eth1 proto static'),
      `the IPv4 default route is missing after the apply:\n${(await routes(R, 4)).join('\n')}`,
    );
    assert.ok((await routes(R, 6)).includes('default via 2001:db8::2 dev eth1 proto static'));
    assert.equal(await dryRunPlan(lab, body), [], 'the router has converged');
  }));

test.run();
