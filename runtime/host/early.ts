// The command helper of `appliance serve`, started first thing
// (runtime/main.ts), before the agent's own modules load: the helper is a
// second node process, and its boot (about 100 ms on a small VM) then overlaps
// the agent's instead of delaying the first command (the first liveness probe
// runs iptables -L). Only node:child_process and the helper's source load here.
import type { ChildProcess } from 'node:child_process';
import { spawnHelper } from './helper-source.ts';

let early: ChildProcess | null = null;

export function startHelperEarly(): void {
  if (early) return;
  const child = spawnHelper();
  // an error before the agent takes it (no node binary, no memory) must not throw: the Spawner replaces it
  child.once('error', () => {});
  // the helper holds the event loop open only once the agent owes it answers
  child.unref();
  for (const s of [child.stdin, child.stdout] as { unref?: () => void }[]) s?.unref?.();
  early = child;
}

/** the helper startHelperEarly made, once */
export function takeEarlyHelper(): ChildProcess | null {
  const child = early;
  early = null;
  return child;
}
