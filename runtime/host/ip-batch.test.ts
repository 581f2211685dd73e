// The long-lived fact reader against one `ip -j` per query, in a namespace of
// the test's own: the same facts, fresh after the host changes behind the
// agent's back, no process per query, and a new reader when ip goes away.
import { spawnSync } from 'node:child_process';
import * as assert from 'uvu/assert';
import { rootSuite } from '../../lab/suite.ts';
import { IpBatch } from './ip-batch.ts';
import { type IpLink, type IpRoute, parseLinks, parseRoutes } from './ip-json.ts';
import { RealHost } from './real.ts';

const test = rootSuite('ip-batch');
const NS = `pfib${process.pid.toString(36)}`;

function sh(argv: string[]): string {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const inNs = (...args: string[]) => sh(['ip', '-n', NS, ...args]);
const ipJson = <T>(...args: string[]) => JSON.parse(inNs('-j', ...args) || '[]') as T[];

test.before(() => {
  spawnSync('ip', ['netns', 'del', NS]);
  sh(['ip', 'netns', 'add', NS]);
  inNs('link', 'set', 'lo', 'up');
  inNs('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
  for (const l of ['eth0', 'eth1']) inNs('link', 'set', l, 'up');
  inNs('address', 'add', '10.77.0.1/24', 'dev', 'eth0');
  inNs('address', 'add', 'fd77::1/64', 'dev', 'eth0', 'nodad');
  inNs('route', 'add', 'default', 'via', '10.77.0.254');
  inNs('-6', 'route', 'add', 'fd78::/64', 'via', 'fd77::2');
});

test.after(() => {
  spawnSync('ip', ['netns', 'del', NS]);
});

test('links and routes from the long-lived reader are those of one ip -j per query', async () => {
  const host = new RealHost(['ip', 'netns', 'exec', NS]);
  try {
    assert.equal(await host.links(), parseLinks(ipJson<IpLink>('-d', 'address', 'show')));
    const routes = [...parseRoutes(ipJson<IpRoute>('-4', 'route', 'show', 'table', 'main'), 4)];
    routes.push(...parseRoutes(ipJson<IpRoute>('-6', 'route', 'show', 'table', 'main'), 6));
    assert.equal(await host.routes(), routes);
    assert.ok(routes.some((r) => r.dst === 'fd78::/64' && r.gateway === 'fd77::2'));
    assert.ok(routes.some((r) => r.dst === 'default' && r.gateway === '10.77.0.254'));
  } finally {
    host.close();
  }
});

test('a change made behind its back is in the next answer, and asking again starts no process', async () => {
  const host = new RealHost(['ip', 'netns', 'exec', NS]);
  try {
    await Promise.all([host.links(), host.routes()]);
    const spawns = host.spawns;
    inNs('address', 'add', '10.77.1.1/24', 'dev', 'eth1');
    inNs('link', 'set', 'eth1', 'mtu', '1400');
    inNs('route', 'add', '10.99.0.0/16', 'via', '10.77.1.2');
    const eth1 = (await host.links()).find((l) => l.ifname === 'eth1');
    assert.is(eth1?.mtu, 1400);
    assert.ok(eth1?.addresses.some((a) => a.address === '10.77.1.1'));
    assert.ok((await host.routes()).some((r) => r.dst === '10.99.0.0/16'));
    inNs('address', 'del', '10.77.1.1/24', 'dev', 'eth1');
    assert.not.ok((await host.links()).find((l) => l.ifname === 'eth1')?.addresses.some((a) => a.address === '10.77.1.1'));
    assert.is(host.spawns, spawns);
  } finally {
    host.close();
  }
});

test('many callers at once share answers and all get the facts', async () => {
  const host = new RealHost(['ip', 'netns', 'exec', NS]);
  try {
    const all = await Promise.all(Array.from({ length: 50 }, () => host.links()));
    for (const links of all) assert.equal(links, all[0]);
    // one process for the reader (and none per caller)
    assert.is(host.spawns, 1);
  } finally {
    host.close();
  }
});

test('a reader whose ip was killed is replaced; a failing command is answered by an ip of its own', async () => {
  const reader = new IpBatch(['ip', '-n', NS, '-j', '-force', '-batch', '-']);
  try {
    assert.ok((await reader.query('link show dev eth0')).includes('"eth0"'));
    const pids = sh(['pgrep', '-f', `ip -n ${NS} -j -force -batch -`])
      .trim()
      .split('\n');
    for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok((await reader.query('link show dev eth0')).includes('"eth0"'));
    await reader.query('link show dev nosuchlink').then(
      () => assert.unreachable('a failed command must reject'),
      (err: Error) => assert.match(err.message, /Command failed|does not exist/),
    );
    assert.ok((await reader.query('link show dev eth1')).includes('"eth1"'));
    assert.ok(reader.starts >= 2);
  } finally {
    reader.close();
  }
});

test.run();
