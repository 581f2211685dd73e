// End-to-end, second part: changes to a configured router in the network lab
// (a new VM, a removed floating IP, a hot-plugged NIC, a push the kernel
// refuses, the agent killed), checked with real packets. Needs root.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import * as assert from 'uvu/assert';
import { ipBatch, sleep, veth } from '../../lab/netns.ts';
import { links } from '../../lab/router-state.ts';
import { lazy } from '../../lab/scratch.ts';
import { tcpClientArgv } from '../../lab/services.ts';
import { rootSuite } from '../../lab/suite.ts';
import { type Body, fetchFrom, json, type MainLab, mainLab, pidOf, push } from './router-lab.ts';

const test = rootSuite('router lab: changing a configured router');
let main: MainLab | null = null;
const ready = lazy(async () => {
  main = await mainLab(true);
  return main;
});
test.after(async () => {
  await main?.remove();
});

test('9. a new allocation reloads dnsmasq and gets a lease; removing a floating IP cuts its connections', async () => {
  const m = await ready();
  const { lab } = m;
  const dnsmasqPid = pidOf(lab, 'dnsmasq');
  const next = structuredClone(m.payload);
  const newVm = { mac: 'fa:16:3e:99:00:01', ip: '10.0.0.77', device: '7b1e0a3c-0d53-4b43-9d7d-000000000077' };
  next.networks[2].allocations.push({
    ip_addresses: { [newVm.ip]: true },
    device_id: newVm.device,
    hostname: '10-0-0-77.local',
    mac_address: newVm.mac,
  });
  assert.is((await push(lab, next)).status, 200);
  assert.is(pidOf(lab, 'dnsmasq'), dnsmasqPid, 'dnsmasq was reloaded, not restarted');
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
  m.payload = next;

  const v = lab.vm('vm1');
  const [cmd, ...args] = tcpClientArgv(v.ns, '172.24.4.1');
  const client = spawn(cmd as string, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  readline.createInterface({ input: client.stdout }).on('line', (l) => lines.push(l));
  try {
    await lab.waitFor(async () => lines.includes('connected'), 5000, 'the TCP connection');
    client.stdin.write('one\n');
    await lab.waitFor(async () => lines.some((l) => l.endsWith(' one')), 5000, 'the echo');
    assert.ok(lines.includes(`${v.floating} one`), lines.join('|'));
    const without = structuredClone(m.payload);
    without.floating_ips = without.floating_ips.filter((f: Body) => f.floating_ip !== v.floating);
    assert.is((await push(lab, without)).status, 200);
    m.payload = without;
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
  const fresh = await fetchFrom(lab, v.ns, 'http://172.24.4.1:8080/');
  assert.is(fresh.body?.remote, '172.24.4.3', 'falls back to the router address');
  const conntrack = await lab.exec(lab.topo.routerNs, ['conntrack', '-L', '-q', v.floating as string]);
  assert.not.match(conntrack.stdout, 'src=', 'no conntrack entry through the removed floating IP');
});

test('10. a NIC hot-plugged into the router appears within a second', async () => {
  const { lab } = await ready();
  const before = json((await lab.api('GET', '/v1/system/interfaces')).body).interfaces as Body[];
  await veth({ ns: lab.topo.routerNs, ifname: 'hot0', mac: 'FA:16:3E:AB:CD:EF' }, { ns: lab.topo.switchNs, ifname: 'hotp' });
  const started = Date.now();
  let found: Body | undefined;
  while (Date.now() - started < 1000 && !found) {
    const ifs = json((await lab.api('GET', '/v1/system/interfaces')).body).interfaces as Body[];
    found = ifs.find((i) => i.lladdr === 'fa:16:3e:ab:cd:ef');
  }
  assert.ok(found, 'the hot-plugged NIC is listed');
  assert.is(found?.ifname, `ge${before.length}`);
  await ipBatch(lab.topo.routerNs, ['link del hot0']);
});

test('11. a push the kernel refuses in the middle leaves the previous configuration working and names the step', async () => {
  const m = await ready();
  const { lab } = m;
  const v = lab.vm('vm2');
  const next = structuredClone(m.payload);
  next.floating_ips.push({ floating_ip: '172.24.4.99', fixed_ip: v.ipv4 });
  // valid for the schema, refused by the kernel: a next hop that is the subnet's broadcast address
  next.networks[2].subnets[0].host_routes.push({ destination: '192.168.201.0/24', nexthop: '10.0.0.255' });
  const r = await push(lab, next);
  assert.is(r.status, 500);
  assert.is(r.body?.step?.step, 'run links and addresses + routes');
  assert.match(r.body?.error, 'run links and addresses + routes');
  assert.match(r.body?.step?.stderr, 'invalid gateway');
  assert.is(r.body?.rolled_back, true);
  const addrs = await links(lab.topo.routerNs);
  assert.not.ok(
    addrs.eth1?.addrs.some((a) => a.startsWith('172.24.4.99/')),
    'the new floating IP was rolled back',
  );
  assert.not.match(await lab.must(lab.topo.routerNs, ['ip', '-4', 'route']), '192.168.201.0');
  assert.not.match(await lab.must(lab.topo.routerNs, ['iptables-save', '-t', 'nat']), '172.24.4.99');
  const config = json((await lab.api('GET', '/v1/system/config')).body);
  assert.equal(config.configuration.floating_ips, m.payload.floating_ips);
  const out = await fetchFrom(lab, v.ns, 'http://172.24.4.1:8080/');
  assert.is(out.body?.remote, '172.24.4.3');
  const md = await fetchFrom(lab, v.ns, 'http://169.254.169.254/latest/meta-data/instance-id');
  assert.is(md.status, 200);
});

test('12. SIGKILL of the agent: VMs keep working, a restart restores and converges', async () => {
  const m = await ready();
  const { lab } = m;
  const rt = (argv: string[]) => lab.must(lab.topo.routerNs, argv);
  const v = lab.vm('vm1');
  const daemons = { dnsmasq: pidOf(lab, 'dnsmasq'), bird6: pidOf(lab, 'bird6') };
  await lab.killAgent('SIGKILL');
  assert.is((await fetchFrom(lab, v.ns, 'http://172.24.4.1:8080/')).status, 200, 'forwarding without the agent');
  // drift while the agent is down: an address and the default route disappear
  await rt(['ip', 'addr', 'del', '10.0.1.1/24', 'dev', 'eth3']);
  await rt(['ip', 'route', 'del', 'default']);
  await lab.startAgent();
  await lab.waitFor(async () => (await links(lab.topo.routerNs)).eth3?.addrs.includes('10.0.1.1/24') ?? false, 15_000, 'convergence');
  assert.match(await rt(['ip', '-4', 'route', 'show', 'default']), 'default via');
  assert.equal({ dnsmasq: pidOf(lab, 'dnsmasq'), bird6: pidOf(lab, 'bird6') }, daemons, 'daemons adopted, not restarted');
  const config = json((await lab.api('GET', '/v1/system/config')).body);
  assert.equal(config.configuration, m.payload);
  assert.is((await fetchFrom(lab, v.ns, 'http://172.24.4.1:8080/')).status, 200);
});

test('13a. the design doc wrapped body applies like the flat one', async () => {
  const m = await ready();
  const r = await push(m.lab, { configuration: m.payload });
  assert.is(r.status, 200);
  assert.equal(r.body?.configuration, m.payload);
});

test.run();
