// How long the agent's event loop stalled during one apply (an answer to a
// liveness probe waits at least that long): sampled only while an apply runs.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export class LoopDelay {
  private readonly histogram = monitorEventLoopDelay({ resolution: 2 });

  start(): void {
    this.histogram.reset();
    this.histogram.enable();
  }

  /** p99 and max in ms since start(); sampling stops */
  stop(): { loop_p99_ms: number; loop_max_ms: number } {
    this.histogram.disable();
    const ms = (ns: number) => Math.round((Number.isFinite(ns) ? ns : 0) / 1e5) / 10;
    return { loop_p99_ms: ms(this.histogram.percentile(99)), loop_max_ms: ms(this.histogram.max) };
  }
}
