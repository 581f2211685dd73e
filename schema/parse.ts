// The whole way from a PUT body to the model. Never throws for bad input.

import type { z } from 'zod';
import type { Issue, PathOf } from './issues.ts';
import { fromZodIssues, MAX_ISSUES } from './issues.ts';
import type { Model } from './model.ts';
import type { InterfaceMap } from './normalise.ts';
import { normaliseStages } from './normalise.ts';
import type { Config } from './payload.ts';
import { CONFIG_KEYS, configShellSchema, networkSchema } from './payload.ts';
import { entriesOf, runStages, STAGE_ENTRIES, type Stages } from './stages.ts';

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

/** What the schema's checks refuse: every issue, with its path in the body as sent. */
export type Refused = { ok: false; issues: Issue[] };

/**
 * The first half of parseConfiguration: the schema's checks (shape, syntax, addresses parsed).
 * The second, modelOf, can run later: a caller may let other work in between.
 */
export function shapeConfiguration(raw: unknown): Shaped | Refused {
  return runStages(shapeStages(raw));
}

/** zod gathers a list's issues into its parent's with push(...issues): past about 120,000 issues that overflows the stack */
const TOO_MANY: Issue = { path: '(body)', message: 'has too many invalid values to list them' };

/** the parse's result, or null when its issues overflowed the stack */
function parsed<T>(parse: () => T): T | null {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return null;
  }
}

/** The body as an object, unwrapped from {"configuration": {...}} (`wrapped`), before any schema check. */
export function bodyObject(raw: unknown): { ok: true; body: object; wrapped: boolean } | Refused {
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
  return { ok: true, body, wrapped };
}

/**
 * shapeConfiguration in stages: the body without its networks' entries, then the networks a
 * few at a time (STAGE_ENTRIES), each against networkSchema. The result, issues and their
 * order included, is what one parse of configSchema gives (schema/parse-stages.test.ts), with
 * one difference: a network with so many issues (over about 120,000) that one parse overflowed
 * the stack gathering them (TOO_MANY) now has its first MAX_ISSUES listed.
 */
export function* shapeStages(raw: unknown): Stages<Shaped | Refused> {
  const object = bodyObject(raw);
  if (!object.ok) return object;
  const { body, wrapped } = object;
  const refused = (issues: Issue[]): Refused => ({ ok: false, issues: wrapped ? wrappedPaths(issues) : issues });
  const shell = parsed(() => configShellSchema.safeParse(body));
  if (shell === null) return refused([TOO_MANY]);
  const shellIssues = shell.success ? [] : shell.error.issues;
  yield;
  // as in one parse: a networks value that is no list, or too long a list, is the one issue there
  const list = (body as Record<string, unknown>).networks;
  const networks = Array.isArray(list) && !shellIssues.some((i) => i.path.length === 1 && i.path[0] === 'networks') ? list : [];
  // one parse reports the keys in the schema's order, the networks' entries at the networks key
  const at = CONFIG_KEYS.indexOf('networks');
  const isBefore = (i: z.core.$ZodIssue) => {
    const key = CONFIG_KEYS.indexOf(String(i.path[0]));
    return key >= 0 && key < at;
  };
  const before = shellIssues.filter(isBefore);
  const after = shellIssues.filter((i) => !isBefore(i));
  const data: z.output<typeof networkSchema>[] = [];
  const networkIssues: z.core.$ZodIssue[] = [];
  let done = 0;
  for (const [index, network] of networks.entries()) {
    // the answer lists MAX_ISSUES at most: the networks after them would not show
    if (before.length + networkIssues.length >= MAX_ISSUES) break;
    if (done >= STAGE_ENTRIES) {
      yield;
      done = 0;
    }
    done += entriesOf(network);
    const r = parsed(() => networkSchema.safeParse(network));
    if (r === null) return refused([TOO_MANY]);
    if (r.success) data.push(r.data);
    else for (const issue of r.error.issues) networkIssues.push({ ...issue, path: ['networks', index, ...issue.path] });
  }
  if (shell.success && networkIssues.length === 0) {
    return { ok: true, body: body as Record<string, unknown>, data: { ...shell.data, networks: data }, wrapped };
  }
  return refused(fromZodIssues([...before, ...networkIssues, ...after]));
}

/** The second half of parseConfiguration: the cross-field rules, into the model. */
export function modelOf(shaped: Shaped, ifmap: InterfaceMap): ParseResult {
  return runStages(modelStages(shaped, ifmap));
}

/** modelOf in stages (a few networks a stage) */
export function* modelStages(shaped: Shaped, ifmap: InterfaceMap): Stages<ParseResult> {
  const { model, issues, notices, origins } = yield* normaliseStages(shaped.data, ifmap);
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
