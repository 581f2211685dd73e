// The command helper of `appliance serve`, started before the agent's own
// modules are loaded (runtime/main.ts): the helper is a second node process,
// and its boot then overlaps the agent's instead of delaying the first
// command (the first liveness probe runs iptables -L).
import { RealHost } from './real.ts';

let early: RealHost | null = null;

export function warmEarly(): void {
  early ??= new RealHost();
  early.warm();
}

/** the host warmEarly made, once */
export function takeEarly(): RealHost | null {
  const host = early;
  early = null;
  return host;
}
