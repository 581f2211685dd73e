// End-to-end, first part: the whole router in the network lab, configured
// from the management host and checked with real packets the way an operator
// would (leases, metadata, NAT, exposure of the API, BGP, an idempotent
// re-push). Needs root; builds and removes its own namespaces.
import * as assert from 'uvu/assert';
import { files, links, ruleCounters } from '../../lab/router-state.ts';
import { lazy } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { type Body, fetchFrom, json, type MainLab, mainLab, pidOf, push } from './router-lab.ts';

const test = rootSuite('router lab: configuring a whole router');
let main: MainLab | null = null;
const ready = lazy(async () => {
  main = await mainLab(false);
  return main;
});
test.after(async () => {
  await main?.remove();
});

test('1. before any configuration the interfaces are exactly the router NICs, lowercase MACs', async () => {
  const { lab } = await ready();
  const r = await lab.api('GET', '/v1/system/interfaces');
  assert.is(r.status, 200);
  const ifs = json(r.body).interfaces as Body[];
  assert.equal(
    ifs.map((i) => i.ifname),
    lab.topo.nics.map((n) => `ge${n.index}`),
  );
  for (const nic of lab.topo.nics) {
    const mac = (await lab.must(lab.topo.routerNs, ['cat', `/sys/class/net/${nic.routerIf}/address`])).trim();
    const entry = ifs.find((i) => i.ifname === `ge${nic.index}`);
    assert.is(entry?.lladdr, mac);
    assert.is(entry?.lladdr, entry?.lladdr.toLowerCase());
  }
});

test('2. the payload PUT answers 200 JSON; addresses, MTUs and default routes are on the router', async () => {
  const { lab, payload } = await ready();
  const rt = (argv: string[]) => lab.must(lab.topo.routerNs, argv);
  const r = await push(lab, payload);
  assert.is(r.status, 200);
  assert.match(r.headers['content-type'] ?? '', /application\/json/);
  assert.is(r.body?.configuration?.tenant_id, payload.tenant_id);
  const addrs = await links(lab.topo.routerNs);
  for (const n of payload.networks as Body[]) {
    const dev = `eth${Number(n.interface.ifname.slice(2))}`;
    for (const a of n.interface.addresses) assert.ok(addrs[dev]?.addrs.includes(a), `${a} on ${dev}: ${addrs[dev]?.addrs}`);
    if (n.interface.mtu) assert.is(addrs[dev]?.mtu, n.interface.mtu);
  }
  for (const f of payload.floating_ips as Body[]) assert.ok(addrs.eth1?.addrs.includes(`${f.floating_ip}/24`), `floating ${f.floating_ip}`);
  assert.match(await rt(['ip', '-4', 'route', 'show', 'default']), `default via ${payload.default_v4_gateway} dev eth1`);
  assert.match(await rt(['ip', '-6', 'route', 'show', 'default']), 'default via 2001:db8::2 dev eth1');
  for (const v of lab.topo.vms) await lab.startDhcp(v);
});

test('3. each VM gets its reserved address, hostname, DNS server and classless routes; IPv6 by SLAAC', async () => {
  const { lab } = await ready();
  for (const v of lab.topo.vms) {
    await lab.waitFor(async () => !!(await lab.dhcpState(v, 4)).ip, 20_000, `${v.name}'s lease`);
    const d = await lab.dhcpState(v, 4);
    assert.is(d.ip, v.ipv4, `${v.name} address`);
    assert.is(d.hostname, v.hostname.split('.')[0], `${v.name} hostname`);
    if (v.index === 2) {
      assert.is(d.dns, '10.0.0.53');
      // 192.168.200.0/24 via 10.0.0.254, then the default route via the gateway
      assert.is(d.classless, '24 192 168 200 10 0 0 254 0 10 0 0 1');
      assert.match(await lab.must(v.ns, ['ip', 'route']), '192.168.200.0/24 via 10.0.0.254');
    } else {
      assert.is(d.dns, '10.0.1.1', 'dnsmasq offers itself when the subnet names no server');
    }
    const slaac = v.ipv6.find((a) => a.includes(':'));
    if (slaac && v.v6Mode === 'slaac') {
      await lab.waitFor(async () => (await lab.vmAddresses(v)).includes(slaac), 15_000, `${v.name}'s SLAAC address`);
    }
  }
});

test('4. metadata reaches the orchestrator endpoint with the VM identity', async () => {
  const { lab, payload } = await ready();
  for (const v of lab.topo.vms) {
    const r = await fetchFrom(lab, v.ns, 'http://169.254.169.254/latest/meta-data/instance-id');
    assert.is(r.status, 200, `${v.name} metadata`);
    assert.is(r.body?.path, '/latest/meta-data/instance-id');
    assert.is(r.body?.headers['x-forwarded-for'], v.ipv4);
    assert.is(r.body?.headers['x-instance-id'], v.deviceId);
    assert.is(r.body?.headers['x-tenant-id'], payload.tenant_id);
    assert.is(r.body?.headers['x-neutron-network-id'], v.networkId);
  }
});

test('5. SNAT, floating IPs inbound and outbound, and hairpin', async () => {
  const { lab } = await ready();
  const ext = lab.topo.ext?.ns as string;
  const withFip = lab.vm('vm1');
  const without = lab.vm('vm2');
  assert.ok(withFip.floating && !without.floating);
  const out1 = await fetchFrom(lab, without.ns, 'http://172.24.4.1:8080/');
  assert.is(out1.body?.remote, '172.24.4.3', 'no floating IP: the router external address');
  const out2 = await fetchFrom(lab, withFip.ns, 'http://172.24.4.1:8080/');
  assert.is(out2.body?.remote, withFip.floating, 'floating IP: seen as it');
  const inbound = await fetchFrom(lab, ext, `http://${withFip.floating}:8080/`);
  assert.is(inbound.body?.server, withFip.name);
  assert.is(inbound.body?.remote, '172.24.4.1');
  const hairpin = await fetchFrom(lab, without.ns, `http://${withFip.floating}:8080/`);
  assert.is(hairpin.status, 200);
  assert.is(hairpin.body?.server, withFip.name);
});

test('6. the API answers only the management side; metadata listeners not from outside', async () => {
  const { lab } = await ready();
  assert.is((await lab.api('GET', '/v1/firewall/rules')).status, 200);
  const v = lab.vm('vm1');
  const fromVm = await lab.http(v.ns, 'GET', lab.apiUrl('/v1/system/interfaces'), { timeoutS: 3 });
  assert.is(fromVm.status, 0, 'a VM must not reach the API');
  const ext = lab.topo.ext?.ns as string;
  const fromExt = await lab.http(ext, 'GET', 'http://172.24.4.3:5000/v1/system/interfaces', { timeoutS: 3 });
  assert.is(fromExt.status, 0);
  // give the external host a route to the tenant network so packets do reach the router
  await lab.must(ext, ['ip', 'route', 'replace', '10.0.0.0/24', 'via', '172.24.4.3']);
  const md = await lab.http(ext, 'GET', 'http://10.0.0.1:9602/latest/meta-data/', { timeoutS: 3 });
  assert.is(md.status, 0, 'metadata listener reachable from outside');
  await lab.must(ext, ['ip', 'route', 'del', '10.0.0.0/24']);
});

test('7. the external BGP peer learns the tenant IPv6 prefixes', async () => {
  const { lab, payload } = await ready();
  const wanted = (payload.networks as Body[])
    .filter((n) => n.network_type === 'internal')
    .flatMap((n) => (n.subnets as Body[]).filter((s) => s.cidr.includes(':') && s.gateway_ip).map((s) => s.cidr));
  assert.ok(wanted.length > 0);
  await lab.waitFor(
    async () => {
      const b = await lab.bgpState();
      return b.state === 'Established' && wanted.every((p) => b.learned.includes(p));
    },
    30_000,
    'BGP routes',
  );
  const b = await lab.bgpState();
  assert.not.ok(
    b.learned.some((p) => p.startsWith('2001:db8::/')),
    'the external prefix is not announced back',
  );
});

test('8. re-pushing the same payload changes nothing', async () => {
  const { lab, payload } = await ready();
  const pids = { dnsmasq: pidOf(lab, 'dnsmasq'), bird6: pidOf(lab, 'bird6') };
  const before = await ruleCounters(lab.topo.routerNs);
  const etc = await files(lab.root);
  const r = await push(lab, payload);
  assert.is(r.status, 200);
  assert.equal({ dnsmasq: pidOf(lab, 'dnsmasq'), bird6: pidOf(lab, 'bird6') }, pids);
  assert.equal(await files(lab.root), etc, 'no file under etc/ rewritten');
  const after = await ruleCounters(lab.topo.routerNs);
  let nonZero = 0;
  for (const [rule, n] of before) {
    assert.ok((after.get(rule) ?? -1) >= n, `counter of ${rule} went from ${n} to ${after.get(rule)}`);
    if (n > 0) nonZero++;
  }
  assert.ok(nonZero > 0, 'traffic so far left some counters above zero');
});

test.run();
