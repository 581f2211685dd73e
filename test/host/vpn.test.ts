// Site-to-site IPsec end to end in the lab (test/cases/vpn-site): the remote
// sites are namespaces at the peers' addresses running strongSwan as the
// mirrored peer, with a host behind each. A VM reaches the remote host through
// the tunnel and the external link carries only ESP-in-UDP for it; internet
// traffic is still SNATed, tunnel traffic not; a changed key re-keys only its
// connection; a wrong key leaves it down with a log line; removing the section
// tears the tunnels down; no key in GET, logs or world-readable files.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import type { Lab } from '../../lab/lab.ts';
import { testdataPayload } from '../../lab/paths.ts';
import { removeLab, scratchLab, uniquePrefix } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { VM_HTTP_PORT } from '../../lab/topology.ts';
import { type LabVpnSite, siteSas } from '../../lab/vpn.ts';
import { type Body, fetchFrom, json, push } from './router-lab.ts';

const test = rootSuite('VPN: site-to-site IPsec with remote strongSwan sites');
const body = (): Body => JSON.parse(readFileSync(testdataPayload('vpn-site'), 'utf8'));
const KEYS = body().vpn.ipsec[0].ipsec_connections.map((c: Body) => c.psk as string);
let lab: Lab | null = null;

const ready = async (): Promise<Lab> => {
  if (lab) return lab;
  lab = await scratchLab({
    prefix: uniquePrefix(),
    payload: testdataPayload('vpn-site'),
    push: true,
    dhcp: true,
    services: true,
    maxVmsPerNetwork: 1,
  });
  const vm = lab.topo.vms[0];
  if (vm) await lab.waitFor(async () => !!(await lab?.dhcpState(vm, 4))?.ip, 20_000, 'the VM lease');
  return lab;
};
test.after(async () => {
  if (lab) await removeLab(lab);
});

type State = { id: string; state: string; since_s: number | null; changed_at: string | null; last_error: string | null };
async function states(l: Lab): Promise<Record<string, State>> {
  const r = await l.api('GET', '/v1/system/vpn');
  assert.is(r.status, 200, r.body);
  return Object.fromEntries((json(r.body).connections as State[]).map((c) => [c.id.slice(0, 4), c]));
}
const waitState = (l: Lab, id: string, want: string, ms = 20_000) =>
  l.waitFor(async () => (await states(l))[id]?.state === want, ms, `connection ${id} ${want}`);
const site = (l: Lab, n: number) => l.topo.vpn?.[n] as LabVpnSite;
/** the IKE SA's unique id on the site: a new one means the tunnel was negotiated again */
const ikeId = async (s: LabVpnSite) => (await siteSas(s)).match(/#(\d+), ESTABLISHED/)?.[1] ?? null;

async function counters(l: Lab, ns: string): Promise<{ esp: number; clear: number }> {
  const out = await l.must(ns, ['iptables', '-w', '5', '-L', 'INPUT', '-v', '-n', '-x']);
  const count = (re: RegExp) =>
    Number(
      out
        .split('\n')
        .find((x) => re.test(x))
        ?.trim()
        .split(/\s+/)[0] ?? Number.NaN,
    );
  return { esp: count(/u32/), clear: count(/^\s*\d+\s+\d+\s+\S*\s*(1|icmp)\s/) };
}

test('both tunnels come up; the VM reaches the remote host un-NATed through ESP-in-UDP only, the internet still SNATed', async () => {
  const l = await ready();
  await waitState(l, '0c3e', 'up');
  await waitState(l, '3a9d', 'up');
  assert.is((await states(l))['7b1c']?.state, 'disabled');
  const s1 = site(l, 0);
  const vm = l.topo.vms[0];
  assert.ok(vm?.ipv4);
  // on the peer's external link: ESP in UDP (a non-zero SPI after the UDP header) and any clear ICMP
  await l.must(s1.ns, [
    'iptables',
    '-w',
    '5',
    '-I',
    'INPUT',
    '-i',
    'eth0',
    '-p',
    'udp',
    '--dport',
    '4500',
    '-m',
    'u32',
    '--u32',
    '0>>22&0x3C@8=1:0xffffffff',
  ]);
  await l.must(s1.ns, ['iptables', '-w', '5', '-I', 'INPUT', '-i', 'eth0', '-p', 'icmp']);
  const before = await counters(l, s1.ns);
  await l.must(vm.ns, ['ping', '-c', '3', '-i', '0.2', '-W', '2', s1.hostAddress]);
  const after = await counters(l, s1.ns);
  assert.ok(after.esp - before.esp >= 3, `ESP-in-UDP packets: ${before.esp} -> ${after.esp}`);
  assert.is(after.clear, 0, 'clear ICMP on the external link');
  const remote = await fetchFrom(l, vm.ns, `http://${s1.hostAddress}:${VM_HTTP_PORT}/`);
  assert.is(remote.body?.remote, vm.ipv4, 'the remote host sees the VM itself (no SNAT into the tunnel)');
  const up = l.topo.ext?.cidrs[0]?.split('/')[0];
  const internet = await fetchFrom(l, vm.ns, `http://${up}:${l.topo.ext?.httpPort}/`);
  assert.is(internet.body?.remote, '172.24.4.3', 'the internet still sees the external address');
  const other = site(l, 1);
  await l.must(vm.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', other.hostAddress]);
});

test('no key in GET, the logs or a world-readable file; the secrets file is 0600', async () => {
  const l = await ready();
  const got = await l.api('GET', '/v1/system/config');
  assert.is(got.status, 200);
  for (const k of KEYS) assert.not.ok(got.body.includes(k), 'GET holds a key');
  assert.is(json(got.body).configuration.vpn.ipsec[0].ipsec_connections[0].psk, '(withheld)');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : e.isFile() ? [p] : [];
    });
  const secrets = path.join(l.root, 'etc/swanctl/secrets.conf');
  assert.is(statSync(secrets).mode & 0o777, 0o600);
  for (const f of walk(l.dir)) {
    const text = readFileSync(f, 'latin1');
    const hex = KEYS.map((k: string) => Buffer.from(k).toString('hex'));
    const holds = KEYS.some((k: string) => text.includes(k)) || hex.some((h: string) => text.includes(h));
    if (!holds) continue;
    // only the secrets files and the agent's saved configuration may (and the lab's own copy of its input),
    // and no one else may read them
    assert.match(f, /etc\/swanctl\/secrets\.conf$|root\/state\/config\.json$|lab\/[^/]+\/payload\.json$/, `${f} holds a key`);
    if (!f.endsWith('payload.json')) assert.is(statSync(f).mode & 0o077, 0, `${f} is readable by others`);
  }
});

test('a changed key on both sides re-keys only that connection', async () => {
  const l = await ready();
  const [s1, s2] = [site(l, 0), site(l, 1)];
  const [id1, id2] = [await ikeId(s1), await ikeId(s2)];
  assert.ok(id1 && id2);
  const b = body();
  b.vpn.ipsec[0].ipsec_connections[1].psk = 'a brand new key for site b';
  const { configureSite } = await import('../../lab/vpn.ts');
  const { parseConfiguration, defaultInterfaceMap } = await import('../../schema/parse.ts');
  const parsed = parseConfiguration(b, defaultInterfaceMap());
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  await configureSite(s2, parsed.model.vpn[1] as never);
  assert.is((await push(l, b)).status, 200);
  await l.waitFor(async () => ((await ikeId(s2)) ?? id2) !== id2, 20_000, 'site b negotiated again');
  await waitState(l, '3a9d', 'up');
  assert.is(await ikeId(s1), id1, 'site a kept its IKE SA');
  const vm = l.topo.vms[0];
  if (vm) await l.must(vm.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', s2.hostAddress]);
  // a proposal change on connection a (both sides) re-keys a, not b
  const id2b = await ikeId(s2);
  b.vpn.ipsec[0].ipsec_connections[0].ipsecpolicy.encryption_algorithm = 'aes-128';
  const again = parseConfiguration(b, defaultInterfaceMap());
  if (!again.ok) throw new Error('invalid');
  await configureSite(s1, again.model.vpn[0] as never);
  assert.is((await push(l, b)).status, 200);
  await l.waitFor(async () => ((await ikeId(s1)) ?? id1) !== id1, 20_000, 'site a negotiated again');
  await waitState(l, '0c3e', 'up');
  assert.is(await ikeId(s2), id2b, 'site b kept its IKE SA');
});

test('a killed charon is restarted by the supervisor and loads its connections: the tunnels come back without a push', async () => {
  const l = await ready();
  await waitState(l, '0c3e', 'up');
  await waitState(l, '3a9d', 'up');
  const [s1, s2] = [site(l, 0), site(l, 1)];
  const [id1, id2] = [await ikeId(s1), await ikeId(s2)];
  const pidFile = path.join(l.root, 'run', 'charon.pid');
  const charon = () => Number(readFileSync(pidFile, 'utf8').trim());
  const old = charon();
  assert.ok(old > 1);
  process.kill(old, 'SIGKILL');
  await l.waitFor(
    async () => {
      const pid = charon();
      return pid !== old && pid > 1 && existsSync(`/proc/${pid}`);
    },
    15_000,
    'a new charon',
  );
  // negotiated again by the new charon: it has the connections without a push
  await l.waitFor(async () => ![null, id1].includes(await ikeId(s1)), 30_000, 'site a negotiated with the new charon');
  await l.waitFor(async () => ![null, id2].includes(await ikeId(s2)), 30_000, 'site b negotiated with the new charon');
  await waitState(l, '0c3e', 'up');
  await waitState(l, '3a9d', 'up');
  const vm = l.topo.vms[0];
  assert.ok(vm);
  await l.must(vm.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', s1.hostAddress]);
  await l.must(vm.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', s2.hostAddress]);
});

test('a wrong key leaves the tunnel down, says so in the state and the log; removing the section tears down', async () => {
  const l = await ready();
  const b = body();
  b.vpn.ipsec[0].ipsec_connections[0].psk = 'not what the peer has';
  b.vpn.ipsec[0].ipsec_connections[0].ipsecpolicy.encryption_algorithm = 'aes-128';
  b.vpn.ipsec[0].ipsec_connections[1].psk = 'a brand new key for site b';
  assert.is((await push(l, b)).status, 200);
  await waitState(l, '0c3e', 'down');
  const now = await states(l);
  assert.is(now['3a9d']?.state, 'up');
  assert.match(now['0c3e']?.last_error ?? '', /AUTHENTICATION_FAILED|failed/);
  assert.ok(now['0c3e']?.changed_at, 'the time the connection went down');
  const log = readFileSync(path.join(l.root, 'log/charon.log'), 'utf8');
  assert.match(log, /AUTHENTICATION_FAILED|authentication of .* failed/);
  for (const k of [...KEYS, 'not what the peer has']) assert.not.ok(log.includes(k), 'the log holds a key');

  const none = body();
  delete none.vpn;
  assert.is((await push(l, none)).status, 200);
  const s2 = site(l, 1);
  await l.waitFor(async () => (await ikeId(s2)) === null, 10_000, 'the site b SA gone');
  const pids = await l.must(l.topo.routerNs, ['ip', 'netns', 'pids', l.topo.routerNs]).catch(() => '');
  const cmdlines = pids
    .split(/\s+/)
    .filter(Boolean)
    .map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    });
  assert.not.ok(
    cmdlines.some((c) => c.includes('charon-systemd')),
    'charon still runs in the router',
  );
  assert.is(json((await l.api('GET', '/v1/system/vpn')).body).connections.length, 0);
  assert.not.ok(readdirSync(path.join(l.root, 'etc/swanctl')).includes('secrets.conf'), 'the secrets file stayed');
});

test.run();
