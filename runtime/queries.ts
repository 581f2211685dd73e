// Read-only commands for the API (status probes, the firewall listing), and
// the check that an apply left the API an address to be reached on.

import type { Step } from '../features/kit/step.ts';
import type { QueryResult } from '../handlers/context.ts';
import { ApplyError } from './executor.ts';
import type { HostPort } from './host/port.ts';
import type { Logger } from './log.ts';

/** Identical commands in flight are shared: 50 liveness probes need not start 100 processes. */
export class SharedQueries {
  private readonly inflight = new Map<string, Promise<QueryResult>>();

  constructor(
    private readonly host: HostPort,
    private readonly log: Logger,
  ) {}

  run(steps: Step[]): Promise<QueryResult[]> {
    return Promise.all(
      steps.map((s) => (s.kind === 'run' ? this.one(s.argv) : Promise.resolve({ exitCode: -1, stdout: '', stderr: 'not a command' }))),
    );
  }

  private one(argv: string[]): Promise<QueryResult> {
    const key = JSON.stringify(argv);
    let p = this.inflight.get(key);
    if (!p) {
      // a client waits for it: ahead of an apply's commands when the CPUs are busy
      p = this.host.run(argv, { timeoutMs: 2500, urgent: true }).then((r) => {
        if (r.exitCode !== 0) this.log.warn('query.failed', { argv, exit_code: r.exitCode, stderr: r.stderr.trim().slice(0, 500) });
        return r;
      });
      this.inflight.set(key, p);
      void p.finally(() => this.inflight.delete(key));
    }
    return p;
  }
}

/** After the changes, before anything is saved: the API must still have an address to be reached on. */
export async function assertReachable(host: HostPort, apiAddresses: readonly string[]): Promise<void> {
  const listening = apiAddresses.filter((a) => a !== '0.0.0.0' && a !== '::');
  if (listening.length === 0) return;
  const present = new Set((await host.links()).flatMap((l) => l.addresses.map((a) => a.address)));
  if (listening.some((a) => present.has(a))) return;
  throw new ApplyError({
    index: -1,
    step: 'api reachability',
    argv: [],
    exitCode: null,
    stderr: `no address the API listens on is left on the router (${listening.join(', ')})`,
  });
}
