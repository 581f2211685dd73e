// The image test's scenario, derived from the seed payload: the appliance's
// NICs (MACs matched to the payload), the lab hosts around it, the NoCloud
// seed with the orchestrator's user data, the tenant VM's DHCP client.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eui64Mac, userData } from './boot.ts';
import type { LabPlan, VmLab } from './vmlab.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const OUTSIDE_PORT = 8080;

// biome-ignore lint/suspicious/noExplicitAny: the payload is JSON
export type Body = Record<string, any>;

export async function seedScenario() {
  const text = await readFile(path.join(here, 'seed-payload.json'), 'utf8');
  const payload = JSON.parse(text) as Body;
  const net = (type: string) => (payload.networks as Body[]).find((n) => n.network_type === type) as Body;
  const mgmtCidr = net('management').interface.addresses[0] as string;
  const mgmtIp = mgmtCidr.split('/')[0] as string;
  const extCidrs = net('external').interface.addresses as string[];
  const extV4 = (extCidrs.find((c) => !c.includes(':')) as string).split('/')[0] as string;
  const tenant = net('internal');
  const tenantCidr = tenant.interface.addresses[0] as string;
  const tenantGw = tenantCidr.split('/')[0] as string;
  const allocations = tenant.allocations as Body[];
  // the router's own port on the tenant network, and a VM
  const own = allocations.find((a) => Object.keys(a.ip_addresses).includes(tenantGw)) as Body;
  const vm = allocations.find((a) => a !== own) as Body;
  const vmIp = Object.keys(vm.ip_addresses).find((ip) => !ip.includes(':')) as string;
  const orchestrator = payload.orchestrator as { address: string; metadata_port: number };
  const v4gw = payload.default_v4_gateway as string;
  const plan: LabPlan = {
    // the management address is the EUI-64 one of the port's MAC
    mgmt: { mac: eui64Mac(mgmtIp) ?? 'fa:16:3e:00:00:10', ns: 'mgmt', cidrs: [`${orchestrator.address}/64`] },
    ext: {
      mac: 'fa:16:3e:00:00:11',
      ns: 'ext',
      cidrs: [
        `${v4gw}/24`,
        ...(net('external').subnets as Body[]).filter((s) => s.gateway_ip.includes(':')).map((s) => `${s.gateway_ip}/64`),
      ],
    },
    tenant: { mac: own.mac_address, ns: 'vm', cidrs: [], vmMac: vm.mac_address },
    echoes: [
      { ns: 'mgmt', host: orchestrator.address, port: orchestrator.metadata_port, name: 'metadata' },
      { ns: 'ext', host: '0.0.0.0', port: OUTSIDE_PORT, name: 'outside' },
    ],
  };
  return { text, mgmtCidr, mgmtIp, extCidrs, extV4, tenantCidr, tenantGw, vm, vmIp, v4gw, plan };
}

/** A NoCloud seed (ISO 9660 labelled cidata) with the orchestrator's user data and meta-data. */
export async function writeSeed(lab: VmLab, opts: { mac: string; cidr: string; sshKey: string; instanceId: string }): Promise<string> {
  const userFile = path.join(lab.dir, 'user-data');
  const metaFile = path.join(lab.dir, 'meta-data');
  await writeFile(metaFile, `instance-id: ${opts.instanceId}\nlocal-hostname: appliance-under-test\n`);
  await writeFile(userFile, userData(opts));
  const seed = path.join(lab.dir, 'seed.iso');
  await lab.must(['genisoimage', '-quiet', '-output', seed, '-volid', 'cidata', '-joliet', '-rock', userFile, metaFile]);
  return seed;
}

const DHCLIENT_SCRIPT = (state: string) => `#!/bin/sh
# the tenant VM's DHCP hook: applies the lease in its namespace and records it
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
  ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
  ip route replace default via "\${new_routers%% *}" dev "$interface"
  printf 'ip=%s\\nrouters=%s\\nhostname=%s\\n' "$new_ip_address" "$new_routers" "$new_host_name" > ${state}
  ;;
esac
exit 0
`;

/** A fresh DHCP exchange from the tenant VM's namespace; resolves with what the lease said. */
export async function dhcp(lab: VmLab): Promise<Record<string, string>> {
  const f = (name: string) => path.join(lab.dir, name);
  const ns = lab.ns('vm');
  await writeFile(f('dhclient.conf'), 'request subnet-mask, broadcast-address, routers, domain-name-servers, host-name;\n');
  await writeFile(f('dhclient-script'), DHCLIENT_SCRIPT(f('vm.dhcp4')), { mode: 0o755 });
  await rm(f('vm.dhcp4'), { force: true });
  await lab.exec(ns, ['pkill', '-x', 'dhclient']);
  await lab.exec(ns, ['ip', 'addr', 'flush', 'dev', 'eth0', 'scope', 'global']);
  const argv = ['dhclient', '-4', '-d', '-v', '-sf', f('dhclient-script'), '-cf', f('dhclient.conf')];
  await lab.spawnIn(ns, [...argv, '-lf', f('vm.leases'), '-pf', f('vm.pid'), 'eth0'], 'dhclient.log');
  return lab.waitFor('a DHCP lease in the tenant VM', 90_000, async () => {
    const lines = (await readFile(f('vm.dhcp4'), 'utf8')).trim().split('\n');
    return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  });
}
