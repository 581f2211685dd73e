// GET /v1/system/vpn: each site-to-site connection of the configuration last
// applied, with its state as charon reports it (swanctl --list-sas over the
// agent's vici socket). Never a key: only ids, addresses and selectors.
import { rootLayout } from '../../features/kit/layout.ts';
import { swanctlArgv } from '../../features/vpn/plan.ts';
import { connectionStates } from '../../features/vpn/state.ts';
import type { Handler } from '../context.ts';
import { jsonResponse } from '../http.ts';

export const getVpn: Handler = (_req, ctx) => {
  const conns = ctx.state.applied?.model.vpn ?? [];
  if (!conns.some((c) => c.enabled)) {
    return { kind: 'response', response: jsonResponse({ charon: 'stopped', connections: connectionStates(conns, null) }) };
  }
  return {
    kind: 'query',
    steps: [
      { phase: 'check', kind: 'run', reason: 'list vpn sas', argv: swanctlArgv(rootLayout(ctx.state.root), ['--list-sas', '--raw']) },
    ],
    respond: ([sas]) => {
      const ok = sas?.exitCode === 0;
      return jsonResponse({ charon: ok ? 'running' : 'not answering', connections: connectionStates(conns, ok ? sas.stdout : null) });
    },
  };
};
