// What stands in front of the API's fetch handler in the runtime: request
// ids (runtime/request-id.ts) and the request metrics, by route template.
import { createApi } from '../handlers/api.ts';
import type { Route } from '../handlers/context.ts';
import { ROUTES } from '../handlers/routes.ts';
import type { Agent } from './agent.ts';
import type { Metrics } from './metrics.ts';
import { type FetchApi, withRequestIds } from './request-id.ts';

/** the route template a path matches ('/v1/system/interface/:ifname'), or 'unmatched': labels stay few */
export function routeOf(routes: readonly Route[]): (path: string) => string {
  const patterns = routes.map((r) => ({
    path: r.path,
    re: new RegExp(`^${r.path.replace(/[.]/g, '\\.').replace(/:\w+/g, '[^/]+')}/?$`),
  }));
  return (path) => patterns.find((p) => p.re.test(path))?.path ?? 'unmatched';
}

export function withMetrics(api: FetchApi, metrics: Metrics, routes: readonly Route[] = ROUTES): FetchApi {
  const route = routeOf(routes);
  return {
    fetch: async (req) => {
      const started = performance.now();
      const res = await api.fetch(req);
      metrics.request(route(new URL(req.url).pathname), req.method, res.status, (performance.now() - started) / 1000);
      return res;
    },
  };
}

/** the API as `appliance serve` answers it, and the in-process tests drive it */
export function apiFront(agent: Agent): FetchApi {
  const api = withRequestIds(withMetrics(createApi(agent), agent.metrics));
  // once anything is answered, the schema kit loads for the PUT that usually follows
  return { fetch: (req) => api.fetch(req).finally(() => agent.answered()) };
}
