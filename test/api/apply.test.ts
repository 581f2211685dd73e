// Applying configurations through the whole agent over a fake host: the host
// state after a sequence of pushes, stated as text; idempotence; rollback;
// checks; a dry run after a failure showing the plan the next apply runs;
// coalesced PUTs; a restarted agent converging from its saved state.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeHost, fakeNic } from '../fake-host/fake-host.ts';
import { makeKit, payload, ROOT } from './kit.ts';

const SEED_HOST = `hostname ak-d22b149cee9b4eac8349c517eda00b89
link eth0 up mtu 1450
  address fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1/64
link eth1 up mtu 1500
  address 172.24.4.3/24
  address 2001:db8::3/64
link eth2 up mtu 1450
  address 10.0.0.1/24
  address fdc3:6ee6:d81f:ede::1/64
route v4 default via 172.24.4.1 dev eth1 proto static
route v6 default via 2001:db8::2 dev eth1 proto static
`;

/** The host without what differs between equivalent histories (daemon pids, the state file's time). */
const shape = (host: FakeHost) =>
  host
    .dump(ROOT)
    .split('\n')
    .filter((l) => !l.startsWith('file state/') && !l.startsWith('file run/'))
    .map((l) => l.replace(/ pid \d+$/, ''))
    .join('\n');

test('the seed payload leaves the host with these links, addresses and routes, daemons and firewall', async () => {
  const k = await makeKit();
  assert.is((await k.put(payload('seed-example'))).status, 200);
  const dump = k.host.dump(ROOT);
  assert.ok(dump.startsWith(SEED_HOST), dump);
  assert.match(dump, /^firewall v4 [0-9a-f]{8}$/m);
  assert.match(dump, /^daemon dnsmasq pid \d+$/m);
  assert.match(dump, /^daemon bird6 pid \d+$/m);
  assert.is(k.metadata.tables.at(-1)?.listeners[0]?.listen_address, '10.0.0.1');
});

test('an identical re-push runs no command, writes nothing (not even the state file), restarts nothing', async () => {
  const k = await makeKit();
  await k.put(payload('seed-example'));
  const before = k.host.dump(ROOT);
  const commands = k.host.commands.length;
  const spawns = k.host.spawns;
  const writes = k.host.writes.length;
  const tables = k.metadata.tables.length;
  assert.is((await k.put(payload('seed-example'))).status, 200);
  assert.is(k.host.commands.length, commands, k.host.commands.slice(commands).join('\n'));
  assert.is(k.host.spawns, spawns);
  assert.equal(k.host.writes.slice(writes), []);
  assert.is(k.metadata.tables.length, tables);
  assert.is(k.host.dump(ROOT), before);
});

test('an identical re-push takes the body parsed for the last render; a changed body, or the same after a change, is parsed', async () => {
  const k = await makeKit();
  const body = payload('seed-example');
  const text = JSON.stringify(body);
  const other = JSON.stringify({ ...body, hostname: 'router-b' });
  const parse = JSON.parse;
  const parsed = new Map<string, number>();
  JSON.parse = ((t: string, reviver?: Parameters<typeof parse>[1]) => {
    if (t === text || t === other) parsed.set(t, (parsed.get(t) ?? 0) + 1);
    return parse(t, reviver);
  }) as typeof JSON.parse;
  const put = async (raw: string) => (await k.fetch('PUT', '/v1/system/config', { raw })).status;
  try {
    assert.is(await put(text), 200);
    assert.is(await put(text), 200);
    assert.is(parsed.get(text), 1, 'the re-push was parsed again');
    assert.is(await put(other), 200);
    assert.is(await put(text), 200);
    assert.equal([parsed.get(other), parsed.get(text)], [1, 2]);
  } finally {
    JSON.parse = parse;
  }
  assert.equal(k.agent.parsed(text), body);
  assert.is(k.agent.parsed(other), undefined);
  assert.is(k.agent.parsed(`${text} `), undefined);
  assert.equal((await (await k.fetch('GET', '/v1/system/config')).json()).configuration, body);
});

test('a re-push after the state file was removed writes it again, and nothing else', async () => {
  const k = await makeKit();
  await k.put(payload('seed-example'));
  const state = [...k.host.files.keys()].find((f) => f.includes('/state/')) as string;
  assert.ok(state);
  k.host.files.delete(state);
  const writes = k.host.writes.length;
  assert.is((await k.put(payload('seed-example'))).status, 200);
  assert.equal(k.host.writes.slice(writes), [state]);
  assert.match(k.host.files.get(state)?.content ?? '', /"configuration":\{/);
});

test('pushing A then B leaves the host as pushing B alone (addresses, routes, files, daemons)', async () => {
  for (const [a, b] of [
    ['floating-ips', 'seed-example'],
    ['seed-example', 'no-external'],
    ['multi-subnet-two-ports', 'ipv6-only'],
  ]) {
    const nics = () => new FakeHost([2, 3, 4, 5].map((i) => fakeNic(i, `eth${i - 2}`)));
    const ab = await makeKit({ host: nics() });
    assert.is((await ab.put(payload(a as string))).status, 200, a);
    assert.is((await ab.put(payload(b as string))).status, 200, b);
    const onlyB = await makeKit({ host: nics() });
    assert.is((await onlyB.put(payload(b as string))).status, 200, b);
    // neighbour entries are the kernel's cache (replaced when an address moves, not configuration);
    // a NIC B does not name keeps its link state, and a network without an MTU keeps the link's:
    // the agent manages neither; what it put on them goes
    const sysctlsOf = (h: FakeHost) =>
      shape(h)
        .split('\n')
        .filter((l) => !l.startsWith('sysctl') && !l.startsWith('neighbour'))
        .map((l) => l.replace(/^link eth3 .*$/, 'link eth3').replace(/^(link \S+ \S+) mtu \d+$/, '$1'));
    assert.equal(sysctlsOf(ab.host), sysctlsOf(onlyB.host), `${a} then ${b}`);
  }
});

test('a failing step rolls back to the previous configuration and answers 500 naming it', async () => {
  const k = await makeKit();
  await k.put(payload('seed-example'));
  const before = shape(k.host);
  const variant = payload('seed-example');
  variant.networks[1].interface.addresses = ['172.24.4.9/24', '2001:db8::9/64'];
  k.host.failOn('route replace', { stderr: 'RTNETLINK answers: Network is unreachable' });
  const r = await k.put(variant);
  assert.is(r.status, 500);
  const body = await r.json();
  assert.is(body.step.step, 'run links and addresses + routes');
  assert.equal(body.step.argv, ['ip', '-batch', '-']);
  assert.match(body.step.stderr, /Network is unreachable/);
  assert.is(body.rolled_back, true);
  assert.is(shape(k.host), before);
  assert.equal((await (await k.fetch('GET', '/v1/system/config')).json()).configuration, payload('seed-example'));
});

test('a failing firewall restore rolls back too; the first configuration failing records nothing', async () => {
  const k = await makeKit();
  k.host.failOn('iptables-restore -w 5', { stderr: 'iptables-restore: line 9 failed' });
  const r = await k.put(payload('seed-example'));
  assert.is(r.status, 500);
  const body = await r.json();
  assert.is(body.step.step, 'run firewall v4');
  assert.is(body.rolled_back, false);
  assert.equal(await (await k.fetch('GET', '/v1/system/config')).json(), { configuration: {} });
  assert.is(k.host.files.has(`${ROOT}/state/config.json`), false);
  // the files were written before the failure: the retry must still load both firewalls
  assert.is((await k.put(payload('seed-example'))).status, 200);
  assert.is(k.host.firewall[4], k.host.files.get(`${ROOT}/etc/iptables/rules.v4`)?.content);
  assert.is(k.host.firewall[6], k.host.files.get(`${ROOT}/etc/iptables/rules.v6`)?.content);
});

test('a file that fails its daemon\u2019s check applies nothing and names the checker', async () => {
  const k = await makeKit();
  const before = k.host.dump(ROOT);
  k.host.failOn('dnsmasq --test', { stderr: 'dnsmasq: bad option at line 3' });
  const r = await k.put(payload('seed-example'));
  assert.is(r.status, 500);
  const body = await r.json();
  assert.equal(
    body.checks.map((c: { checker: string }) => c.checker),
    ['dnsmasq'],
  );
  assert.is(k.host.dump(ROOT), before);
});

test('a dry run after a failed apply and rollback shows exactly the plan the next apply runs (forced reloads included)', async () => {
  const k = await makeKit();
  await k.put(payload('seed-example'));
  const variant = payload('seed-example');
  variant.networks[1].interface.addresses = ['172.24.4.9/24', '2001:db8::9/64'];
  // the rollback fails too: the host may now differ from every file the agent wrote
  k.host.failOn('route replace', { times: 2 });
  assert.is((await k.put(variant)).status, 500);
  const dry = await k.fetch('PUT', '/v1/system/config?dry_run=1', { body: variant, headers: { accept: 'text/plain' } });
  const planText = await dry.text();
  // after a failure the firewall and daemons are reloaded even though their files match
  assert.match(planText, /^firewall +run firewall v4: iptables-restore -w 5 \/srv\/appliance\/etc\/iptables\/rules\.v4$/m);
  assert.match(planText, /^services +signal dnsmasq SIGHUP$/m);
  const from = k.host.commands.length;
  assert.is((await k.put(variant)).status, 200);
  const ran = k.host.commands.slice(from).filter((c) => !c.includes('--test') && !c.startsWith('bird6 -p') && !c.startsWith('arping'));
  const planned = planText
    .split('\n')
    .filter((l) => / run [^:]+: /.test(l))
    .map((l) => l.replace(/^\S+ +run [^:]+: /, '').replace(/ <<< .*$/, ''));
  // the same commands; the firewall loads alongside the addresses and routes, so their order may mix
  assert.equal([...ran].sort(), [...planned].sort());
});

test('the firewall loads while the addresses and routes change; the conntrack flush and the daemons wait for both', async () => {
  const k = await makeKit();
  let release = () => {};
  k.host.hold('ip -batch -', new Promise<void>((r) => (release = r)));
  const put = k.put(payload('seed-example'));
  const loaded = () => k.host.commands.filter((c) => /^ip6?tables-restore -w/.test(c)).length;
  for (let i = 0; i < 400 && loaded() < 2; i++) await new Promise((r) => setTimeout(r, 5));
  assert.is(loaded(), 2, 'both families loaded while the links and addresses were still being changed');
  assert.not.ok(
    k.host.commands.some((c) => c.startsWith('ip -batch')),
    'the addresses had not been applied yet',
  );
  assert.is([...k.host.processes.values()].filter((p) => p.alive).length, 0, 'no daemon started before the addresses');
  release();
  assert.is((await put).status, 200);
  assert.ok([...k.host.processes.values()].some((p) => p.alive && p.argv[0] === 'dnsmasq'));
});

test('PUTs waiting together: only the newest is applied; a superseded caller is told so', async () => {
  const k = await makeKit();
  let release = () => {};
  k.host.hold('iptables-restore -w 5', new Promise<void>((r) => (release = r)));
  const first = k.put(payload('seed-example'));
  await new Promise((r) => setTimeout(r, 20));
  const middleBody = payload('seed-example');
  middleBody.hostname = 'middle';
  const lastBody = payload('seed-example');
  lastBody.hostname = 'newest';
  const middle = k.put(middleBody);
  const last = k.put(lastBody);
  release();
  const [a, b, c] = await Promise.all([first, middle, last]);
  assert.is(a.status, 200);
  assert.is(a.headers.get('x-appliance-superseded'), null);
  assert.is(b.status, 200);
  assert.is(b.headers.get('x-appliance-superseded'), 'true');
  const superseded = await b.json();
  assert.is(superseded.configuration.hostname, 'newest');
  assert.match(superseded.notices[0].message, /newer configuration/);
  assert.is(c.headers.get('x-appliance-superseded'), null);
  assert.is(k.host.name, 'newest');
  assert.ok(k.log.records.some((r) => r.event === 'apply.superseded'));
});

test('a restarted agent adopts its daemons and converges to the saved configuration without a PUT', async () => {
  const k = await makeKit();
  await k.put(payload('seed-example'));
  const pids = k.host.dump(ROOT).match(/^daemon .*$/gm);
  const again = await makeKit({ host: k.host });
  assert.equal(await (await again.fetch('GET', '/v1/system/config')).json(), { configuration: payload('seed-example') });
  assert.equal(k.host.dump(ROOT).match(/^daemon .*$/gm), pids, 'the same daemons, adopted');
  assert.ok(again.log.records.some((r) => r.event === 'daemon.adopted'));
  assert.is(again.metadata.tables.length, 1, 'metadata listeners restored');
});

test('a NIC the configuration no longer names loses the addresses the agent put there, and only those', async () => {
  const k = await makeKit();
  await k.put(payload('seed-example'));
  const eth2 = k.host.links_.find((l) => l.ifname === 'eth2');
  eth2?.addresses.push({ address: '192.0.2.77', prefixLength: 24, family: 4, scope: 'global', permanent: true });
  const fewer = payload('seed-example');
  fewer.networks = fewer.networks.slice(0, 2);
  assert.is((await k.put(fewer)).status, 200);
  assert.equal(
    k.host.links_.find((l) => l.ifname === 'eth2')?.addresses.map((a) => a.address),
    ['192.0.2.77'],
  );
});

test('the kept configuration answers GET before convergence has run', async () => {
  const k = await makeKit();
  await k.put(payload('seed-example'));
  const again = await makeKit({ host: k.host, start: false });
  await again.agent.restore();
  assert.equal(await (await again.fetch('GET', '/v1/system/config')).json(), { configuration: payload('seed-example') });
});

test.run();
