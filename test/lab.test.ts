// End-to-end: the whole router in the network lab, checked with real packets
// the way an operator would. Needs root; builds and removes its own
// namespaces under a prefix unique to this run.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Lab, labDown, labUp, REPO } from '../runtime/lab/lab.ts';
import type { LabVm } from '../runtime/lab/topology.ts';

const run = process.pid.toString(36).slice(-4);
const MAIN = `e${run}`;
const testdata = (name: string) => path.join(REPO, 'test', 'cases', name, 'input.json');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// biome-ignore lint/suspicious/noExplicitAny: payloads are JSON the tests edit freely
type Body = Record<string, any>;
const load = (name: string): Body => JSON.parse(readFileSync(testdata(name), 'utf8'));

/**
 * The main lab's payload: floating-ips.json, with one VM left without a
 * floating IP, a DNS server and a host route on the first tenant subnet.
 */
function mainPayload(): Body {
  const body = load('floating-ips');
  body.floating_ips = body.floating_ips.filter((f: Body) => f.fixed_ip !== '10.0.0.4');
  const subnet = body.networks[2].subnets[0];
  subnet.dns_nameservers = ['10.0.0.53'];
  subnet.host_routes = [{ destination: '192.168.200.0/24', nexthop: '10.0.0.254' }];
  return body;
}

let lab: Lab;
let payload: Body;
let payloadFile: string;

const vm = (name: string): LabVm => {
  const found = lab.topo.vms.find((v) => v.name === name);
  if (!found) throw new Error(`no ${name} in the lab`);
  return found;
};
const json = (text: string) => JSON.parse(text) as Body;
const rt = (argv: string[]) => lab.must(lab.topo.routerNs, argv);

async function routerAddresses(): Promise<Record<string, { addrs: string[]; mtu: number }>> {
  const links = JSON.parse(await rt(['ip', '-j', 'addr', 'show'])) as Body[];
  return Object.fromEntries(
    links.map((l) => [l.ifname, { mtu: l.mtu, addrs: (l.addr_info as Body[]).map((a) => `${a.local}/${a.prefixlen}`) }]),
  );
}

async function fetchFrom(ns: string, url: string, timeoutS = 5) {
  const r = await lab.http(ns, 'GET', url, { timeoutS });
  return { status: r.status, body: r.status === 200 ? json(r.body) : null };
}

const pidOf = (name: string) => Number(readFileSync(path.join(lab.root, 'run', `${name}.pid`), 'utf8').trim());

function mtimes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = statSync(p).mtimeMs;
    }
  };
  walk(dir);
  return out;
}

async function counters(): Promise<Map<string, number>> {
  const text = await rt(['iptables-save', '-c']);
  const out = new Map<string, number>();
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line;
    const m = /^\[(\d+):\d+\] (-A .*)$/.exec(line);
    if (m) out.set(`${table} ${m[2]}`, Number(m[1]));
  }
  return out;
}

async function push(body: Body) {
  const r = await lab.push(JSON.stringify(body));
  return { status: r.status, headers: r.headers, body: r.body ? json(r.body) : null };
}

test.before(async () => {
  await labDown(MAIN);
  payload = mainPayload();
  payloadFile = path.join('/tmp', `appliance-lab-${MAIN}.json`);
  writeFileSync(payloadFile, JSON.stringify(payload));
  lab = await labUp({ payload: payloadFile, prefix: MAIN, push: false, maxVmsPerNetwork: 2 });
});

test.after(async () => {
  await labDown(MAIN);
});

test('1. before any configuration the interfaces are exactly the router NICs, lowercase MACs', async () => {
  const r = await lab.api('GET', '/v1/system/interfaces');
  assert.is(r.status, 200);
  const ifs = json(r.body).interfaces as Body[];
  assert.equal(
    ifs.map((i) => i.ifname),
    lab.topo.nics.map((n) => `ge${n.index}`),
  );
  for (const nic of lab.topo.nics) {
    const mac = (await rt(['cat', `/sys/class/net/${nic.routerIf}/address`])).trim();
    const entry = ifs.find((i) => i.ifname === `ge${nic.index}`);
    assert.is(entry?.lladdr, mac);
    assert.is(entry?.lladdr, entry?.lladdr.toLowerCase());
  }
});

test('2. the payload PUT answers 200 JSON; addresses, MTUs and default routes are on the router', async () => {
  const r = await push(payload);
  assert.is(r.status, 200);
  assert.match(r.headers['content-type'] ?? '', /application\/json/);
  assert.is(r.body?.configuration?.tenant_id, payload.tenant_id);
  const addrs = await routerAddresses();
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
  for (const v of lab.topo.vms) {
    const r = await fetchFrom(v.ns, 'http://169.254.169.254/latest/meta-data/instance-id');
    assert.is(r.status, 200, `${v.name} metadata`);
    assert.is(r.body?.path, '/latest/meta-data/instance-id');
    assert.is(r.body?.headers['x-forwarded-for'], v.ipv4);
    assert.is(r.body?.headers['x-instance-id'], v.deviceId);
    assert.is(r.body?.headers['x-tenant-id'], payload.tenant_id);
    assert.is(r.body?.headers['x-neutron-network-id'], v.networkId);
  }
});

test('5. SNAT, floating IPs inbound and outbound, and hairpin', async () => {
  const ext = lab.topo.ext?.ns as string;
  const withFip = vm('vm1');
  const without = vm('vm2');
  assert.ok(withFip.floating && !without.floating);
  const out1 = await fetchFrom(without.ns, 'http://172.24.4.1:8080/');
  assert.is(out1.body?.remote, '172.24.4.3', 'no floating IP: the router external address');
  const out2 = await fetchFrom(withFip.ns, 'http://172.24.4.1:8080/');
  assert.is(out2.body?.remote, withFip.floating, 'floating IP: seen as it');
  const inbound = await fetchFrom(ext, `http://${withFip.floating}:8080/`);
  assert.is(inbound.body?.server, withFip.name);
  assert.is(inbound.body?.remote, '172.24.4.1');
  const hairpin = await fetchFrom(without.ns, `http://${withFip.floating}:8080/`);
  assert.is(hairpin.status, 200);
  assert.is(hairpin.body?.server, withFip.name);
});

test('6. the API answers only the management side; metadata listeners not from outside', async () => {
  assert.is((await lab.api('GET', '/v1/firewall/rules')).status, 200);
  const v = vm('vm1');
  const fromVm = await lab.http(v.ns, 'GET', lab.apiUrl('/v1/system/interfaces'), { timeoutS: 3 });
  assert.is(fromVm.status, 0, 'a VM must not reach the API');
  const ext = lab.topo.ext?.ns as string;
  const fromExt = await lab.http(ext, 'GET', 'http://172.24.4.3:5000/v1/system/interfaces', { timeoutS: 3 });
  assert.is(fromExt.status, 0);
  // give the external host a route to the tenant network so packets do reach the router
  await lab.must(ext, ['ip', 'route', 'replace', '10.0.0.0/24', 'via', '172.24.4.3']);
  const md = await lab.http(ext, 'GET', 'http://10.0.0.1:9602/latest/meta-data/', { timeoutS: 3 });
  assert.is(md.status, 0, 'metadata listener reachable from outside');
  // while the same route lets the external host reach a VM directly? no: tenant addresses are only NATed
  await lab.must(ext, ['ip', 'route', 'del', '10.0.0.0/24']);
});

test('7. the external BGP peer learns the tenant IPv6 prefixes', async () => {
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
  const pids = { dnsmasq: pidOf('dnsmasq'), bird6: pidOf('bird6') };
  const before = await counters();
  const files = mtimes(path.join(lab.root, 'etc'));
  const r = await push(payload);
  assert.is(r.status, 200);
  assert.equal({ dnsmasq: pidOf('dnsmasq'), bird6: pidOf('bird6') }, pids);
  assert.equal(mtimes(path.join(lab.root, 'etc')), files);
  const after = await counters();
  let nonZero = 0;
  for (const [rule, n] of before) {
    assert.ok((after.get(rule) ?? -1) >= n, `counter of ${rule} went from ${n} to ${after.get(rule)}`);
    if (n > 0) nonZero++;
  }
  assert.ok(nonZero > 0, 'traffic so far left some counters above zero');
});

test('9. a new allocation reloads dnsmasq and gets a lease; removing a floating IP cuts its connections', async () => {
  const dnsmasqPid = pidOf('dnsmasq');
  const next = structuredClone(payload);
  const newVm = { mac: 'fa:16:3e:99:00:01', ip: '10.0.0.77', device: '7b1e0a3c-0d53-4b43-9d7d-000000000077' };
  next.networks[2].allocations.push({
    ip_addresses: { [newVm.ip]: true },
    device_id: newVm.device,
    hostname: '10-0-0-77.local',
    mac_address: newVm.mac,
  });
  assert.is((await push(next)).status, 200);
  assert.is(pidOf('dnsmasq'), dnsmasqPid, 'dnsmasq was reloaded, not restarted');
  const added = await lab.addVm({
    name: 'vm9',
    index: 2,
    networkId: next.networks[2].network_id,
    mac: newVm.mac,
    hostname: '10-0-0-77.local',
    deviceId: newVm.device,
    ipv4: newVm.ip,
    ipv6: [],
    v6Mode: null,
    floating: null,
  });
  await lab.waitFor(async () => (await lab.dhcpState(added, 4)).ip === newVm.ip, 20_000, 'the new VM lease');
  payload = next;

  const v = vm('vm1');
  const client = spawn(
    'ip',
    ['netns', 'exec', v.ns, process.execPath, path.join(REPO, 'runtime/lab/lab-node.mjs'), 'tcp-client', '172.24.4.1', '7000'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  readline.createInterface({ input: client.stdout }).on('line', (l) => lines.push(l));
  try {
    await lab.waitFor(async () => lines.includes('connected'), 5000, 'the TCP connection');
    client.stdin.write('one\n');
    await lab.waitFor(async () => lines.some((l) => l.endsWith(' one')), 5000, 'the echo');
    assert.ok(lines.includes(`${v.floating} one`), lines.join('|'));
    const without = structuredClone(payload);
    without.floating_ips = without.floating_ips.filter((f: Body) => f.floating_ip !== v.floating);
    assert.is((await push(without)).status, 200);
    payload = without;
    client.stdin.write('two\n');
    await sleep(3000);
    assert.not.ok(
      lines.some((l) => l.endsWith(' two') && l.startsWith(`${v.floating} `)),
      'the old connection still runs through the removed floating IP',
    );
    assert.ok(lines.some((l) => l.startsWith('error') || l === 'closed') || !lines.some((l) => l.endsWith(' two')), lines.join('|'));
  } finally {
    client.kill('SIGKILL');
  }
  const fresh = await fetchFrom(v.ns, 'http://172.24.4.1:8080/');
  assert.is(fresh.body?.remote, '172.24.4.3', 'falls back to the router address');
  const conntrack = await lab.exec(lab.topo.routerNs, ['conntrack', '-L', '-q', v.floating as string]);
  assert.not.match(conntrack.stdout, 'src=', 'no conntrack entry through the removed floating IP');
});

test('10. a NIC hot-plugged into the router appears within a second', async () => {
  const before = json((await lab.api('GET', '/v1/system/interfaces')).body).interfaces as Body[];
  await lab.host.run([
    'ip',
    'link',
    'add',
    'hot0',
    'netns',
    lab.topo.routerNs,
    'address',
    'FA:16:3E:AB:CD:EF',
    'type',
    'veth',
    'peer',
    'name',
    'hotp',
    'netns',
    lab.topo.switchNs,
  ]);
  const started = Date.now();
  let found: Body | undefined;
  while (Date.now() - started < 1000 && !found) {
    const ifs = json((await lab.api('GET', '/v1/system/interfaces')).body).interfaces as Body[];
    found = ifs.find((i) => i.lladdr === 'fa:16:3e:ab:cd:ef');
  }
  assert.ok(found, 'the hot-plugged NIC is listed');
  assert.is(found?.ifname, `ge${before.length}`);
  await lab.exec(lab.topo.routerNs, ['ip', 'link', 'del', 'hot0']);
});

test('11. a push failing in the middle leaves the previous configuration working and names the step', async () => {
  const v = vm('vm2');
  const next = structuredClone(payload);
  next.floating_ips.push({ floating_ip: '172.24.4.99', fixed_ip: v.ipv4 });
  writeFileSync(path.join(lab.root, 'inject-failure'), 'iptables-restore v4');
  const r = await push(next);
  assert.is(r.status, 500);
  assert.is(r.body?.step?.step, 'iptables-restore v4');
  assert.match(r.body?.error, 'iptables-restore v4');
  assert.is(r.body?.rolled_back, true);
  const addrs = await routerAddresses();
  assert.not.ok(
    addrs.eth1?.addrs.some((a) => a.startsWith('172.24.4.99/')),
    'the new floating IP was rolled back',
  );
  assert.not.match(await rt(['iptables-save', '-t', 'nat']), '172.24.4.99');
  const config = json((await lab.api('GET', '/v1/system/config')).body);
  assert.equal(config.configuration.floating_ips, payload.floating_ips);
  const out = await fetchFrom(v.ns, 'http://172.24.4.1:8080/');
  assert.is(out.body?.remote, '172.24.4.3');
  const md = await fetchFrom(v.ns, 'http://169.254.169.254/latest/meta-data/instance-id');
  assert.is(md.status, 200);
});

test('12. SIGKILL of the agent: VMs keep working, a restart restores and converges', async () => {
  const v = vm('vm1');
  const daemons = { dnsmasq: pidOf('dnsmasq'), bird6: pidOf('bird6') };
  await lab.killAgent('SIGKILL');
  assert.is((await fetchFrom(v.ns, 'http://172.24.4.1:8080/')).status, 200, 'forwarding without the agent');
  // drift while the agent is down: an address and the default route disappear
  await rt(['ip', 'addr', 'del', '10.0.1.1/24', 'dev', 'eth3']);
  await rt(['ip', 'route', 'del', 'default']);
  await lab.startAgent();
  await lab.waitFor(async () => (await routerAddresses()).eth3?.addrs.includes('10.0.1.1/24') ?? false, 15_000, 'convergence');
  assert.match(await rt(['ip', '-4', 'route', 'show', 'default']), 'default via');
  assert.equal({ dnsmasq: pidOf('dnsmasq'), bird6: pidOf('bird6') }, daemons, 'daemons adopted, not restarted');
  const config = json((await lab.api('GET', '/v1/system/config')).body);
  assert.equal(config.configuration, payload);
  assert.is((await fetchFrom(v.ns, 'http://172.24.4.1:8080/')).status, 200);
});

test('13a. the design doc wrapped body applies like the flat one', async () => {
  const r = await push({ configuration: payload });
  assert.is(r.status, 200);
  assert.equal(r.body?.configuration, payload);
});

test('13b. the May-2015 payload gives a working router', async () => {
  const prefix = `l${run}`;
  try {
    const legacy = await labUp({ payload: testdata('legacy-2015-seed'), prefix, maxVmsPerNetwork: 1 });
    const v = legacy.topo.vms[0] as LabVm;
    await legacy.waitFor(async () => (await legacy.dhcpState(v, 4)).ip === v.ipv4, 20_000, 'the lease');
    const out = await legacy.http(v.ns, 'GET', 'http://172.16.77.1:8080/', { timeoutS: 5 });
    assert.is(json(out.body).remote, v.floating ?? '172.16.77.3');
  } finally {
    await labDown(prefix);
  }
});

test('14a. the IPv6-only payload: SLAAC and DHCPv6 VMs reach the outside', async () => {
  const prefix = `s${run}`;
  try {
    const six = await labUp({ payload: testdata('ipv6-only'), prefix, maxVmsPerNetwork: 1 });
    for (const v of six.topo.vms) {
      const want = v.v6Mode === 'stateful' ? v.ipv6[0] : v.ipv6.find((a) => a.includes(':'));
      await six.waitFor(async () => (await six.vmAddresses(v)).includes(want as string), 20_000, `${v.name} ${v.v6Mode} address`);
      if (v.v6Mode === 'stateful') assert.is((await six.dhcpState(v, 6)).ip6, want);
      const out = await six.http(v.ns, 'GET', 'http://[2001:db8::2]:8080/', { timeoutS: 5 });
      assert.is(out.status, 200, `${v.name} reaches the outside`);
    }
    assert.ok(six.topo.vms.some((v) => v.v6Mode === 'stateful') && six.topo.vms.some((v) => v.v6Mode === 'slaac'));
  } finally {
    await labDown(prefix);
  }
});

test('14b. the no-external payload: tenants get leases and reach each other', async () => {
  const prefix = `n${run}`;
  try {
    const internal = await labUp({ payload: testdata('no-external'), prefix, maxVmsPerNetwork: 1 });
    const [a, b] = internal.topo.vms as [LabVm, LabVm];
    for (const v of [a, b]) await internal.waitFor(async () => (await internal.dhcpState(v, 4)).ip === v.ipv4, 20_000, `${v.name} lease`);
    const r = await internal.http(a.ns, 'GET', `http://${b.ipv4}:8080/`, { timeoutS: 5 });
    assert.is(json(r.body).remote, a.ipv4, 'east-west traffic is not NATed');
  } finally {
    await labDown(prefix);
  }
});

test('14d. a DHCP-enabled SLAAC subnet: EUI-64 address by SLAAC, DNS by stateless DHCPv6', async () => {
  const prefix = `d${run}`;
  try {
    const sl = await labUp({ payload: testdata('stateless-v6'), prefix, maxVmsPerNetwork: 1 });
    const v = sl.topo.vms[0] as LabVm;
    assert.is(v.v6Mode, 'stateless');
    const slaac = v.ipv6[0] as string;
    await sl.waitFor(async () => (await sl.vmAddresses(v)).includes(slaac), 20_000, 'the SLAAC address');
    await sl.waitFor(async () => (await sl.dhcpState(v, 6)).dns6 === '2001:db8::53', 20_000, 'the DHCPv6 information reply');
    assert.is((await sl.dhcpState(v, 6)).ip6, '', 'no address from DHCPv6');
  } finally {
    await labDown(prefix);
  }
});

test('14c. the large-scale payload (22 networks, 2000 allocations, 200 floating IPs) applies, and its re-push is a no-op', async () => {
  const prefix = `x${run}`;
  try {
    const big = await labUp({ payload: testdata('large-scale'), prefix, maxVmsPerNetwork: 0 });
    const body = load('large-scale');
    const links = JSON.parse(await big.must(big.topo.routerNs, ['ip', '-j', 'addr', 'show'])) as Body[];
    const on = (dev: string) => ((links.find((l) => l.ifname === dev)?.addr_info ?? []) as Body[]).map((a) => a.local as string);
    assert.is(on('eth1').filter((a) => a.startsWith('172.24.')).length, 1 + body.floating_ips.length);
    assert.ok(on('eth21').includes(body.networks[21].interface.addresses[0].split('/')[0]));
    const hosts = readFileSync(path.join(big.root, 'etc', 'dnsmasq', 'dhcp-hosts'), 'utf8');
    assert.ok(hosts.split('\n').length > 1900, 'every VM has its reservation');
    const again = await big.push(JSON.stringify(body));
    assert.is(again.status, 200);
    const lastApply = readFileSync(path.join(big.topo.dir, 'agent.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"event":"apply"'))
      .at(-1) as string;
    assert.equal(JSON.parse(lastApply).plan, {});
  } finally {
    await labDown(prefix);
  }
});

test.run();
