// Work in stages: a generator that yields between the long parts of its work
// (validating, rendering, planning a large body). The runtime lets other
// requests in at each yield, so a liveness probe waits behind one stage
// instead of the whole render; without a runtime (tests, `appliance plan`,
// `appliance render`) the stages run straight through.

import { runStages, type Stages } from '../../schema/stages.ts';

export type Staged<T> = Stages<T>;

export function isStaged<T>(x: T | Staged<T>): x is Staged<T> {
  return typeof x === 'object' && x !== null && typeof (x as { next?: unknown }).next === 'function' && Symbol.iterator in x;
}

/** runs every stage now */
export function finish<T>(work: T | Staged<T>): T {
  return isStaged(work) ? runStages(work) : work;
}

/** runs the stages with `pause` between them (the runtime's turn of its event loop) */
export async function finishPaused<T>(work: T | Staged<T>, pause: () => Promise<void>): Promise<T> {
  if (!isStaged(work)) return work;
  for (;;) {
    const r = work.next();
    if (r.done) return r.value;
    await pause();
  }
}

/** `yield* stagesOf(x)` in a generator: x's stages, or x itself when it came whole */
export function* stagesOf<T>(work: T | Staged<T>): Staged<T> {
  return isStaged(work) ? yield* work : work;
}
