// Gratuitous ARPs for new addresses, sent after the apply has answered and a
// few at a time: a large push adds hundreds of floating IPs, and hundreds of
// processes at once would stall the agent's event loop (and its liveness probe).
import type { Step } from '../features/kit/step.ts';
import type { HostPort } from './host/port.ts';
import type { Logger } from './log.ts';

type Announcement = Extract<Step, { kind: 'announce' }>;

export class Announcer {
  private queue: Announcement[] = [];
  private active = 0;

  constructor(
    private readonly host: HostPort,
    private readonly log: Logger,
    private readonly concurrency = 4,
  ) {}

  get pending(): number {
    return this.queue.length + this.active;
  }

  announce(items: Announcement[]): void {
    // a newer announcement of the same address replaces a queued one
    const fresh = new Set(items.map((i) => `${i.ifname}/${i.address}`));
    this.queue = [...this.queue.filter((q) => !fresh.has(`${q.ifname}/${q.address}`)), ...items];
    while (this.active < this.concurrency && this.queue.length > 0) void this.next();
  }

  private async next(): Promise<void> {
    const item = this.queue.shift();
    if (!item) return;
    this.active += 1;
    try {
      const r = await this.host.run(item.argv, { timeoutMs: 3000, background: true });
      if (r.exitCode !== 0) this.log.warn('garp.failed', { ifname: item.ifname, address: item.address, stderr: r.stderr.trim() });
    } finally {
      this.active -= 1;
    }
    if (this.queue.length > 0) await this.next();
  }
}
