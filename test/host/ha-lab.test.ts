// The HA pair in the lab (root): two routers from ha-pair's body, exactly one
// holding the gateway addresses; a VM reaches the upstream; the primary's
// links going down move the addresses (the outage measured and printed); TCP
// connections through the catch-all SNAT and through a floating IP survive it
// (conntrackd) and the old primary's return; an identical re-push to both
// causes no transition; a new floating IP reaches both.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import * as assert from 'uvu/assert';
import { haRoles, peerBody, routerApi, waitForOneMaster } from '../../lab/ha.ts';
import { failover, settleAfterReturn } from '../../lab/ha-failover.ts';
import type { Lab } from '../../lab/lab.ts';
import { testdataPayload } from '../../lab/paths.ts';
import { payload, removeLab, scratchLab } from '../../lab/scratch.ts';
import { tcpClientArgv } from '../../lab/services.ts';
import { rootSuite } from '../../lab/suite.ts';
import { defaultInterfaceMap, parseConfiguration } from '../../schema/parse.ts';

const test = rootSuite('HA pair in the lab (keepalived, conntrackd)');
const UPSTREAM = '172.24.4.1';
let lab: Lab;

test.before(async () => {
  lab = await scratchLab({
    prefix: `ha${process.pid.toString(36)}`.slice(0, 8),
    payload: testdataPayload('ha-pair'),
    push: true,
    dhcp: true,
    services: true,
    configureManagement: false,
    maxVmsPerNetwork: 3,
  });
});

test.after(async () => {
  if (lab) await removeLab(lab);
});

/** A lab/echo.mjs tcp-client from a VM to the upstream echo server: its lines, and a way to send one. */
function client(ns: string) {
  const [cmd, ...args] = tcpClientArgv(ns, UPSTREAM);
  const child: ChildProcess = spawn(cmd as string, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => lines.push(l));
  return {
    lines,
    send: (text: string) => child.stdin?.write(`${text}\n`),
    echoed: (text: string) =>
      lab.waitFor(async () => lines.some((l) => l.endsWith(` ${text}`)), 8000, `the echo of ${text} (${lines.join('|')})`),
    close: () => child.kill('SIGKILL'),
  };
}

/** bird6's view on one router: whether its router advertisements are suppressed, the BGP session's state. */
async function bird(i: number): Promise<{ radvSuppressed: boolean; bgp: string }> {
  const r = lab.topo.routers?.[i];
  const out = (await lab.exec(r?.ns ?? '', ['birdc6', '-s', path.join(r?.root ?? '', 'run/bird6.ctl'), 'show', 'protocols'])).stdout;
  const line = (name: string) => out.split('\n').find((l) => l.startsWith(name)) ?? '';
  return { radvSuppressed: line('radv').includes('Suppressed'), bgp: line('uplink0').includes('Established') ? 'Established' : 'down' };
}

const roleSince = async (root: string) => (await readFile(path.join(root, 'run/ha-role'), 'utf8')).trim();

test('exactly one router holds the gateway addresses; a VM reaches the upstream', async () => {
  const primary = await waitForOneMaster(lab);
  assert.is(primary, 0, 'the higher priority router, pushed first, is the primary');
  const roles = await haRoles(lab);
  assert.equal(
    roles.map((r) => r.role),
    ['master', 'backup'],
  );
  // the backup follows its role: no router advertisements as default router, no BGP, no DHCP answers
  await lab.waitFor(async () => (await bird(0)).bgp === 'Established', 20_000, "the primary's BGP session");
  assert.equal(await bird(0), { radvSuppressed: false, bgp: 'Established' });
  assert.equal(await bird(1), { radvSuppressed: true, bgp: 'down' });
  const leases = await Promise.all(lab.topo.vms.filter((v) => v.ipv4).map((v) => lab.dhcpState(v, 4)));
  assert.ok(
    leases.every((l) => l.ip),
    'every VM has its lease',
  );
  const backupLog = await readFile(path.join(lab.topo.routers?.[1]?.root ?? '', 'log/dnsmasq.log'), 'utf8').catch(() => '');
  assert.not.match(backupLog, /DHCP(OFFER|ACK)/, 'the backup answered DHCP');
  const vm = lab.topo.vms[0];
  const ping = await lab.exec(vm?.ns as string, ['ping', '-c', '2', '-W', '2', UPSTREAM]);
  assert.is(ping.exitCode, 0, ping.stdout);
});

test('the primary links down: addresses move, outage measured, SNAT and floating-IP connections survive, and the return', async () => {
  const snatVm = lab.topo.vms.find((v) => v.ipv4 && !v.floating);
  const fipVm = lab.topo.vms.find((v) => v.ipv4 && v.floating);
  assert.ok(snatVm && fipVm, 'the lab has a VM with and one without a floating IP');
  const a = client(snatVm.ns);
  const b = client(fipVm.ns);
  try {
    a.send('before');
    b.send('before');
    await a.echoed('before');
    await b.echoed('before');
    assert.ok(a.lines.includes('172.24.4.3 before'), a.lines.join('|'));
    assert.ok(b.lines.includes(`${fipVm.floating} before`), b.lines.join('|'));
    // conntrackd sends the new entries to the backup at once: both flows are in its external cache
    const backup = lab.topo.routers?.[1];
    const conf = path.join(backup?.root ?? '', 'etc/conntrackd/conntrackd.conf');
    await lab.waitFor(
      async () => {
        const cache = (await lab.exec(backup?.ns ?? '', ['conntrackd', '-C', conf, '-e'])).stdout;
        return [snatVm.ipv4, fipVm.ipv4].every((ip) => cache.includes(`src=${ip} dst=${UPSTREAM}`) && cache.includes('dport=7000'));
      },
      5000,
      "both flows in the backup's conntrackd external cache",
    );
    const f = await failover(lab, snatVm.ns, UPSTREAM);
    console.log(`HA failover: router ${f.from} -> ${f.to}, outage ${Math.round(f.outageMs)} ms`);
    assert.equal([f.from, f.to], [0, 1]);
    assert.ok(f.outageMs < 3000, `outage ${f.outageMs} ms`);
    await lab.waitFor(
      async () => !(await bird(1)).radvSuppressed && (await bird(0)).radvSuppressed,
      10_000,
      'the advertisements following the role',
    );
    a.send('after');
    b.send('after');
    await a.echoed('after');
    await b.echoed('after');
    assert.ok(a.lines.includes('172.24.4.3 after'), 'the same SNAT address after the failover');
    assert.ok(b.lines.includes(`${fipVm.floating} after`), 'the same floating IP after the failover');
    // the old primary is back: nopreempt keeps the new primary, the connections carry on
    assert.equal(await settleAfterReturn(lab), ['backup', 'master']);
    a.send('returned');
    b.send('returned');
    await a.echoed('returned');
    await b.echoed('returned');
    assert.not.ok(
      [...a.lines, ...b.lines].some((l) => l === 'closed' || l.startsWith('error')),
      [...a.lines, ...b.lines].join('|'),
    );
  } finally {
    a.close();
    b.close();
  }
});

function bodies() {
  const body = payload('ha-pair');
  const parsed = parseConfiguration(body, defaultInterfaceMap());
  if (!parsed.ok) throw new Error('ha-pair does not parse');
  return [body, peerBody(body, parsed.model).body];
}

test('an identical re-push to both routers causes no transition', async () => {
  const routers = lab.topo.routers ?? [];
  const before = await Promise.all(routers.map((r) => roleSince(r.root)));
  const [one, two] = bodies();
  for (const [i, body] of [one, two].entries()) {
    const r = await routerApi(lab, routers[i] as NonNullable<typeof routers>[number], 'PUT', '/v1/system/config', JSON.stringify(body));
    assert.is(r.status, 200, r.body);
  }
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await Promise.all(routers.map((r) => roleSince(r.root))), before, 'no transition recorded');
});

test('a new floating IP reaches both routers; only the primary holds it', async () => {
  const routers = lab.topo.routers ?? [];
  const master = await waitForOneMaster(lab);
  const before = await Promise.all(routers.map((r) => roleSince(r.root)));
  const vm = lab.topo.vms.find((v) => v.ipv4 && !v.floating);
  for (const [i, body] of bodies().entries()) {
    body.floating_ips.push({ floating_ip: '172.24.4.99', fixed_ip: vm?.ipv4 });
    const r = await routerApi(lab, routers[i] as NonNullable<typeof routers>[number], 'PUT', '/v1/system/config', JSON.stringify(body));
    assert.is(r.status, 200, r.body);
  }
  for (const r of routers) {
    const conf = await readFile(path.join(r.root, 'etc/keepalived/keepalived.conf'), 'utf8');
    assert.match(conf, '172.24.4.99/24 dev eth1');
  }
  await lab.waitFor(
    async () =>
      (await lab.exec(routers[master]?.ns as string, ['ip', '-o', 'addr', 'show', 'dev', 'eth1'])).stdout.includes('172.24.4.99/'),
    5000,
    'the primary holding the new floating IP',
  );
  const other = routers[1 - master]?.ns as string;
  assert.not.match((await lab.exec(other, ['ip', '-o', 'addr', 'show', 'dev', 'eth1'])).stdout, '172.24.4.99/');
  assert.equal(await Promise.all(routers.map((r) => roleSince(r.root))), before, 'the reload caused no transition');
});

test("the primary's agent restarted: keepalived and conntrackd are adopted, the start-up convergence causes no transition", async () => {
  const routers = lab.topo.routers ?? [];
  const before = await Promise.all(routers.map((r) => roleSince(r.root)));
  const pid = async (name: string) => (await readFile(path.join(lab.root, `run/${name}.pid`), 'utf8')).trim();
  const pids = [await pid('keepalived'), await pid('conntrackd')];
  await lab.killAgent('SIGKILL');
  await lab.startAgent();
  const status = await routerApi(lab, routers[0] as NonNullable<typeof routers>[number], 'GET', '/v1/system/ha');
  assert.is(status.status, 200);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal([await pid('keepalived'), await pid('conntrackd')], pids, 'the same daemons');
  assert.equal(await Promise.all(routers.map((r) => roleSince(r.root))), before, 'no transition recorded');
  await waitForOneMaster(lab);
});

test.run();
