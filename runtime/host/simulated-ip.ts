// The part of iproute2 the fake host understands: the `ip -batch` lines the
// planner writes, applied to a simulated set of links and routes.
import type { LinkFact, RouteFact } from '../../features/kit/facts.ts';

export interface IpState {
  links: LinkFact[];
  routes: RouteFact[];
  neighbours?: { address: string; mac: string; dev: string }[];
}

const family = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

/** Applies one batch; returns the first error as ip would print it, or null. */
export function applyIpBatch(state: IpState, input: string, force: boolean): string | null {
  let firstError: string | null = null;
  for (const line of input.split('\n').filter(Boolean)) {
    const error = applyLine(state, line.trim().split(/\s+/));
    if (error) {
      firstError ??= `Command failed -:${line}: ${error}`;
      if (!force) return firstError;
    }
  }
  return firstError;
}

/**
 * A strict batch that fails at the first line containing `failing` (a failure a test injects): the
 * lines before it apply, as ip applies them. Answers where it stopped, as ip prints it; null when
 * no line has the text.
 */
export function applyIpBatchUntil(state: IpState, input: string, failing: string): string | null {
  const lines = input.split('\n');
  const at = lines.findIndex((l) => l.includes(failing));
  if (at < 0) return null;
  // a line before it may fail first, and then ip stops there
  return applyIpBatch(state, lines.slice(0, at).join('\n'), false) ?? `Command failed -:${at + 1}`;
}

function link(state: IpState, name: string | undefined): LinkFact | undefined {
  return state.links.find((l) => l.ifname === name);
}

function applyLine(state: IpState, w: string[]): string | null {
  const arg = (k: string) => w[w.indexOf(k) + 1];
  if (w[0] === 'link' && w[1] === 'set') {
    const l = link(state, arg('dev'));
    if (!l) return 'Cannot find device';
    if (w.includes('mtu')) l.mtu = Number(arg('mtu'));
    if (w.includes('up')) l.up = true;
    return null;
  }
  if (w[0] === 'address') {
    const [address = '', prefix = ''] = (w[2] ?? '').split('/');
    const l = link(state, arg('dev'));
    if (!l) return 'Cannot find device';
    const at = l.addresses.findIndex((a) => a.address === address && a.prefixLength === Number(prefix));
    if (w[1] === 'del') {
      if (at < 0) return 'Cannot assign requested address';
      l.addresses.splice(at, 1);
      // the kernel drops routes through a link that lost the address their next hop was reached by
      state.routes = state.routes.filter((r) => !(r.dev === l.ifname && r.family === family(address) && r.protocol === 'static'));
      return null;
    }
    if (w[1] === 'add' && at >= 0) return 'File exists';
    if (at >= 0) l.addresses.splice(at, 1);
    l.addresses.push({ address, prefixLength: Number(prefix), family: family(address), scope: 'global', permanent: true });
    return null;
  }
  if (w[0] === 'neigh' && w[1] === 'replace') {
    const dev = arg('dev') ?? '';
    if (!link(state, dev)) return 'Cannot find device';
    state.neighbours = (state.neighbours ?? []).filter((n) => !(n.address === w[2] && n.dev === dev));
    state.neighbours.push({ address: w[2] ?? '', mac: arg('lladdr') ?? '', dev });
    return null;
  }
  if (w[0] === 'route') {
    const dst = w[2] === '::/0' ? 'default' : (w[2] ?? '');
    const fam = w[2] === '::/0' || (w[2] ?? '').includes(':') || (w.includes('via') && family(arg('via') ?? '') === 6) ? 6 : 4;
    const gateway = w.includes('via') ? (arg('via') ?? null) : null;
    const dev = arg('dev') ?? null;
    if (!link(state, dev ?? undefined)) return 'Cannot find device';
    const same = (r: RouteFact) => r.family === fam && r.dst === dst;
    if (w[1] === 'del') {
      const before = state.routes.length;
      state.routes = state.routes.filter((r) => !(same(r) && r.dev === dev && (!gateway || r.gateway === gateway)));
      return state.routes.length === before ? 'No such process' : null;
    }
    state.routes = state.routes.filter((r) => !same(r));
    state.routes.push({ family: fam, dst, gateway, dev, protocol: w.includes('proto') ? (arg('proto') ?? null) : 'boot' });
    return null;
  }
  return `unknown command ${w.join(' ')}`;
}
