// The appliance image, booted the way the orchestrator boots it: built with
// `appliance image build` (cached base), started under qemu (TCG) with three
// virtio NICs and a NoCloud seed carrying the orchestrator's user data, then
// configured and checked from the lab's namespaces only. Needs root and qemu.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type BuildResult, buildImage } from './build.ts';
import { ConsoleWatch, type Marks, sshArgv, timeline } from './test/boot.ts';
import { type Body, dhcp as dhcpLease, OUTSIDE_PORT, seedScenario, writeSeed } from './test/scenario.ts';
import { down, type Result, VmLab } from './test/vmlab.ts';

const PREFIX = 'imgt';
const BOOT_S = 420;
const TOOLS = ['qemu-system-x86_64', 'qemu-img', 'debootstrap', 'genisoimage', 'grub-mkimage', 'ssh', 'dhclient', 'curl'];

const missing = TOOLS.filter((t) => {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', t], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
const skipReason = process.getuid?.() !== 0 ? 'not root' : missing.length ? `${missing.join(', ')} missing (bash image/setup.sh)` : null;

const S = await seedScenario();
const { mgmtCidr, mgmtIp, extCidrs, extV4, tenantGw, vmIp, v4gw, plan } = S;

let dir = '';
let lab: VmLab;
let built: BuildResult;
let watch: ConsoleWatch;
let failed = false;
const marks: Marks[] = [];
const api = (method: string, p: string, body?: string) =>
  lab.http(lab.ns('mgmt'), method, `http://[${mgmtIp}]:5000${p}`, { body, timeoutS: 60 });
const ssh = (cmd: string, timeoutS = 90): Promise<Result> =>
  lab.exec(lab.ns('mgmt'), sshArgv(path.join(dir, 'id_ed25519'), `astara@${mgmtIp}`, cmd), { timeoutMs: timeoutS * 1000 });
const sshOk = async (cmd: string) => {
  const r = await ssh(cmd);
  if (r.exitCode !== 0) throw new Error(`ssh ${cmd}: exit ${r.exitCode}: ${r.stderr.trim()}`);
  return r.stdout.trim();
};
const json = (text: string) => JSON.parse(text) as Body;
const dhcp = () => dhcpLease(lab);

/** The agent answers before it has read back its configuration: wait until it has. */
async function waitConfig(what: string, want: string): Promise<void> {
  await lab.waitFor(
    `${what}: the configuration applied before`,
    180_000,
    async () => (await api('GET', '/v1/system/config')).body === want,
  );
}

async function waitReady(what: string): Promise<void> {
  await lab.waitFor(
    `${what}: the agent's API on [${mgmtIp}]:5000`,
    BOOT_S * 1000,
    async () => (await api('GET', '/v1/system/interfaces')).status === 200,
    2000,
    () => watch.failure(),
  );
}

test.before(async () => {
  if (skipReason) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'appliance-image-test-'));
  lab = new VmLab(PREFIX, dir, plan);
});

test.after(async () => {
  if (skipReason) return;
  watch?.stop();
  await down(PREFIX);
  if (failed) {
    // the console, logs and seed stay for a look; the disks go
    await rm(path.join(dir, 'out'), { recursive: true, force: true });
    const text = await lab.console();
    console.log(`--- last lines of the VM console (${lab.consoleFile}, kept) ---\n${text.split('\n').slice(-60).join('\n')}`);
  } else await rm(dir, { recursive: true, force: true });
});

const step = (name: string, fn: () => Promise<void>) => {
  if (skipReason) return;
  test(name, async () => {
    const t0 = Date.now();
    try {
      await fn();
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      console.log(`  [${((Date.now() - t0) / 1000).toFixed(0)} s] ${name}`);
    }
  });
};

if (skipReason) {
  console.log(`image test skipped: ${skipReason}`);
  test.skip('the appliance image boots as the orchestrator boots it', () => {});
}

step('image build: qcow2 and raw disks and the agent package, on the cached base layer', async () => {
  built = await buildImage({ outDir: path.join(dir, 'out'), say: (l) => console.log(`  image: ${l}`) });
  const s = built.seconds;
  console.log(
    `image build ${s.total.toFixed(0)} s (package ${s.deb.toFixed(0)}, base ${s.base.toFixed(0)}, root ${s.root.toFixed(0)}, disk ${s.disk.toFixed(0)}, qcow2 ${s.qcow2.toFixed(0)}); ` +
      `appliance.qcow2 ${(built.qcow2Bytes / 2 ** 20).toFixed(0)} MiB, ${built.virtualMiB} MiB virtual, ${built.usedMiB} MiB of files; kernel ${built.kernel}`,
  );
  const info = json(execFileSync('qemu-img', ['info', '--output=json', built.qcow2], { encoding: 'utf8' }));
  assert.is(info.format, 'qcow2');
  assert.is(info['virtual-size'], built.virtualMiB * 2 ** 20);
  const contents = execFileSync('dpkg-deb', ['--contents', built.deb], { encoding: 'utf8' });
  for (const f of [
    './usr/local/bin/astara-configure-management',
    './usr/local/bin/akanda-configure-management',
    './lib/systemd/system/appliance-agent.service',
    './usr/lib/appliance-agent/node',
  ])
    assert.ok(contents.includes(f), `${f} in the package`);
});

step("first boot with the orchestrator's user data: the agent answers on the management address", async () => {
  await lab.up();
  await lab.must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'orchestrator', '-f', path.join(dir, 'id_ed25519')]);
  const pub = (await readFile(path.join(dir, 'id_ed25519.pub'), 'utf8')).trim();
  const seed = await writeSeed(lab, { mac: plan.mgmt.mac, cidr: mgmtCidr, sshKey: pub, instanceId: `${S.vm.device_id}-router` });
  const disk = path.join(dir, 'disk.qcow2');
  await lab.must(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', built.qcow2, disk]);

  watch = new ConsoleWatch(lab.consoleFile);
  watch.start(0);
  await lab.boot(disk, seed);
  await waitReady('first boot');
  watch.mark('agent ready');
  const ifs = json((await api('GET', '/v1/system/interfaces')).body).interfaces as Body[];
  assert.equal(
    ifs.map((i) => i.lladdr),
    [plan.mgmt.mac, plan.ext.mac, plan.tenant.mac],
    'ge0..ge2 are the management, external and tenant NICs',
  );
  assert.ok(((ifs[0]?.addresses ?? []) as string[]).includes(mgmtCidr), 'the management address from the user data');
});

step('the seed payload: PUT 200, DHCP, SNAT to the external network, metadata to the orchestrator', async () => {
  const put = await api('PUT', '/v1/system/config', S.text);
  assert.is(put.status, 200, put.body.slice(0, 2000));
  watch.mark('configured');
  marks.push(watch.stop());
  console.log(timeline('first boot', marks[0] as Marks));
  const lease = await dhcp();
  assert.is(lease.ip, vmIp, 'the reservation of the VM');
  assert.is(lease.routers, tenantGw);
  const out = await lab.http(lab.ns('vm'), 'GET', `http://${v4gw}:${OUTSIDE_PORT}/`);
  assert.is(out.status, 200, out.body);
  assert.is(json(out.body).remote, extV4, 'the VM leaves through SNAT to the external address');
  const md = await lab.http(lab.ns('vm'), 'GET', 'http://169.254.169.254/latest/meta-data/instance-id');
  assert.is(md.status, 200, md.body);
  const echo = json(md.body);
  assert.is(echo.server, 'metadata');
  assert.is(echo.path, '/latest/meta-data/instance-id');
  assert.is(echo.headers['x-forwarded-for'], vmIp);
  assert.is(echo.remote, mgmtIp, 'the proxy reaches the orchestrator from the management address');
});

step('the agent listens on [management address]:5000 only; the image-wide settings; key-only SSH', async () => {
  const listening = (await sshOk("ss -Hltn 'sport = :5000'")).split('\n').map((l) => l.trim().split(/\s+/)[3]);
  assert.equal(listening, [`[${mgmtIp}]:5000`]);
  const tenantSide = await lab.http(lab.ns('vm'), 'GET', `http://${tenantGw}:5000/v1/`, { timeoutS: 5 });
  assert.is(tenantSide.status, 0, 'nothing answers on the tenant address');
  // dropped by the firewall (tenants reach only DHCP, DNS, metadata and ICMP), and no socket there either
  assert.ok([7, 28].includes(tenantSide.curlExit ?? -1), `curl exit ${tenantSide.curlExit}`);
  assert.is((await lab.http(lab.ns('ext'), 'GET', `http://${extV4}:5000/v1/`, { timeoutS: 5 })).status, 0);
  const cmdline = await sshOk('cat /proc/cmdline /sys/module/virtio_net/parameters/gso');
  assert.match(cmdline, /virtio_net\.gso=0/);
  assert.match(cmdline, /\nN$/, 'virtio_net took gso=0');
  assert.is(await sshOk('cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding'), '1\n1');
  assert.is(await sshOk('date +%Z'), 'UTC');
  // /etc/hosts is the agent's rendered file: the router's own name resolves to its management address
  assert.is(await sshOk('readlink /etc/hosts'), '/var/lib/appliance/etc/hosts');
  assert.is(await sshOk('getent hosts "$(hostname)" | cut -d" " -f1'), mgmtIp);
  assert.is(await sshOk('test -L /etc/resolv.conf || echo plain; ss -Hlnu "sport = :53" | grep -c 127.0.0.5 || true'), 'plain\n0');
  assert.is(await sshOk('systemctl is-enabled bird.service bird6.service || true'), 'masked\nmasked');
  assert.is(await sshOk('sudo -n passwd -S root | cut -d" " -f2'), 'L', 'root has no password');
  assert.is(await sshOk(`sudo -n akanda-configure-management --mtu 1450 ${plan.mgmt.mac} ${mgmtCidr} | grep -c '"changes":\\[\\]'`), '1');
  const password = await lab.exec(lab.ns('mgmt'), [
    'ssh',
    '-o',
    'BatchMode=yes',
    '-o',
    'PubkeyAuthentication=no',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    `astara@${mgmtIp}`,
    'true',
  ]);
  assert.is(password.exitCode, 255);
  assert.match(password.stderr, /Permission denied \(publickey\)/, `the server offers public keys only: ${password.stderr.trim()}`);
  const sshOnTenant = await lab.exec(lab.ns('vm'), ['ssh', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', `astara@${tenantGw}`, 'true']);
  // dropped by the firewall (tenants reach only DHCP, DNS, metadata and ICMP), and sshd is not there either
  assert.match(sshOnTenant.stderr, /Connection refused|Connection timed out/, 'no ssh from the tenant side');
});

step('a killed agent comes back by itself, to the same configuration, with its daemons kept', async () => {
  const before = (await api('GET', '/v1/system/config')).body;
  const pid = await sshOk('systemctl show -p MainPID --value appliance-agent.service');
  const dnsmasq = await sshOk('pgrep -x dnsmasq');
  await sshOk(`sudo -n kill -9 ${pid}`);
  await lab.waitFor('a new agent process', 120_000, async () => {
    const now = await sshOk('systemctl show -p MainPID --value appliance-agent.service');
    return now !== '0' && now !== pid;
  });
  await waitReady('after the kill');
  await waitConfig('after the kill', before);
  assert.is(await sshOk('pgrep -x dnsmasq'), dnsmasq, 'dnsmasq adopted, not restarted');
});

step('a reboot comes back to the same configuration without a new PUT', async () => {
  const before = (await api('GET', '/v1/system/config')).body;
  watch = new ConsoleWatch(lab.consoleFile);
  watch.start((await lab.console()).length);
  await ssh('sudo -n systemctl reboot', 30);
  await lab.waitFor(
    'the reboot to start the kernel',
    BOOT_S * 1000,
    async () => watch.marks.kernel !== undefined,
    1000,
    () => watch.failure(),
  );
  await waitReady('after the reboot');
  watch.mark('agent ready');
  await waitConfig('after the reboot', before);
  // the agent answers first, then converges to the configuration it kept
  await lab.waitFor('the external and tenant addresses back', 180_000, async () => {
    const ifs = json((await api('GET', '/v1/system/interfaces')).body).interfaces as Body[];
    return (
      ((ifs[1]?.addresses ?? []) as string[]).includes(extCidrs[0] as string) &&
      ((ifs[2]?.addresses ?? []) as string[]).includes(S.tenantCidr)
    );
  });
  watch.mark('configured');
  marks.push(watch.stop());
  console.log(timeline('reboot', marks[1] as Marks));
  const lease = await dhcp();
  assert.is(lease.ip, vmIp);
  const out = await lab.http(lab.ns('vm'), 'GET', `http://${v4gw}:${OUTSIDE_PORT}/`);
  assert.is(json(out.body).remote, extV4, 'SNAT again');
  const md = await lab.http(lab.ns('vm'), 'GET', 'http://169.254.169.254/latest/meta-data/');
  assert.is(json(md.body).server, 'metadata');
  console.log(
    `image size: appliance.qcow2 ${(built.qcow2Bytes / 2 ** 20).toFixed(0)} MiB, raw ${built.virtualMiB} MiB virtual, ${built.usedMiB} MiB of files`,
  );
});

test.run();
