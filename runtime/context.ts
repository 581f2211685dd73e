// The snapshot a handler receives: only what its route needs (handlers/routes.ts
// `needs`), gathered from the host, the supervised services and the agent's state.
import { ROLE_FILE } from '../features/ha/render.ts';
import type { Facts, ServiceFact } from '../features/kit/facts.ts';
import type { RootLayout } from '../features/kit/layout.ts';
import type { AgentState, Context, HaFact, Need, RenderMemo } from '../handlers/context.ts';
import type { HostPort } from './host/port.ts';
import type { Metrics } from './metrics.ts';
import { loadSchemaKit } from './schema-load.ts';

export interface ContextSources {
  host: HostPort;
  layout: RootLayout;
  state: AgentState;
  memo: RenderMemo | null;
  metrics: Metrics;
  services: () => Record<string, ServiceFact>;
  facts: () => Promise<Facts>;
}

/** The role keepalived's transition script wrote (features/ha/template.ts), and whether the daemons run. */
async function haFact(src: ContextSources): Promise<HaFact> {
  const [role, since] = ((await src.host.readFile(src.layout.file(ROLE_FILE))) ?? '').trim().split(/\s+/);
  const services = src.services();
  return {
    role: role || null,
    since: since ? Number(since) : null,
    keepalived: services.keepalived?.running === true,
    conntrackd: services.conntrackd?.running === true,
  };
}

export async function gatherContext(needs: readonly Need[], src: ContextSources): Promise<Context> {
  const facts = needs.includes('facts') ? await src.facts() : null;
  const links = facts?.links ?? (needs.includes('links') ? await src.host.links() : null);
  const metrics = needs.includes('metrics') ? await src.metrics.text() : undefined;
  const ha = needs.includes('ha') ? await haFact(src) : undefined;
  const schema = needs.includes('schema') ? await loadSchemaKit() : undefined;
  return {
    state: src.state,
    facts,
    links,
    memo: src.memo,
    ...(metrics !== undefined ? { metrics } : {}),
    ...(ha ? { ha } : {}),
    ...(schema ? { schema } : {}),
  };
}
