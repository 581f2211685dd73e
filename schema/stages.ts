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

/** how much of a body one stage takes on: networks, subnets and allocations, one each */
export const STAGE_ENTRIES = 200;

/** a network entry of a body (checked or not) counted as STAGE_ENTRIES counts */
export function entriesOf(network: unknown): number {
  if (!network || typeof network !== 'object') return 1;
  const n = network as Record<string, unknown>;
  const length = (v: unknown) => (Array.isArray(v) ? v.length : 0);
  return 1 + length(n.subnets) + length(n.allocations) + length(n.address_allocations);
}
