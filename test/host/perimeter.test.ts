// The router's perimeter (docs/security.md) probed cell by cell from every
// side of the lab: the management host, the upstream host, a VM on each of two
// tenant networks. Each host is given routes towards every address of the
// router and every network behind it (the "route back" of a real deployment),
// so a refused cell is refused by the router's firewall, not by a missing
// route. Allowed TCP cells are those the router's stack or the target answers
// (connected or reset); refused ones stay silent. UDP cells are allowed when
// answered, refused with ICMP, or when the router's connection tracking shows
// the probe got past the filter. Needs root; builds and removes its own lab.
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import type { Lab } from '../../lab/lab.ts';
import { lazy } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { type Addresses, type Cell, forwardCells, routerCells, type Side } from './perimeter-cells.ts';
import { type Body, type MainLab, mainLab } from './router-lab.ts';

const PROBE = fileURLToPath(new URL('./perimeter-probe.mjs', import.meta.url));
const test = rootSuite('perimeter: every cell of docs/security.md from every side');
let main: MainLab | null = null;
let sportBase = 41000;

function network(body: Body, type: string, nth = 0): Body {
  const found = (body.networks as Body[]).filter((n) => n.network_type === type)[nth];
  if (!found) throw new Error(`the payload has no ${type} network #${nth}`);
  return found;
}
const bare = (cidr: string) => cidr.split('/')[0] as string;
const addressOf = (n: Body, family: 4 | 6) =>
  bare((n.interface.addresses as string[]).find((c) => c.includes(':') === (family === 6)) ?? '');

/** The router's link-local address on a NIC, if it has one (the management NIC may have none). */
async function linkLocal(lab: Lab, ns: string, dev: string): Promise<string | undefined> {
  const out = JSON.parse(await lab.must(ns, ['ip', '-6', '-j', 'addr', 'show', 'dev', dev, 'scope', 'link']));
  return out[0]?.addr_info?.[0]?.local;
}

async function prepare(m: MainLab): Promise<{ addresses: Addresses; ns: Record<Side, string> }> {
  const { lab, payload } = m;
  const t = lab.topo;
  if (!t.mgmt || !t.ext?.bgp) throw new Error('the perimeter lab needs a management network and a BGP peer');
  const [mgt, ext, net1, net2] = [
    network(payload, 'management'),
    network(payload, 'external'),
    network(payload, 'internal', 0),
    network(payload, 'internal', 1),
  ];
  const vm1 = lab.vm('vm1');
  const vm2 = lab.vm('vm2');
  const vm3 = lab.vm('vm3');
  const vm1v6 = vm1.ipv6[0];
  if (!vm1v6 || !vm1.floating || !vm3.floating || !vm1.ipv4 || !vm2.ipv4 || !vm3.ipv4) throw new Error('unexpected lab VMs');
  await lab.waitFor(async () => (await lab.vmAddresses(vm1)).includes(vm1v6), 20_000, 'vm1 SLAAC address');
  await lab.waitFor(
    async () => (await lab.must(vm1.ns, ['ip', '-6', 'route', 'show', 'default'])).includes('via'),
    20_000,
    'vm1 IPv6 default route',
  );

  const r = (n: Body) => `eth${Number(n.interface.ifname.slice(2))}`;
  const ll = async (n: Body) => {
    const found = await linkLocal(lab, t.routerNs, r(n));
    return found ? `${found}%eth0` : undefined;
  };
  const routerExt4 = addressOf(ext, 4);
  const routerExt6 = addressOf(ext, 6);
  const gw6 = addressOf(net1, 6);
  const prefix6 = (net1.subnets as Body[]).find((s) => s.cidr.includes(':'))?.cidr as string;
  const mgtPrefix = (mgt.subnets as Body[])[0]?.cidr as string;
  const extPrefix6 = (ext.subnets as Body[]).find((s) => s.cidr.includes(':'))?.cidr as string;
  const stranger6 = extPrefix6.replace(/::\/\d+$/, '::77');
  // routes back: the management host towards the tenant and external prefixes through the
  // router's management address; the upstream host towards the tenant and management networks
  await lab.must(t.mgmt.ns, ['ip', '-6', 'route', 'replace', prefix6, 'via', t.mgmt.routerAddress]);
  await lab.must(t.mgmt.ns, ['ip', '-6', 'route', 'replace', extPrefix6, 'via', t.mgmt.routerAddress]);
  for (const n of [net1, net2]) {
    for (const s of (n.subnets as Body[]).filter((x) => !x.cidr.includes(':'))) {
      await lab.must(t.ext.ns, ['ip', 'route', 'replace', s.cidr, 'via', routerExt4]);
    }
  }
  await lab.must(t.ext.ns, ['ip', '-6', 'route', 'replace', mgtPrefix, 'via', routerExt6]);
  await lab.must(t.ext.ns, ['ip', '-6', 'route', 'replace', prefix6, 'via', routerExt6, 'metric', '2048']);
  await lab.must(t.ext.ns, ['ip', '-6', 'address', 'add', `${stranger6}/64`, 'dev', 'eth0', 'nodad']);

  const addresses: Addresses = {
    routerMgmt: t.mgmt.routerAddress,
    routerExt4,
    routerExt6,
    gw4: addressOf(net1, 4),
    gw6,
    gw2: addressOf(net2, 4),
    ll: { management: await ll(mgt), external: await ll(ext), tenant: await ll(net1), tenant2: await ll(net2) },
    orchestrator: t.mgmt.orchestrator,
    extHost4: bare(t.ext.cidrs.find((c) => !c.includes(':')) as string),
    peer6: t.ext.bgp.local,
    stranger6,
    vm1: { v4: vm1.ipv4, v6: vm1v6, floating: vm1.floating },
    vm2: { v4: vm2.ipv4 },
    vm3: { v4: vm3.ipv4, floating: vm3.floating },
    metadataPort: { tenant: 9600 + Number(net1.interface.ifname.slice(2)), tenant2: 9600 + Number(net2.interface.ifname.slice(2)) },
    httpPort: 8080,
  };
  return { addresses, ns: { management: t.mgmt.ns, external: t.ext.ns, tenant: vm1.ns, tenant2: vm3.ns } };
}

const ready = lazy(async () => {
  main = await mainLab(true);
  return { main, ...(await prepare(main)) };
});
test.after(async () => {
  await main?.remove();
});

/** Source ports of UDP probes the router's connection tracking saw (so they passed its filter). */
async function trackedUdpPorts(lab: Lab): Promise<Set<number>> {
  const seen = new Set<number>();
  for (const family of ['ipv4', 'ipv6']) {
    const r = await lab.exec(lab.topo.routerNs, ['conntrack', '-L', '-f', family, '-p', 'udp']);
    for (const m of r.stdout.matchAll(/sport=(\d+)/g)) seen.add(Number(m[1]));
  }
  return seen;
}

/** Runs the cells, each side's at once; answers the cells whose outcome is not the expected one. */
async function probe(lab: Lab, ns: Record<Side, string>, cells: Cell[]): Promise<string[]> {
  const withPorts = cells.map((c, i) => ({ ...c, id: String(i), sport: c.proto === 'udp' ? sportBase++ : undefined }));
  const results: Record<string, string> = {};
  await Promise.all(
    (Object.keys(ns) as Side[]).map(async (side) => {
      const mine = withPorts.filter((c) => c.side === side);
      if (mine.length === 0) return;
      const out = await lab.must(ns[side], [process.execPath, PROBE, JSON.stringify(mine)]);
      Object.assign(results, JSON.parse(out));
    }),
  );
  const tracked = await trackedUdpPorts(lab);
  const wrong: string[] = [];
  for (const c of withPorts) {
    const got = results[c.id] ?? 'no result';
    const passed =
      c.proto === 'tcp'
        ? got === 'open' || got === 'closed'
        : c.proto === 'udp'
          ? got === 'answered' || got === 'closed' || (got === 'silent' && tracked.has(c.sport as number))
          : got === 'answered';
    const dropped = got === 'silent' && !(c.proto === 'udp' && tracked.has(c.sport as number));
    const ok = c.expect === 'pass' ? passed : dropped;
    if (!ok) wrong.push(`${c.side} -> ${c.what}: expected ${c.expect}, probe says ${got}`);
  }
  return wrong;
}

test('the router itself: every address of the router from every side, every service', async () => {
  const { main: m, addresses, ns } = await ready();
  const cells = routerCells(addresses);
  const wrong = await probe(m.lab, ns, cells);
  assert.ok(cells.filter((c) => c.expect === 'pass').length >= 20 && cells.filter((c) => c.expect === 'drop').length >= 100);
  assert.equal(wrong, [], `${wrong.length} of ${cells.length} cells differ from docs/security.md:\n${wrong.join('\n')}`);
});

test('through the router: forwarded paths between the sides', async () => {
  const { main: m, addresses, ns } = await ready();
  const cells = forwardCells(addresses);
  const wrong = await probe(m.lab, ns, cells);
  assert.equal(wrong, [], `${wrong.length} of ${cells.length} cells differ from docs/security.md:\n${wrong.join('\n')}`);
});

test('BGP still comes up with its configured peer', async () => {
  const { main: m } = await ready();
  await m.lab.waitFor(async () => (await m.lab.bgpState()).state === 'Established', 30_000, 'BGP session');
});

test.run();
