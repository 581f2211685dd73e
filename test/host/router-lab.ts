// The lab of the router-lab suites: floating-ips.json, with one VM left
// without a floating IP, a DNS server and a host route on the first tenant
// subnet; two VMs per network, every host service, DHCP clients, first boot
// through `appliance configure-management`, as `appliance lab up` builds it.
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from '../../lab/lab.ts';
import { payload, removeLab, scratchLab, uniquePrefix } from '../../lab/scratch.ts';

// biome-ignore lint/suspicious/noExplicitAny: payloads are JSON the tests edit freely
export type Body = Record<string, any>;

export function mainPayload(): Body {
  const body = payload('floating-ips');
  body.floating_ips = body.floating_ips.filter((f: Body) => f.fixed_ip !== '10.0.0.4');
  const subnet = body.networks[2].subnets[0];
  subnet.dns_nameservers = ['10.0.0.53'];
  subnet.host_routes = [{ destination: '192.168.200.0/24', nexthop: '10.0.0.254' }];
  return body;
}

export interface MainLab {
  lab: Lab;
  /** the configuration the router should have: the tests that change it keep it up to date */
  payload: Body;
  remove(): Promise<void>;
}

/** The lab; with `push`, configured and with every VM's IPv4 lease. */
export async function mainLab(push: boolean): Promise<MainLab> {
  const body = mainPayload();
  const prefix = uniquePrefix();
  const file = path.join(os.tmpdir(), `appliance-lab-${prefix}.json`);
  await writeFile(file, JSON.stringify(body));
  const lab = await scratchLab({
    prefix,
    payload: file,
    push,
    dhcp: true,
    services: true,
    configureManagement: true,
    maxVmsPerNetwork: 2,
  });
  const remove = async () => {
    await removeLab(lab);
    await rm(file, { force: true });
  };
  try {
    if (push) {
      for (const v of lab.topo.vms) await lab.waitFor(async () => !!(await lab.dhcpState(v, 4)).ip, 20_000, `${v.name}'s lease`);
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { lab, payload: body, remove };
}

export const json = (text: string) => JSON.parse(text) as Body;

/** A GET from a host of the lab to one of lab/echo.mjs's servers: its JSON answer. */
export async function fetchFrom(lab: Lab, ns: string, url: string, timeoutS = 5) {
  const r = await lab.http(ns, 'GET', url, { timeoutS });
  return { status: r.status, body: r.status === 200 ? json(r.body) : null };
}

/** A PUT of the body from the management host. */
export async function push(lab: Lab, body: Body) {
  const r = await lab.push(JSON.stringify(body));
  return { status: r.status, headers: r.headers, body: r.body ? json(r.body) : null };
}

/** A daemon's pid, from the pid file the agent keeps under its root. */
export const pidOf = (lab: Lab, name: string) => Number(readFileSync(path.join(lab.root, 'run', `${name}.pid`), 'utf8').trim());
