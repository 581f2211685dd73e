// The VMs' DHCP clients: dhclient inside each VM namespace with a hook script
// that applies the lease there and records what the server sent. Never /etc.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnIn } from './netns.ts';
import type { LabVm } from './topology.ts';

const DHCLIENT_CONF = `option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
request subnet-mask, broadcast-address, routers, domain-name-servers, host-name,
        rfc3442-classless-static-routes, dhcp6.name-servers;
`;

/** dhclient runs this with a clean environment, so the state directory is written into it. */
function dhclientScript(dir: string): string {
  return `#!/bin/sh
# lab VM's DHCP client hook: applies the lease inside the VM's namespace and
# records what the server sent; never touches /etc.
vm=$(ip netns identify $$)
vm=\${vm#*-}
state=${dir}/$vm
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
  ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
  if [ -n "$new_rfc3442_classless_static_routes" ]; then
    set -- $new_rfc3442_classless_static_routes
    while [ $# -ge 5 ]; do
      len=$1; shift; n=$(( (len + 7) / 8 )); dst=""; i=0
      while [ $i -lt 4 ]; do
        if [ $i -lt $n ]; then octet=$1; shift; else octet=0; fi
        dst="$dst\${dst:+.}$octet"; i=$((i + 1))
      done
      gw="$1.$2.$3.$4"; shift 4
      if [ "$gw" = "0.0.0.0" ]; then ip route replace "$dst/$len" dev "$interface"; else ip route replace "$dst/$len" via "$gw" dev "$interface"; fi
    done
  elif [ -n "$new_routers" ]; then
    ip route replace default via "\${new_routers%% *}" dev "$interface"
  fi
  { echo "ip=$new_ip_address"; echo "mask=$new_subnet_mask"; echo "routers=$new_routers";
    echo "dns=$new_domain_name_servers"; echo "hostname=$new_host_name";
    echo "classless=$new_rfc3442_classless_static_routes"; } > "$state.dhcp4"
  ;;
BOUND6|RENEW6|REBIND6)
  if [ -n "$new_ip6_address" ]; then ip -6 addr replace "$new_ip6_address/128" dev "$interface" nodad; fi
  { echo "ip6=$new_ip6_address"; echo "dns6=$new_dhcp6_name_servers"; } > "$state.dhcp6"
  ;;
esac
exit 0
`;
}

/** The client's configuration and hook script, in the lab's directory. */
export async function writeDhcpFiles(dir: string): Promise<void> {
  await writeFile(path.join(dir, 'dhclient.conf'), DHCLIENT_CONF);
  await writeFile(path.join(dir, 'dhclient-script'), dhclientScript(dir), { mode: 0o755 });
}

/** dhclient -4 when the VM has an IPv4 allocation, -6 (or -6 -S, information only) as its subnet's mode says. */
export async function startDhcp(dir: string, vm: LabVm): Promise<void> {
  const args = (v: string) => [
    '-sf',
    path.join(dir, 'dhclient-script'),
    '-cf',
    path.join(dir, 'dhclient.conf'),
    '-lf',
    path.join(dir, `${vm.name}.leases${v}`),
    '-pf',
    path.join(dir, `${vm.name}.dhclient${v}.pid`),
  ];
  const log = (v: string) => path.join(dir, `${vm.name}.dhclient${v}.log`);
  if (vm.ipv4) await spawnIn(vm.ns, ['dhclient', '-4', '-d', '-v', ...args('4'), 'eth0'], log('4'));
  if (vm.v6Mode === 'stateful') await spawnIn(vm.ns, ['dhclient', '-6', '-d', '-v', ...args('6'), 'eth0'], log('6'));
  if (vm.v6Mode === 'stateless') await spawnIn(vm.ns, ['dhclient', '-6', '-S', '-d', '-v', ...args('6'), 'eth0'], log('6'));
}

/** What the VM's DHCP client was told, as the hook script recorded it (empty before a lease). */
export async function dhcpState(dir: string, vm: LabVm, family: 4 | 6): Promise<Record<string, string>> {
  try {
    const text = await readFile(path.join(dir, `${vm.name}.dhcp${family}`), 'utf8');
    return Object.fromEntries(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  } catch {
    return {};
  }
}
