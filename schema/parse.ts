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
  const body = unwrap(raw);
  if (body !== raw) {
    const inner = parseFlat(body, ifmap);
    return inner.ok
      ? { ...inner, notices: wrappedPaths(inner.notices), pathOf: (o, fallback) => `configuration.${inner.pathOf(o, fallback)}` }
      : { ok: false, issues: wrappedPaths(inner.issues) };
  }
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'configuration' in raw) {
    return {
      ok: false,
      issues: [{ path: 'configuration', message: 'a wrapped body must be {"configuration": {...}} with an object and no other key' }],
    };
  }
  return parseFlat(body, ifmap);
}

function parseFlat(body: unknown, ifmap: InterfaceMap): ParseResult {
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
    return { ok: false, issues: [{ path: '(body)', message: 'has too many invalid values to list them' }] };
  }
  if (!parsed.success) return { ok: false, issues: fromZod(parsed.error) };
  const { model, issues, notices, origins } = normalise(parsed.data, ifmap);
  if (issues.length > 0) return { ok: false, issues: issues.slice(0, MAX_ISSUES) };
  const pathOf: PathOf = (o, fallback) => origins.get(o) ?? fallback;
  return { ok: true, body: body as Record<string, unknown>, config: parsed.data, model, notices: notices.slice(0, MAX_ISSUES), pathOf };
}

/** geN -> ethN, the mapping used when no host facts are at hand. */
export function defaultInterfaceMap(count = 10000): InterfaceMap {
  return new Proxy({} as InterfaceMap, {
    get: (_t, key) => (typeof key === 'string' && /^ge\d+$/.test(key) && Number(key.slice(2)) < count ? `eth${key.slice(2)}` : undefined),
  });
}
