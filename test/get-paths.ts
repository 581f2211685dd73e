// The GET paths every API suite walks (in-process and over the lab), taken
// from the route table so that a new endpoint is covered without editing a
// list. /metrics and /v1/openapi.json have their own suites (other content
// types); a path parameter is filled with the first tenant NIC's name.
import { ROUTES } from '../handlers/routes.ts';

const OWN_SUITES = new Set(['/metrics', '/v1/openapi.json']);

const concrete = (p: string) => p.replace(':ifname', 'ge0');

export const GET_PATHS: readonly string[] = ROUTES.filter((r) => r.method === 'GET' && !OWN_SUITES.has(r.path)).map((r) =>
  concrete(r.path),
);

/** the GET paths answered as text/plain rather than JSON */
export const TEXT_PATHS: ReadonlySet<string> = new Set(
  ROUTES.filter((r) => r.method === 'GET' && r.answers === 'text' && !OWN_SUITES.has(r.path)).map((r) => concrete(r.path)),
);
