// The route table, as data: every path answers with and without a trailing
// slash; HEAD answers like GET without a body; other methods on a known path
// get 405 with Allow (handlers/api.ts).
import type { Route } from './context.ts';
import { decodeJson, textResponse } from './http.ts';
import { getConfig, putConfig } from './v1/config.ts';
import { getFirewallRules } from './v1/firewall.ts';
import { WELCOME } from './v1/root.ts';
import { getStatus } from './v1/status.ts';
import { getInterface, getInterfaces } from './v1/system.ts';

const welcome: Route['handler'] = () => ({ kind: 'response', response: textResponse(WELCOME) });

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v1', needs: [], handler: welcome },
  { method: 'GET', path: '/v1/base', needs: [], handler: welcome },
  { method: 'GET', path: '/v1/status', needs: [], handler: getStatus },
  { method: 'GET', path: '/v1/firewall/rules', needs: [], handler: getFirewallRules },
  { method: 'GET', path: '/v1/system/interfaces', needs: ['links'], handler: getInterfaces },
  { method: 'GET', path: '/v1/system/interface/:ifname', needs: ['links'], handler: getInterface },
  { method: 'GET', path: '/v1/system/config', needs: [], handler: getConfig },
  { method: 'PUT', path: '/v1/system/config', needs: ['facts'], exclusive: true, decode: decodeJson, handler: putConfig },
];
