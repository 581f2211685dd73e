// How long the agent's event loop stalled during one apply (an answer to a
// liveness probe waits at least that long): sampled only while an apply runs.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export class LoopDelay {
  /** made on the first apply: creating it costs start-up several ms on a small VM */
  private histogram: ReturnType<typeof monitorEventLoopDelay> | null = null;

  start(): void {
    this.histogram ??= monitorEventLoopDelay({ resolution: 2 });
    this.histogram.reset();
    this.histogram.enable();
  }

  /** p99 and max in ms since start(); sampling stops */
  stop(): { loop_p99_ms: number; loop_max_ms: number } {
    const h = this.histogram;
    if (!h) return { loop_p99_ms: 0, loop_max_ms: 0 };
    h.disable();
    const ms = (ns: number) => Math.round((Number.isFinite(ns) ? ns : 0) / 1e5) / 10;
    return { loop_p99_ms: ms(h.percentile(99)), loop_max_ms: ms(h.max) };
  }
}

/** the next turn of the event loop, after the I/O that is waiting (setImmediate) */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
