// Work in stages: a generator that yields between the parts of a long piece of
// work (checking, normalising, rendering a large body), so that the runtime can
// answer other requests in between (features/kit/staged.ts builds on this).
// Without a runtime, runStages does the whole of it at once.

export type Stages<T> = Generator<void, T, void>;

/** every stage now */
export function runStages<T>(work: Stages<T>): T {
  for (;;) {
    const r = work.next();
    if (r.done) return r.value;
  }
}

/**
 * How much of a body a stage takes on before it lets other work in: networks, subnets,
 * allocations and the lists in them, one each. A network is never split: a stage ends
 * after the network that reaches this.
 */
export const STAGE_ENTRIES = 200;

/** a list's length, or an object's number of keys (allocations give their addresses as keys) */
const lengthOf = (v: unknown): number => (Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0);
const field = (o: unknown, key: string): unknown => (o && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined);

/** the entries of a list of objects, each with the lengths of its own lists named in `inner` */
function entriesOfList(list: unknown, inner: string[]): number {
  if (!Array.isArray(list)) return 0;
  let n = list.length;
  for (const item of list) for (const key of inner) n += lengthOf(field(item, key));
  return n;
}

/** a network entry of a body (checked or not), counted as STAGE_ENTRIES counts */
export function entriesOf(network: unknown): number {
  return (
    1 +
    lengthOf(field(field(network, 'interface'), 'addresses')) +
    entriesOfList(field(network, 'subnets'), ['dns_nameservers', 'host_routes']) +
    entriesOfList(field(network, 'allocations'), ['ip_addresses']) +
    entriesOfList(field(network, 'address_allocations'), ['ip_addresses'])
  );
}
