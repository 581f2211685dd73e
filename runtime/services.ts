// The supervised services of a router: one Daemon per feature that declares
// one, and the metadata proxy inside the agent's process.
import type { ServiceFact } from '../features/kit/facts.ts';
import type { Feature } from '../features/kit/feature.ts';
import type { RootLayout } from '../features/kit/layout.ts';
import type { MetadataTable } from '../schema/model.ts';
import type { HostPort } from './host/port.ts';
import type { Logger } from './log.ts';
import { Daemon } from './supervisor.ts';

/** The in-process metadata proxy as the agent drives it (runtime/metadata/proxy.ts, or a fake). */
export interface MetadataService {
  apply(table: MetadataTable): Promise<unknown>;
  close(): Promise<void>;
}

export class Services {
  readonly daemons = new Map<string, Daemon>();
  private metadataApplied = false;

  constructor(
    features: readonly Feature[],
    layout: RootLayout,
    host: HostPort,
    log: Logger,
    readonly metadata: MetadataService,
  ) {
    for (const f of features) {
      const spec = f.daemon?.(layout);
      if (spec) this.daemons.set(spec.name, new Daemon(spec, host, log));
    }
  }

  daemon(name: string): Daemon {
    const d = this.daemons.get(name);
    if (!d) throw new Error(`no daemon named ${name}`);
    return d;
  }

  facts(): Record<string, ServiceFact> {
    const out: Record<string, ServiceFact> = { metadata: { running: this.metadataApplied, pid: null } };
    for (const [name, d] of this.daemons) out[name] = d.fact();
    return out;
  }

  async adopt(): Promise<void> {
    await Promise.all([...this.daemons.values()].map((d) => d.adopt()));
  }

  async applyMetadata(table: MetadataTable): Promise<void> {
    await this.metadata.apply(table);
    this.metadataApplied = true;
  }

  async close(): Promise<void> {
    await this.metadata.close();
    for (const d of this.daemons.values()) d.detach();
  }
}
