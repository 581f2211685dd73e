// `appliance lab status`: the lab's summary as an operator reads it. The
// interfaces as the management host's GET sees them, the VMs' leases, the BGP
// peer's view and a metadata request from a VM.
import { haStatusLines } from './ha.ts';
import { Lab } from './lab.ts';
import { siteSas } from './vpn.ts';

interface ApiInterface {
  ifname: string;
  lladdr: string;
  state: string;
  mtu: number;
  addresses: string[];
}

export async function labStatus(prefix: string): Promise<string> {
  const lab = await Lab.load(prefix);
  const t = lab.topo;
  const out: string[] = [
    `lab ${prefix}: router namespace ${t.routerNs}, agent pid ${(await lab.agentPid()) ?? 'not running'}, root ${lab.root}`,
  ];
  const ifs = await lab.api('GET', '/v1/system/interfaces');
  out.push(`interfaces (GET /v1/system/interfaces from the management host: ${ifs.status})`);
  if (ifs.status === 200) {
    for (const i of (JSON.parse(ifs.body) as { interfaces: ApiInterface[] }).interfaces) {
      out.push(
        `  ${i.ifname.padEnd(5)} ${i.lladdr} ${i.state.padEnd(4)} mtu ${i.mtu}  ${i.addresses.filter((a) => !a.startsWith('fe80')).join(' ')}`,
      );
    }
  }
  out.push('VMs (DHCP leases):');
  for (const vm of t.vms) {
    const d4 = await lab.dhcpState(vm, 4);
    const d6 = await lab.dhcpState(vm, 6);
    const addrs = (await lab.vmAddresses(vm).catch(() => ''))
      .split('\n')
      .map((l) => l.split(/\s+/)[3])
      .filter((a): a is string => !!a && !a.startsWith('fe80'));
    out.push(
      `  ${vm.name.padEnd(5)} ${vm.mac} v4 ${d4.ip ?? '-'} host ${d4.hostname || '-'} dns ${d4.dns || '-'} v6 ${vm.v6Mode ?? '-'}${d6.ip6 ? ` ${d6.ip6}` : ''}  addresses ${addrs.join(' ')}`,
    );
  }
  if (t.ext?.bgp) {
    const bgp = await lab.bgpState();
    out.push(`BGP (external peer): ${bgp.state}; learned ${bgp.learned.length ? bgp.learned.join(' ') : 'nothing'}`);
  }
  const probe = t.vms.find((v) => v.ipv4);
  if (probe) {
    const md = await lab.http(probe.ns, 'GET', 'http://169.254.169.254/latest/meta-data/instance-id', { timeoutS: 5 });
    let seen = '';
    try {
      const echo = JSON.parse(md.body) as { headers: Record<string, string> };
      seen = ` X-Instance-ID ${echo.headers['x-instance-id']} X-Forwarded-For ${echo.headers['x-forwarded-for']}`;
    } catch {
      seen = ` ${md.body.slice(0, 80)}`;
    }
    out.push(`metadata from ${probe.name}: ${md.status || 'unreachable'}${seen}`);
  }
  out.push(...(await haStatusLines(lab)));
  if (t.vpn?.length) {
    const vpn = await lab.api('GET', '/v1/system/vpn');
    out.push(`VPN (GET /v1/system/vpn: ${vpn.status}):`);
    const states =
      vpn.status === 200
        ? (JSON.parse(vpn.body).connections as {
            id: string;
            state: string;
            since_s: number | null;
            changed_at: string | null;
            last_error: string | null;
          }[])
        : [];
    for (const c of states) {
      const since = c.since_s !== null ? ` for ${c.since_s}s` : c.changed_at ? ` since ${c.changed_at}` : '';
      out.push(`  ${c.id} ${c.state}${since}${c.last_error ? ` (${c.last_error})` : ''}`);
    }
    for (const site of t.vpn) {
      const sas = (await siteSas(site)).trim().split('\n')[0] || 'no SA';
      out.push(`  site ${site.ns} (${site.peerAddress}, host ${site.hostAddress} in ${site.hostNs}): ${sas}`);
    }
  }
  return `${out.join('\n')}\n`;
}
