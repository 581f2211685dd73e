// The API as a fetch handler: itty-router's AutoRouter over the route table.
// Path matching, trailing slashes, HEAD, 404 and 405 are decided here; the
// runtime behind ApiRuntime only gathers facts, runs commands and plans.
import { AutoRouter, type IRequest } from 'itty-router';
import { finish } from '../features/kit/staged.ts';
import type { ApiRequest, ApiRuntime, Outcome, Route } from './context.ts';
import { HttpError } from './errors.ts';
import { fetchClasses } from './fetch.ts';
import { errorResponse, httpErrorResponse } from './http.ts';
import { ROUTES } from './routes.ts';

async function answer(rt: ApiRuntime, route: Route, req: ApiRequest): Promise<Response> {
  if (route.exclusive) return rt.exclusive(req, route);
  // the routes outside the apply lock answer small requests: their stages, if any, run straight through
  const outcome: Outcome = finish(route.handler(req, await rt.context(route.needs)));
  if (outcome.kind === 'response') return outcome.response;
  if (outcome.kind === 'query') return outcome.respond(await rt.query(outcome.steps));
  throw new Error(`route ${route.method} ${route.path} returned a plan but is not exclusive`);
}

async function withoutBody(res: Response): Promise<Response> {
  const { Response } = fetchClasses();
  return new Response(null, { status: res.status, headers: res.headers });
}

export function createApi(rt: ApiRuntime, routes: readonly Route[] = ROUTES) {
  const router = AutoRouter({
    catch: (err: unknown) => {
      if (err instanceof HttpError) return httpErrorResponse(err);
      rt.internalError(err);
      return errorResponse(500, 'internal error');
    },
    missing: () => errorResponse(404, 'not found'),
    // every route answers a Response already: itty's default format would test it against the global Response
    format: (res: Response) => res,
  });
  const byPath = new Map<string, Route[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  for (const [path, candidates] of byPath) {
    const allowed = candidates.map((r) => r.method as string);
    if (allowed.includes('GET')) allowed.push('HEAD');
    router.all(path, async (req: IRequest) => {
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      const route = candidates.find((r) => r.method === method);
      if (!route) return errorResponse(405, `method ${req.method} is not allowed here`, [], { allow: allowed.join(', ') });
      const apiReq: ApiRequest = {
        method,
        params: req.params as Record<string, string>,
        query: req.query as ApiRequest['query'],
        headers: req.headers,
      };
      if (route.decode) {
        const decoded = await route.decode(req as unknown as Request, (text) => rt.parsed?.(text));
        if (decoded instanceof fetchClasses().Response) return decoded;
        apiReq.body = decoded.body;
        apiReq.text = decoded.text;
      }
      const res = await answer(rt, route, apiReq);
      return req.method === 'HEAD' ? withoutBody(res) : res;
    });
  }
  return {
    /** never throws: an error outside the router's own handling is a JSON 500 */
    fetch: async (req: Request): Promise<Response> => {
      try {
        return await router.fetch(req as unknown as IRequest);
      } catch (err) {
        rt.internalError(err);
        return errorResponse(500, 'internal error');
      }
    },
  };
}
