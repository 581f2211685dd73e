// The scaling series' payloads, made from large-scale (22 networks, 2,000
// allocations, 200 floating IPs): one series per dimension, the others held.
//   networks      1, 5, 10, 22 (management first, then external, then internal),
//                 their allocations and the floating IPs that point into them
//   allocations   10, 100, 1,000, 4,000 over the 20 internal networks, no floating IPs
//   floating IPs  0, 100, 200, 400 with the 2,000 allocations
// Extra allocations and floating IPs take free addresses of their subnets.

// biome-ignore lint/suspicious/noExplicitAny: payload JSON, walked by hand
type Body = Record<string, any>;

export interface ScalingBody {
  series: 'networks' | 'allocations' | 'floating_ips';
  x: number;
  body: string;
}

const v4ToInt = (t: string) => t.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const intToV4 = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
const isV4 = (a: string) => /^\d+\.\d+\.\d+\.\d+$/.test(a);

function allAddresses(c: Body): Set<string> {
  const used = new Set<string>();
  for (const n of c.networks as Body[]) {
    for (const a of (n.interface?.addresses ?? []) as string[]) used.add(a.split('/')[0] as string);
    for (const s of (n.subnets ?? []) as Body[]) if (s.gateway_ip) used.add(s.gateway_ip);
    for (const a of (n.allocations ?? []) as Body[]) for (const ip of Object.keys(a.ip_addresses ?? {})) used.add(ip);
  }
  for (const f of (c.floating_ips ?? []) as Body[]) used.add(f.floating_ip);
  if (c.default_v4_gateway) used.add(c.default_v4_gateway);
  return used;
}

/** free IPv4 host addresses of a subnet, in order */
function* freeV4(cidr: string, used: Set<string>): Generator<string> {
  const [net, len] = cidr.split('/');
  const base = v4ToInt(net as string);
  for (let i = 2; i < 2 ** (32 - Number(len)) - 1; i++) {
    const a = intToV4(base + i);
    if (used.has(a)) continue;
    used.add(a);
    yield a;
  }
}

const v4Subnet = (n: Body) => ((n.subnets ?? []) as Body[]).find((s) => isV4(String(s.cidr).split('/')[0] ?? ''))?.cidr as string;
const internal = (c: Body) => (c.networks as Body[]).filter((n) => n.network_type === 'internal');
const fixedV4 = (n: Body) => ((n.allocations ?? []) as Body[]).flatMap((a) => Object.keys(a.ip_addresses ?? {}).filter(isV4));

/** `count` allocations spread over the internal networks: the payload's own first, then new ones */
function withAllocations(c: Body, count: number): void {
  const nets = internal(c);
  const used = allAddresses(c);
  const per = nets.map((_, i) => Math.floor(count / nets.length) + (i < count % nets.length ? 1 : 0));
  let serial = 0;
  nets.forEach((n, i) => {
    const want = per[i] as number;
    const own = (n.allocations ?? []) as Body[];
    const kept = own.slice(0, want);
    const free = freeV4(v4Subnet(n), used);
    while (kept.length < want) {
      const ip = free.next().value as string;
      serial += 1;
      const mac = `fa:16:3f:${[16, 8, 0].map((s) => ((serial >> s) & 255).toString(16).padStart(2, '0')).join(':')}`;
      kept.push({
        ip_addresses: { [ip]: true },
        device_id: `bench-${serial}`,
        hostname: `${ip.replaceAll('.', '-')}.local`,
        mac_address: mac,
      });
    }
    n.allocations = kept;
  });
}

/** `count` floating IPs: the payload's own first, then new ones for allocations that have none */
function withFloatingIps(c: Body, count: number): void {
  const own = ((c.floating_ips ?? []) as Body[]).slice(0, count);
  const ext = (c.networks as Body[]).find((n) => n.network_type === 'external');
  if (own.length < count && ext) {
    const taken = new Set(own.map((f) => f.fixed_ip));
    const fixed = internal(c)
      .flatMap(fixedV4)
      .filter((ip) => !taken.has(ip));
    const free = freeV4(v4Subnet(ext), allAddresses(c));
    for (const ip of fixed) {
      if (own.length >= count) break;
      own.push({ floating_ip: free.next().value as string, fixed_ip: ip });
    }
  }
  c.floating_ips = own;
}

export function scalingBodies(text: string): ScalingBody[] {
  const raw = JSON.parse(text) as Body;
  const wrapped = raw.configuration !== undefined;
  const base = (wrapped ? raw.configuration : raw) as Body;
  const out: ScalingBody[] = [];
  const emit = (series: ScalingBody['series'], x: number, c: Body) =>
    out.push({ series, x, body: JSON.stringify(wrapped ? { ...raw, configuration: c } : c) });

  for (const count of [1, 5, 10, 22]) {
    const c = structuredClone(base);
    c.networks = (c.networks as Body[]).slice(0, count);
    const present = new Set((c.networks as Body[]).flatMap(fixedV4));
    const hasExternal = (c.networks as Body[]).some((n) => n.network_type === 'external');
    c.floating_ips = hasExternal ? ((c.floating_ips ?? []) as Body[]).filter((f) => present.has(f.fixed_ip)) : [];
    if (!hasExternal) delete c.default_v4_gateway;
    emit('networks', count, c);
  }
  for (const count of [10, 100, 1000, 4000]) {
    const c = structuredClone(base);
    c.floating_ips = [];
    withAllocations(c, count);
    emit('allocations', count, c);
  }
  for (const count of [0, 100, 200, 400]) {
    const c = structuredClone(base);
    withFloatingIps(c, count);
    emit('floating_ips', count, c);
  }
  return out;
}

/** the smallest configuration of the series (management only): pushed before each point */
export function resetBody(points: ScalingBody[]): string {
  return (points.find((p) => p.series === 'networks' && p.x === 1) as ScalingBody).body;
}
