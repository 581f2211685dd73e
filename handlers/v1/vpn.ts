// GET /v1/system/vpn: each site-to-site connection of the configuration last
// applied, with its state as charon reports it (swanctl --list-sas over the
// agent's vici socket) and, from charon's log, when that state began and why a
// connection is down. Never a key: only ids, addresses and selectors.
import { rootLayout } from '../../features/kit/layout.ts';
import { swanctlArgv } from '../../features/vpn/plan.ts';
import { CHARON_LOG } from '../../features/vpn/render.ts';
import { connectionStates } from '../../features/vpn/state.ts';
import type { Handler } from '../context.ts';
import { jsonResponse } from '../http.ts';

export const getVpn: Handler = (_req, ctx) => {
  const conns = ctx.state.applied?.model.vpn ?? [];
  if (!conns.some((c) => c.enabled)) {
    return { kind: 'response', response: jsonResponse({ charon: 'stopped', connections: connectionStates(conns, null) }) };
  }
  const layout = rootLayout(ctx.state.root);
  return {
    kind: 'query',
    steps: [
      { phase: 'check', kind: 'run', reason: 'list vpn sas', argv: swanctlArgv(layout, ['--list-sas', '--raw']) },
      { phase: 'check', kind: 'run', reason: 'read vpn log', argv: ['tail', '-n', '5000', layout.file(CHARON_LOG)] },
    ],
    respond: ([sas, log]) => {
      const ok = sas?.exitCode === 0;
      const text = log?.exitCode === 0 ? log.stdout : '';
      return jsonResponse({ charon: ok ? 'running' : 'not answering', connections: connectionStates(conns, ok ? sas.stdout : null, text) });
    },
  };
};
