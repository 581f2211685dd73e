// Gratuitous ARPs for new addresses, sent after the apply has answered and a
// few at a time: a large push adds hundreds of floating IPs, and hundreds of
// processes at once would stall the agent's event loop (and its liveness probe).
import type { Host } from './host.ts';
import type { Logger } from './log.ts';

export class Announcer {
  private queue: { ifname: string; address: string }[] = [];
  private active = 0;

  constructor(
    private readonly host: Host,
    private readonly log: Logger,
    private readonly concurrency = 4,
  ) {}

  get pending(): number {
    return this.queue.length + this.active;
  }

  announce(items: { ifname: string; address: string }[]): void {
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
      const r = await this.host.run(['arping', '-U', '-c', '1', '-I', item.ifname, item.address], { timeoutMs: 3000 });
      if (r.exitCode !== 0) this.log.warn('garp.failed', { ...item, stderr: r.stderr.trim() });
    } finally {
      this.active -= 1;
    }
    if (this.queue.length > 0) await this.next();
  }
}
