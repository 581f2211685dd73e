// The lab's topology, derived from a payload: which namespaces, links and
// addresses stand in for the orchestrator, the upstream router and the VMs.
import type { Model, Network, V6Mode } from '../schema/model.ts';
import { firstAddress } from '../schema/model-reads.ts';
import { cidrContains } from '../schema/syntax.ts';
import type { LabVpnSite } from './vpn.ts';

export interface LabNic {
  index: number;
  routerIf: string; // in the router namespace
  bridge: string; // in the switch namespace
  swPort: string; // the router NIC's peer, in the switch namespace
  networkId: string | null;
  type: string | null;
}

export interface LabVm {
  name: string;
  ns: string;
  index: number; // geN of its network
  networkId: string;
  mac: string;
  hostname: string;
  deviceId: string;
  ipv4: string | null;
  ipv6: string[];
  v6Mode: V6Mode | null;
  floating: string | null;
}

export interface LabTopology {
  prefix: string;
  dir: string;
  routerNs: string;
  switchNs: string;
  nics: LabNic[];
  mgmt: {
    ns: string;
    index: number;
    cidrs: string[];
    routerAddress: string;
    routerCidr: string;
    orchestrator: { address: string; port: number };
  } | null;
  ext: {
    ns: string;
    index: number;
    cidrs: string[];
    httpPort: number;
    bgp: { localAs: number; peerAs: number; local: string; peer: string } | null;
  } | null;
  vms: LabVm[];
  /** the agent's entry script when not the default */
  agentEntry?: string;
  /** an HA pair's routers, primary first (lab/ha.ts) */
  routers?: { ns: string; root: string; managementAddress: string; priority: number }[];
  /** remote VPN sites, one per enabled connection (lab/vpn.ts) */
  vpn?: LabVpnSite[];
}

export const EXT_HTTP_PORT = 8080;
export const VM_HTTP_PORT = 8080;
export const TCP_ECHO_PORT = 7000;

function isRouterPort(n: Network, ips: string[]): boolean {
  const own = new Set(n.addresses.map((a) => a.address));
  return ips.some((ip) => own.has(ip));
}

export function buildTopology(model: Model, prefix: string, dir: string, maxVmsPerNetwork = 4): LabTopology {
  const maxIndex = Math.max(-1, ...model.networks.map((n) => n.index));
  const nics: LabNic[] = [];
  for (let i = 0; i <= maxIndex; i++) {
    const n = model.networks.find((x) => x.index === i) ?? null;
    nics.push({ index: i, routerIf: `eth${i}`, bridge: `br${i}`, swPort: `r${i}`, networkId: n?.id ?? null, type: n?.type ?? null });
  }

  const mgtNet = model.management;
  const mgtAddr = mgtNet?.addresses[0] ?? null;
  const mgmt =
    mgtNet && mgtAddr
      ? {
          ns: `${prefix}-mgt`,
          index: mgtNet.index,
          cidrs: [`${model.orchestrator.address}/${mgtAddr.prefixLength}`],
          routerAddress: mgtAddr.address,
          routerCidr: mgtAddr.cidr,
          orchestrator: model.orchestrator,
        }
      : null;

  const extNet = model.external;
  let ext: LabTopology['ext'] = null;
  if (extNet) {
    const cidrs = extNet.subnets.filter((s) => s.gateway).map((s) => `${s.gateway}/${s.prefixLength}`);
    const v4gw = model.defaultV4Gateway?.address;
    if (v4gw && !cidrs.some((c) => c.startsWith(`${v4gw}/`))) {
      const holder = extNet.addresses.find((a) => a.family === 4 && cidrContains(a.address, a.prefixLength, v4gw));
      cidrs.push(`${v4gw}/${holder?.prefixLength ?? 32}`);
    }
    const routerV6 = firstAddress(extNet, 6);
    const gwV6 = model.defaultV6Gateway?.address ?? null;
    ext = {
      ns: `${prefix}-ext`,
      index: extNet.index,
      cidrs,
      httpPort: EXT_HTTP_PORT,
      bgp: routerV6 && gwV6 ? { localAs: model.neighborAsn, peerAs: model.asn, local: gwV6, peer: routerV6 } : null,
    };
  }

  const vms: LabVm[] = [];
  for (const n of model.internal) {
    const candidates = n.allocations.filter(
      (a) =>
        !isRouterPort(
          n,
          a.ipAddresses.map((ip) => ip.address),
        ),
    );
    for (const a of candidates.slice(0, maxVmsPerNetwork)) {
      const name = `vm${vms.length + 1}`;
      const v4 = a.ipAddresses.find((ip) => ip.family === 4)?.address ?? null;
      const v6subnet = n.subnets.find((s) => s.family === 6) ?? null;
      vms.push({
        name,
        ns: `${prefix}-${name}`,
        index: n.index,
        networkId: n.id,
        mac: a.mac,
        hostname: a.hostname,
        deviceId: a.deviceId,
        ipv4: v4,
        ipv6: a.ipAddresses.filter((ip) => ip.family === 6).map((ip) => ip.address),
        v6Mode: v6subnet?.v6Mode ?? null,
        floating: model.floatingIps.find((f) => f.fixed === v4)?.floating ?? null,
      });
    }
  }
  return { prefix, dir, routerNs: `${prefix}-rt`, switchNs: `${prefix}-sw`, nics, mgmt, ext, vms };
}
