// GET /v1/firewall/rules: the rules as iptables lists them, both families
// (the orchestrator's liveness probe).
import type { Handler, QueryResult } from '../context.ts';
import { errorResponse, textResponse } from '../http.ts';

/**
 * The answer's bytes per listing. Probes that arrive together share one
 * listing in flight (runtime/queries.ts), and so one body: 50 clients do not
 * hold 50 copies of a large ruleset, and the server writes the bytes as they are.
 */
const bodies = new WeakMap<QueryResult, { v6: QueryResult; body: Uint8Array<ArrayBuffer> }>();

function listing(v4: QueryResult, v6: QueryResult): Uint8Array<ArrayBuffer> {
  const known = bodies.get(v4);
  if (known?.v6 === v6) return known.body;
  const body = Buffer.from(`${v4.stdout}${v6.stdout}`, 'utf8');
  bodies.set(v4, { v6, body });
  return body;
}

export const getFirewallRules: Handler = () => ({
  kind: 'query',
  steps: [
    { phase: 'check', kind: 'run', reason: 'list firewall v4', argv: ['iptables', '-w', '2', '-L', '-n'] },
    { phase: 'check', kind: 'run', reason: 'list firewall v6', argv: ['ip6tables', '-w', '2', '-L', '-n'] },
  ],
  respond: ([v4, v6]) =>
    v4?.exitCode === 0 && v6?.exitCode === 0 ? textResponse(listing(v4, v6)) : errorResponse(500, 'listing the firewall rules failed'),
});
