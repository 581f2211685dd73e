// GET /v1/firewall/rules: the rules as iptables lists them, both families
// (the orchestrator's liveness probe).
import type { Handler } from '../context.ts';
import { errorResponse, textResponse } from '../http.ts';

export const getFirewallRules: Handler = () => ({
  kind: 'query',
  steps: [
    { phase: 'check', kind: 'run', reason: 'list firewall v4', argv: ['iptables', '-w', '2', '-L', '-n'] },
    { phase: 'check', kind: 'run', reason: 'list firewall v6', argv: ['ip6tables', '-w', '2', '-L', '-n'] },
  ],
  respond: ([v4, v6]) =>
    v4?.exitCode === 0 && v6?.exitCode === 0
      ? textResponse(`${v4.stdout}${v6.stdout}`)
      : errorResponse(500, 'listing the firewall rules failed'),
});
