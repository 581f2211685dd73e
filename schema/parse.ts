// The whole way from a PUT body to the model. Never throws for bad input.
import type { Issue, PathOf } from './issues.ts';
import { fromZod, MAX_ISSUES } from './issues.ts';
import type { Model } from './model.ts';
import type { InterfaceMap } from './normalise.ts';
import { normalise } from './normalise.ts';
import type { Config } from './payload.ts';
import { configSchema } from './payload.ts';

/**
 * `notices` name what was taken but left out (with the JSON path and why),
 * for the answer to say so; they never refuse a body.
 */
export type ParseResult =
  | { ok: true; body: Record<string, unknown>; config: Config; model: Model; notices: Issue[]; pathOf: PathOf }
  | { ok: false; issues: Issue[] };

/** The design doc wraps the body as {"configuration": {...}}; the orchestrator sends it flat. */
export function unwrap(body: unknown): unknown {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const keys = Object.keys(body);
    const inner = (body as Record<string, unknown>).configuration;
    if (keys.length === 1 && inner && typeof inner === 'object' && !Array.isArray(inner)) return inner;
  }
  return body;
}

/** Issues of a wrapped body name their place in the body as sent: under "configuration". */
function wrappedPaths(issues: Issue[]): Issue[] {
  return issues.map((i) => ({ ...i, path: i.path === '(body)' ? 'configuration' : `configuration.${i.path}` }));
}

export function parseConfiguration(raw: unknown, ifmap: InterfaceMap): ParseResult {
  const shaped = shapeConfiguration(raw);
  return shaped.ok ? modelOf(shaped, ifmap) : shaped;
}

/** A body that passed the schema's shape and syntax checks, not yet turned into the model. */
export interface Shaped {
  ok: true;
  body: Record<string, unknown>;
  data: Config;
  /** sent as {"configuration": {...}}: paths are given under that key */
  wrapped: boolean;
}

/**
 * The first half of parseConfiguration: the schema's checks (shape, syntax, addresses parsed).
 * The second, modelOf, can run later: a caller may let other work in between.
 */
export function shapeConfiguration(raw: unknown): Shaped | { ok: false; issues: Issue[] } {
  const body = unwrap(raw);
  const wrapped = body !== raw;
  if (!wrapped && raw && typeof raw === 'object' && !Array.isArray(raw) && 'configuration' in raw) {
    return {
      ok: false,
      issues: [{ path: 'configuration', message: 'a wrapped body must be {"configuration": {...}} with an object and no other key' }],
    };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, issues: [{ path: '(body)', message: 'must be a JSON object' }] };
  }
  let parsed: ReturnType<typeof configSchema.safeParse>;
  try {
    parsed = configSchema.safeParse(body);
  } catch (err) {
    // zod gathers a list's issues into its parent's with push(...issues): past about 120,000
    // issues (two lists of 65,536 bad addresses, a 515 KiB body) that overflows the stack
    if (!(err instanceof RangeError)) throw err;
    const issues = [{ path: '(body)', message: 'has too many invalid values to list them' }];
    return { ok: false, issues: wrapped ? wrappedPaths(issues) : issues };
  }
  if (!parsed.success) return { ok: false, issues: wrapped ? wrappedPaths(fromZod(parsed.error)) : fromZod(parsed.error) };
  return { ok: true, body: body as Record<string, unknown>, data: parsed.data, wrapped };
}

/** The second half of parseConfiguration: the cross-field rules, into the model. */
export function modelOf(shaped: Shaped, ifmap: InterfaceMap): ParseResult {
  const { model, issues, notices, origins } = normalise(shaped.data, ifmap);
  const at = shaped.wrapped ? wrappedPaths : (i: Issue[]) => i;
  if (issues.length > 0) return { ok: false, issues: at(issues.slice(0, MAX_ISSUES)) };
  const pathOf: PathOf = shaped.wrapped
    ? (o, fallback) => `configuration.${origins.get(o) ?? fallback}`
    : (o, fallback) => origins.get(o) ?? fallback;
  return { ok: true, body: shaped.body, config: shaped.data, model, notices: at(notices.slice(0, MAX_ISSUES)), pathOf };
}

/** geN -> ethN, the mapping used when no host facts are at hand. */
export function defaultInterfaceMap(count = 10000): InterfaceMap {
  return new Proxy({} as InterfaceMap, {
    get: (_t, key) => (typeof key === 'string' && /^ge\d+$/.test(key) && Number(key.slice(2)) < count ? `eth${key.slice(2)}` : undefined),
  });
}
