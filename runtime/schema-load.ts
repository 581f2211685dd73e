// Loads runtime/schema-kit.ts (zod, the schema, the validation) on the first
// request that needs it, once: start-up does not pay for building the schema.
import type { SchemaKit } from '../handlers/context.ts';

let loading: Promise<SchemaKit> | null = null;

/** the kit, imported once (a failed import is tried again on the next call) */
export function loadSchemaKit(): Promise<SchemaKit> {
  loading ??= import('./schema-kit.ts').then(
    (m) => m.schemaKit,
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

/**
 * What the first PUT needs and start-up does not (the kit: zod and the schema, about 80 ms of one CPU; the
 * host's fact readers) is made ready in the background once the agent has answered a request (on a timer:
 * the response is written by the time it fires), or a while after start-up when nothing asks: the orchestrator polls a new router
 * until it answers, then pushes, and that first PUT need not wait for them.
 */
export const WARM_AFTER_MS = { answer: 1, start: 1000 } as const;

export type WarmAfter = keyof typeof WARM_AFTER_MS;

/** `warm(after)` calls `load` once, at the soonest time asked for; later asks change nothing. */
export function warmer(load: () => Promise<unknown>, delays: Record<WarmAfter, number> = WARM_AFTER_MS) {
  let timer: NodeJS.Timeout | null = null;
  let due = Number.POSITIVE_INFINITY;
  let done = false;
  return (after: WarmAfter, onError: (err: unknown) => void): void => {
    const at = performance.now() + delays[after];
    if (done || at >= due) return;
    if (timer) clearTimeout(timer);
    due = at;
    timer = setTimeout(() => {
      done = true;
      load().catch(onError);
    }, delays[after]);
    timer.unref();
  };
}
