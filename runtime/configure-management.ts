// `appliance configure-management`: the first-boot step that puts the
// management address on the NIC with the given MAC (any NIC, not only the first).
import { canonicalMac, parseCidr } from '../schema/syntax.ts';
import type { HostPort } from './host/port.ts';
import { RealHost } from './host/real.ts';

export async function configureManagement(
  opts: { mac?: string; address?: string; mtu?: string },
  host: HostPort = new RealHost(),
): Promise<number> {
  const mac = opts.mac ? canonicalMac(opts.mac) : null;
  const cidr = opts.address ? parseCidr(opts.address) : null;
  const mtu = opts.mtu === undefined ? null : Number(opts.mtu);
  if (!mac || !cidr || (mtu !== null && !(Number.isInteger(mtu) && mtu >= 1280 && mtu <= 65535))) {
    process.stderr.write('usage: appliance configure-management --mac MAC --address IP/PREFIX [--mtu 1280..65535]\n');
    return 2;
  }
  const link = (await host.links()).find((l) => l.mac === mac);
  if (!link) {
    process.stderr.write(`no interface has MAC ${mac}\n`);
    return 1;
  }
  const commands: string[] = [];
  if (mtu !== null && link.mtu !== mtu) commands.push(`link set dev ${link.ifname} mtu ${mtu}`);
  if (!link.up) commands.push(`link set dev ${link.ifname} up`);
  if (cidr.family === 6) await host.writeSysctl(`net/ipv6/conf/${link.ifname}/accept_dad`, '0');
  if (!link.addresses.some((a) => a.address === cidr.address && a.prefixLength === cidr.prefixLength)) {
    commands.push(`address add ${cidr.address}/${cidr.prefixLength}${cidr.family === 4 ? ' brd +' : ' nodad'} dev ${link.ifname}`);
  }
  if (commands.length) {
    const r = await host.run(['ip', '-batch', '-'], { input: `${commands.join('\n')}\n` });
    if (r.exitCode !== 0) {
      process.stderr.write(`ip -batch failed: ${r.stderr}`);
      return 1;
    }
  }
  process.stdout.write(
    `${JSON.stringify({ ifname: link.ifname, mac, address: `${cidr.address}/${cidr.prefixLength}`, changes: commands })}\n`,
  );
  return 0;
}
