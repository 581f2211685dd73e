// Builds a topology into namespaces: the router's NICs as veths to bridges in
// the switch namespace, one veth per host (management, upstream, VMs) on the
// bridge of its network, and the hosts' addresses.
import { createHash } from 'node:crypto';
import type { Model } from '../schema/model.ts';
import { addNamespace, ipBatch, sysctlIn, veth } from './netns.ts';
import type { LabTopology, LabVm } from './topology.ts';

/** A stable locally made MAC for a lab NIC the payload gives none. */
export function macFor(prefix: string, index: number, role: string): string {
  const h = createHash('sha256').update(`${prefix}/${role}/${index}`).digest();
  return ['fa', '16', '3e', h[0], h[1], h[2]].map((x) => (typeof x === 'number' ? x.toString(16).padStart(2, '0') : x)).join(':');
}

export function namespaces(t: LabTopology): string[] {
  return [t.routerNs, t.switchNs, t.mgmt?.ns, t.ext?.ns, ...t.vms.map((v) => v.ns)].filter((x): x is string => !!x);
}

/** A VM's NIC (eth0) on its network's bridge, up, accepting router advertisements. */
export async function attachVm(t: LabTopology, vm: LabVm, port: string): Promise<void> {
  await veth({ ns: vm.ns, ifname: 'eth0', mac: vm.mac }, { ns: t.switchNs, ifname: port });
  await ipBatch(t.switchNs, [`link set ${port} master br${vm.index} up`]);
  await sysctlIn(vm.ns, { 'net.ipv6.conf.eth0.accept_dad': '0', 'net.ipv6.conf.eth0.accept_ra': '1' });
  await ipBatch(vm.ns, ['link set eth0 up']);
}

export async function build(t: LabTopology, model: Model): Promise<void> {
  for (const ns of namespaces(t)) await addNamespace(ns);
  await ipBatch(
    t.switchNs,
    t.nics.flatMap((nic) => [`link add ${nic.bridge} type bridge`, `link set ${nic.bridge} up`]),
  );

  // NICs are created in generic-name order, so kernel ifindex order gives geN = ethN
  const ports: string[] = [];
  for (const nic of t.nics) {
    const network = model.networks.find((n) => n.index === nic.index);
    const own = network?.allocations.find((a) => a.ipAddresses.some((ip) => network.addresses.some((x) => x.address === ip.address)));
    const mac = own?.mac ?? macFor(t.prefix, nic.index, 'router');
    await veth({ ns: t.routerNs, ifname: nic.routerIf, mac }, { ns: t.switchNs, ifname: nic.swPort });
    ports.push(`link set ${nic.swPort} master ${nic.bridge} up`);
  }
  const attach = async (ns: string, swPort: string, index: number, mac: string) => {
    await veth({ ns, ifname: 'eth0', mac }, { ns: t.switchNs, ifname: swPort });
    ports.push(`link set ${swPort} master br${index} up`);
  };
  if (t.mgmt) await attach(t.mgmt.ns, 'm0', t.mgmt.index, macFor(t.prefix, 0, 'mgmt'));
  if (t.ext) await attach(t.ext.ns, 'x0', t.ext.index, macFor(t.prefix, 0, 'ext'));
  await ipBatch(t.switchNs, ports);
  for (const [k, vm] of t.vms.entries()) await attachVm(t, vm, `v${k}`);

  if (t.mgmt) {
    await sysctlIn(t.mgmt.ns, { 'net.ipv6.conf.eth0.accept_dad': '0' });
    await ipBatch(t.mgmt.ns, ['link set eth0 up', ...t.mgmt.cidrs.map((c) => `address add ${c} dev eth0 nodad`)]);
  }
  if (t.ext) {
    await sysctlIn(t.ext.ns, { 'net.ipv6.conf.eth0.accept_dad': '0', 'net.ipv4.ip_forward': '1' });
    await ipBatch(t.ext.ns, ['link set eth0 up', ...t.ext.cidrs.map((c) => `address add ${c} dev eth0${c.includes(':') ? ' nodad' : ''}`)]);
  }
}

/**
 * What `appliance configure-management` does on first boot, done directly:
 * the management NIC up with its address (no DAD), for labs that skip the command.
 */
export async function managementAddress(t: LabTopology): Promise<void> {
  if (!t.mgmt) return;
  const ifname = `eth${t.mgmt.index}`;
  await sysctlIn(t.routerNs, { [`net.ipv6.conf.${ifname}.accept_dad`]: '0' });
  const flag = t.mgmt.routerCidr.includes(':') ? 'nodad' : 'brd +';
  await ipBatch(t.routerNs, [`link set ${ifname} up`, `address add ${t.mgmt.routerCidr} ${flag} dev ${ifname}`]);
}
