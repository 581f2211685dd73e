// End-to-end with the other golden payloads: each gets a lab of its own, built
// and configured as `appliance lab up` does it, checked with real packets.
// Needs root.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import type { Lab } from '../../lab/lab.ts';
import { testdataPayload } from '../../lab/paths.ts';
import { payload, removeLab, scratchLab } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import type { LabVm } from '../../lab/topology.ts';

const test = rootSuite('router lab: the other payloads');
// biome-ignore lint/suspicious/noExplicitAny: payloads are JSON the tests read freely
type Body = Record<string, any>;
const json = (text: string) => JSON.parse(text) as Body;

/** A lab of the golden case `name`, pushed, VMs on DHCP, removed after fn. */
async function withPayload(name: string, maxVmsPerNetwork: number, fn: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await scratchLab({
    payload: testdataPayload(name),
    push: true,
    dhcp: true,
    services: true,
    configureManagement: true,
    maxVmsPerNetwork,
  });
  try {
    await fn(lab);
  } finally {
    await removeLab(lab);
  }
}

test('13b. the May-2015 payload gives a working router', () =>
  withPayload('legacy-2015-seed', 1, async (legacy) => {
    const v = legacy.topo.vms[0] as LabVm;
    await legacy.waitFor(async () => (await legacy.dhcpState(v, 4)).ip === v.ipv4, 20_000, 'the lease');
    const out = await legacy.http(v.ns, 'GET', 'http://172.16.77.1:8080/', { timeoutS: 5 });
    assert.is(json(out.body).remote, v.floating ?? '172.16.77.3');
  }));

test('14a. the IPv6-only payload: SLAAC and DHCPv6 VMs reach the outside', () =>
  withPayload('ipv6-only', 1, async (six) => {
    for (const v of six.topo.vms) {
      const want = v.v6Mode === 'stateful' ? v.ipv6[0] : v.ipv6.find((a) => a.includes(':'));
      await six.waitFor(async () => (await six.vmAddresses(v)).includes(want as string), 20_000, `${v.name} ${v.v6Mode} address`);
      if (v.v6Mode === 'stateful') assert.is((await six.dhcpState(v, 6)).ip6, want);
      const out = await six.http(v.ns, 'GET', 'http://[2001:db8::2]:8080/', { timeoutS: 5 });
      assert.is(out.status, 200, `${v.name} reaches the outside`);
    }
    assert.ok(six.topo.vms.some((v) => v.v6Mode === 'stateful') && six.topo.vms.some((v) => v.v6Mode === 'slaac'));
  }));

test('14b. the no-external payload: tenants get leases and reach each other', () =>
  withPayload('no-external', 1, async (internal) => {
    const [a, b] = internal.topo.vms as [LabVm, LabVm];
    for (const v of [a, b]) await internal.waitFor(async () => (await internal.dhcpState(v, 4)).ip === v.ipv4, 20_000, `${v.name} lease`);
    const r = await internal.http(a.ns, 'GET', `http://${b.ipv4}:8080/`, { timeoutS: 5 });
    assert.is(json(r.body).remote, a.ipv4, 'east-west traffic is not NATed');
  }));

test('14d. a DHCP-enabled SLAAC subnet: EUI-64 address by SLAAC, DNS by stateless DHCPv6', () =>
  withPayload('stateless-v6', 1, async (sl) => {
    const v = sl.topo.vms[0] as LabVm;
    assert.is(v.v6Mode, 'stateless');
    const slaac = v.ipv6[0] as string;
    await sl.waitFor(async () => (await sl.vmAddresses(v)).includes(slaac), 20_000, 'the SLAAC address');
    await sl.waitFor(async () => (await sl.dhcpState(v, 6)).dns6 === '2001:db8::53', 20_000, 'the DHCPv6 information reply');
    assert.is((await sl.dhcpState(v, 6)).ip6, '', 'no address from DHCPv6');
  }));

test('14c. the large-scale payload (22 networks, 2000 allocations, 200 floating IPs) applies, and its re-push is a no-op', () =>
  withPayload('large-scale', 0, async (big) => {
    const body = payload('large-scale');
    const links = JSON.parse(await big.must(big.topo.routerNs, ['ip', '-j', 'addr', 'show'])) as Body[];
    const on = (dev: string) => ((links.find((l) => l.ifname === dev)?.addr_info ?? []) as Body[]).map((a) => a.local as string);
    assert.is(on('eth1').filter((a) => a.startsWith('172.24.')).length, 1 + body.floating_ips.length);
    assert.ok(on('eth21').includes(body.networks[21].interface.addresses[0].split('/')[0]));
    const hosts = readFileSync(path.join(big.root, 'etc', 'dnsmasq', 'dhcp-hosts'), 'utf8');
    assert.ok(hosts.split('\n').length > 1900, 'every VM has its reservation');
    const again = await big.push(JSON.stringify(body));
    assert.is(again.status, 200);
    const lastApply = (big.agent?.events() ?? []).filter((e) => e.event === 'apply').at(-1);
    assert.equal(lastApply?.plan, {});
  }));

test.run();
