// Time from a PUT that brings a site-to-site VPN up to the first packet
// through the tunnel: the lab of test/cases/vpn-site (remote strongSwan sites
// at the peers' addresses), the section removed (charon stopped, tunnels torn
// down), then the PUT with it again and a VM's ping to the remote host every
// few milliseconds until the first reply. Also the PUT's own latency.
// `npm run bench -- --only vpn`, or `node --import tsx bench/vpn.ts` alone.
import { readFileSync } from 'node:fs';
import { labDown } from '../lab/lab.ts';
import { inNs } from '../lab/netns.ts';
import { testdataPayload } from '../lab/paths.ts';
import { scratchLab } from '../lab/scratch.ts';
import { progress, type Summary, summarize } from './stats.ts';

export interface VpnBench {
  runs: number;
  /** PUT sent -> first echo reply from the remote host through the tunnel */
  put_to_first_packet_ms: Summary;
  /** PUT sent -> its 200 */
  put_ms: Summary;
}

export async function benchVpn(opts: { prefix: string; runs: number; register?: (p: string) => void }): Promise<VpnBench> {
  opts.register?.(opts.prefix);
  const text = readFileSync(testdataPayload('vpn-site'), 'utf8');
  const without = JSON.parse(text);
  delete without.vpn;
  const lab = await scratchLab({ prefix: opts.prefix, payload: testdataPayload('vpn-site'), push: true, dhcp: true, maxVmsPerNetwork: 1 });
  try {
    const vm = lab.topo.vms[0];
    const site = lab.topo.vpn?.[0];
    if (!vm || !site) throw new Error('the vpn-site lab has no VM or no remote site');
    await lab.waitFor(async () => !!(await lab.dhcpState(vm, 4)).ip, 20_000, 'the VM lease');
    const ping = () => inNs(vm.ns, ['ping', '-c', '1', '-W', '0.2', site.hostAddress]);
    const first: number[] = [];
    const put: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      progress(`vpn: run ${i + 1}/${opts.runs}`);
      if ((await lab.push(JSON.stringify(without))).status !== 200) throw new Error('the push without the VPN failed');
      const t0 = performance.now();
      const answer = lab.push(text).then((r) => {
        put.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`the VPN push answered ${r.status}`);
      });
      let reached = false;
      while (performance.now() - t0 < 30_000) {
        if ((await ping()).exitCode === 0) {
          first.push(performance.now() - t0);
          reached = true;
          break;
        }
      }
      await answer;
      if (!reached) throw new Error('no packet through the tunnel within 30 s');
    }
    return { runs: opts.runs, put_to_first_packet_ms: summarize(first, 1), put_ms: summarize(put, 1) };
  } finally {
    await lab.agent?.stop();
    await labDown(opts.prefix);
  }
}

export function printVpn(v: VpnBench): void {
  const row = (name: string, s: Summary) => `| ${name} | ${s.n} | ${s.min} | ${s.median} | ${s.p99} | ${s.max} |`;
  console.log('\n## VPN: PUT of the vpn-site case (tunnels down before) to the first ping reply through the tunnel (ms)');
  console.log('| measure | n | min | median | p99 | max |\n| --- | --- | --- | --- | --- | --- |');
  console.log(row('PUT -> first packet through the tunnel', v.put_to_first_packet_ms));
  console.log(row('PUT -> 200', v.put_ms));
}

if (process.argv[1]?.endsWith('bench/vpn.ts')) {
  benchVpn({ prefix: `bv${(process.pid % 36 ** 3).toString(36)}`, runs: 5 }).then(
    (v) => printVpn(v),
    (err) => {
      process.stderr.write(`bench vpn: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
