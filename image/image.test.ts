// The appliance image, booted the way the orchestrator boots it: built with
// `appliance image build` (cached base), started under qemu (TCG) with three
// virtio NICs and a NoCloud seed carrying the orchestrator's user data, then
// configured and checked from the lab's namespaces only. Needs root and qemu.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type BuildResult, buildImage } from './build.ts';
import { ConsoleWatch, eui64Mac, type Marks, sshArgv, timeline, userData } from './test/boot.ts';
import { down, type LabPlan, type Result, VmLab } from './test/vmlab.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
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

// biome-ignore lint/suspicious/noExplicitAny: the payload is JSON
type Body = Record<string, any>;
const payloadText = await readFile(path.join(here, 'test', 'seed-payload.json'), 'utf8');
const payload = JSON.parse(payloadText) as Body;
const net = (type: string) => (payload.networks as Body[]).find((n) => n.network_type === type) as Body;
const mgmtCidr = net('management').interface.addresses[0] as string;
const mgmtIp = mgmtCidr.split('/')[0] as string;
const extCidrs = net('external').interface.addresses as string[];
const extV4 = (extCidrs.find((c) => !c.includes(':')) as string).split('/')[0] as string;
const tenant = net('internal');
const tenantGw = (tenant.interface.addresses[0] as string).split('/')[0] as string;
const allocations = tenant.allocations as Body[];
const own = allocations.find((a) => Object.keys(a.ip_addresses).includes(tenantGw)) as Body;
const vmAlloc = allocations.find((a) => a !== own) as Body;
const vmIp = Object.keys(vmAlloc.ip_addresses).find((ip) => !ip.includes(':')) as string;
const orchestrator = payload.orchestrator as { address: string; metadata_port: number };
const v4gw = payload.default_v4_gateway as string;
const OUTSIDE_PORT = 8080;

const plan: LabPlan = {
  mgmt: { mac: eui64Mac(mgmtIp) ?? 'fa:16:3e:00:00:10', ns: 'mgmt', cidrs: [`${orchestrator.address}/64`] },
  ext: {
    mac: 'fa:16:3e:00:00:11',
    ns: 'ext',
    cidrs: [
      `${v4gw}/24`,
      ...(net('external').subnets as Body[]).filter((s) => s.gateway_ip.includes(':')).map((s) => `${s.gateway_ip}/64`),
    ],
  },
  tenant: { mac: own.mac_address, ns: 'vm', cidrs: [], vmMac: vmAlloc.mac_address },
  echoes: [
    { ns: 'mgmt', host: orchestrator.address, port: orchestrator.metadata_port, name: 'metadata' },
    { ns: 'ext', host: '0.0.0.0', port: OUTSIDE_PORT, name: 'outside' },
  ],
};

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

/** A fresh DHCP exchange from the tenant VM; resolves with what the lease said. */
async function dhcp(): Promise<Record<string, string>> {
  const state = path.join(dir, 'vm.dhcp4');
  await rm(state, { force: true });
  await lab.exec(lab.ns('vm'), ['pkill', '-x', 'dhclient']);
  await lab.exec(lab.ns('vm'), ['ip', 'addr', 'flush', 'dev', 'eth0', 'scope', 'global']);
  await lab.spawnIn(
    lab.ns('vm'),
    [
      'dhclient',
      '-4',
      '-d',
      '-v',
      '-sf',
      path.join(dir, 'dhclient-script'),
      '-cf',
      path.join(dir, 'dhclient.conf'),
      '-lf',
      path.join(dir, 'vm.leases'),
      '-pf',
      path.join(dir, 'vm.pid'),
      'eth0',
    ],
    'dhclient.log',
  );
  return lab.waitFor('a DHCP lease in the tenant VM', 90_000, async () => {
    const text = await readFile(state, 'utf8');
    return Object.fromEntries(
      text
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  });
}

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
  const seedDir = path.join(dir, 'seed');
  await lab.must(['mkdir', '-p', seedDir]);
  await writeFile(path.join(seedDir, 'meta-data'), `instance-id: ${vmAlloc.device_id}-router\nlocal-hostname: appliance-under-test\n`);
  await writeFile(path.join(seedDir, 'user-data'), userData({ mac: plan.mgmt.mac, cidr: mgmtCidr, sshKey: pub }));
  const seed = path.join(dir, 'seed.iso');
  await lab.must([
    'genisoimage',
    '-quiet',
    '-output',
    seed,
    '-volid',
    'cidata',
    '-joliet',
    '-rock',
    path.join(seedDir, 'user-data'),
    path.join(seedDir, 'meta-data'),
  ]);
  const disk = path.join(dir, 'disk.qcow2');
  await lab.must(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', built.qcow2, disk]);
  await writeFile(path.join(dir, 'dhclient.conf'), 'request subnet-mask, broadcast-address, routers, domain-name-servers, host-name;\n');
  await writeFile(
    path.join(dir, 'dhclient-script'),
    `#!/bin/sh\ncase "$reason" in\nBOUND|RENEW|REBIND|REBOOT)\n  ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"\n  ip route replace default via "\${new_routers%% *}" dev "$interface"\n  printf 'ip=%s\\nrouters=%s\\nhostname=%s\\n' "$new_ip_address" "$new_routers" "$new_host_name" > ${path.join(dir, 'vm.dhcp4')}\n  ;;\nesac\nexit 0\n`,
    { mode: 0o755 },
  );

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
  const put = await api('PUT', '/v1/system/config', payloadText);
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
  assert.is(tenantSide.curlExit, 7, 'refused: no socket there (the firewall lets tenants reach the router)');
  assert.is((await lab.http(lab.ns('ext'), 'GET', `http://${extV4}:5000/v1/`, { timeoutS: 5 })).status, 0);
  const cmdline = await sshOk('cat /proc/cmdline /sys/module/virtio_net/parameters/gso');
  assert.match(cmdline, /virtio_net\.gso=0/);
  assert.match(cmdline, /\nN$/, 'virtio_net took gso=0');
  assert.is(await sshOk('cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding'), '1\n1');
  assert.is(await sshOk('date +%Z'), 'UTC');
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
  assert.match(sshOnTenant.stderr, /Connection refused/, 'sshd listens on the management address only');
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
      ((ifs[2]?.addresses ?? []) as string[]).includes(tenant.interface.addresses[0])
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
