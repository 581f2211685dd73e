// The payload variants the apply and API benchmarks push: one allocation
// moved to a free address, one floating IP added.

// biome-ignore lint/suspicious/noExplicitAny: payload JSON, walked by hand
type Body = Record<string, any>;

function v4ToInt(text: string): number {
  return text.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function intToV4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

const isV4 = (a: string) => /^\d+\.\d+\.\d+\.\d+$/.test(a);
const bare = (cidr: string) => cidr.split('/')[0] as string;

function usedAddresses(body: Body): Set<string> {
  const used = new Set<string>();
  for (const n of body.networks as Body[]) {
    for (const a of (n.interface?.addresses ?? []) as string[]) used.add(bare(a));
    for (const s of (n.subnets ?? []) as Body[]) if (s.gateway_ip) used.add(s.gateway_ip);
    for (const a of [...(n.allocations ?? []), ...(n.address_allocations ?? [])] as Body[]) {
      for (const ip of Object.keys(a.ip_addresses ?? {})) used.add(ip);
    }
  }
  for (const f of (body.floating_ips ?? []) as Body[]) used.add(f.floating_ip);
  if (body.default_v4_gateway) used.add(body.default_v4_gateway);
  return used;
}

/** A free IPv4 host address of the subnet, from `skip` addresses after the network address. */
function freeV4(cidr: string, used: Set<string>, skip: number): string {
  const [net, len] = cidr.split('/');
  const base = v4ToInt(net as string);
  const size = 2 ** (32 - Number(len));
  for (let i = skip; i < size - 1; i++) {
    const candidate = intToV4(base + i);
    if (!used.has(candidate)) return candidate;
  }
  throw new Error(`no free address in ${cidr}`);
}

/** A VM's allocation: not the router's own port and without a floating IP. */
function vmAllocations(body: Body): { network: Body; allocation: Body; v4: string }[] {
  const fixed = new Set(((body.floating_ips ?? []) as Body[]).map((f) => f.fixed_ip));
  const out: { network: Body; allocation: Body; v4: string }[] = [];
  for (const n of body.networks as Body[]) {
    if (n.network_type !== 'internal') continue;
    const own = new Set(((n.interface?.addresses ?? []) as string[]).map(bare));
    for (const a of (n.allocations ?? []) as Body[]) {
      const ips = Object.keys(a.ip_addresses ?? {});
      const v4 = ips.find(isV4);
      if (!v4 || ips.some((ip) => own.has(ip)) || fixed.has(v4)) continue;
      out.push({ network: n, allocation: a, v4 });
    }
  }
  return out;
}

export interface Variants {
  base: string;
  allocChanged: string;
  withFip: string;
  describe: { alloc_change: string; fip: string };
}

/**
 * base: the payload as is; allocChanged: one VM's IPv4 address moved to a free
 * address of its subnet; withFip: allocChanged plus one floating IP for another VM.
 */
export function makeVariants(text: string): Variants {
  const body = JSON.parse(text) as Body;
  const used = usedAddresses(body);
  const vms = vmAllocations(body);
  const first = vms[0];
  const second = vms[1];
  if (!first || !second) throw new Error('the payload needs two VM allocations on internal networks');
  const subnet = ((first.network.subnets ?? []) as Body[]).find((s) => isV4(bare(s.cidr)));
  if (!subnet) throw new Error('the VM network has no IPv4 subnet');
  const moved = freeV4(subnet.cidr, used, 2);
  used.add(moved);

  const changed = structuredClone(body);
  const cVm = vmAllocations(changed)[0] as (typeof vms)[number];
  const ips = cVm.allocation.ip_addresses as Record<string, boolean>;
  const dhcp = ips[first.v4] ?? true;
  delete ips[first.v4];
  ips[moved] = dhcp;

  const ext = (body.networks as Body[]).find((n) => n.network_type === 'external');
  const extSubnet = ((ext?.subnets ?? []) as Body[]).find((s) => isV4(bare(s.cidr)));
  if (!extSubnet) throw new Error('the payload has no external IPv4 subnet');
  const floating = freeV4(extSubnet.cidr, used, 10);
  const withFip = structuredClone(changed);
  withFip.floating_ips = [...((withFip.floating_ips ?? []) as Body[]), { floating_ip: floating, fixed_ip: second.v4 }];

  return {
    base: text,
    allocChanged: JSON.stringify(changed),
    withFip: JSON.stringify(withFip),
    describe: {
      alloc_change: `${first.allocation.hostname}: ${first.v4} -> ${moved}`,
      fip: `${floating} -> ${second.v4}`,
    },
  };
}
