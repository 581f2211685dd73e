// Helpers for the schema tests: the shipped payloads, parsing that must not
// throw, assertions on issues by JSON path, and a setter that takes the same
// dotted paths the issues use, so a mutation and the path it must be refused
// at can be written once. A test helper: it reads files, so it lives outside
// the pure schema/.
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { validateConfiguration as parseConfiguration } from '../features/validate.ts';
import type { Issue } from '../schema/issues.ts';
import type { Model } from '../schema/model.ts';
import type { InterfaceMap } from '../schema/normalise.ts';
import { defaultInterfaceMap, type ParseResult } from '../schema/parse.ts';

// biome-ignore lint/suspicious/noExplicitAny: test bodies are free-form JSON that the tests mutate
export type Json = any;

export const loadText = (name: string): string => readFileSync(new URL(`../test/cases/${name}/input.json`, import.meta.url), 'utf8');
export const load = (name: string): Json => JSON.parse(loadText(name));
export const seed = (): Json => load('seed-example');

export type Accepted = Extract<ParseResult, { ok: true }>;

/** parseConfiguration, failing the test (not crashing it) when it throws. */
export function parse(body: unknown, ifmap: InterfaceMap = defaultInterfaceMap()): ParseResult {
  try {
    return parseConfiguration(body, ifmap);
  } catch (err) {
    assert.unreachable(`parseConfiguration threw: ${(err as Error)?.stack ?? String(err)}`);
    throw err;
  }
}

export function accepted(body: unknown, ifmap: InterfaceMap = defaultInterfaceMap()): Accepted {
  const r = parse(body, ifmap);
  if (!r.ok) assert.unreachable(`expected ok, got issues ${JSON.stringify(r.issues.slice(0, 5))}`);
  return r as Accepted;
}

export const modelOf = (body: unknown, ifmap: InterfaceMap = defaultInterfaceMap()): Model => accepted(body, ifmap).model;

export function issuesOf(body: unknown, ifmap: InterfaceMap = defaultInterfaceMap()): Issue[] {
  const r = parse(body, ifmap);
  assert.not.ok(r.ok, 'expected the body to be rejected');
  return r.ok ? [] : r.issues;
}

export const hasIssue = (issues: Issue[], path: string): boolean => issues.some((i) => i.path === path && i.message.length > 0);

export function assertIssue(issues: Issue[], path: string): Issue {
  const hit = issues.find((i) => i.path === path);
  assert.ok(hit, `no issue at ${path}; got ${JSON.stringify(issues.slice(0, 5))}`);
  assert.ok(hit && hit.message.length > 0, `empty message at ${path}`);
  return hit as Issue;
}

export const network = (m: Model, generic: string) => {
  const n = m.networks.find((x) => x.generic === generic);
  if (!n) assert.unreachable(`no network ${generic}`);
  return n as NonNullable<typeof n>;
};

export const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 60)}…(${s.length} chars)` : s);

/** Every check that assertRejected made, by label and path. SCHEMA_KIT_COUNT=1 prints how many at exit. */
export const checked = new Set<string>();
if (process.env.SCHEMA_KIT_COUNT) process.on('exit', () => console.log(`assertRejected: ${checked.size} distinct checks`));

/** Refused, nothing to render, and an issue with a message at exactly `path` (record keys in paths are cut to 64 characters). */
export function assertRejected(body: unknown, path: string, label: string): Issue[] {
  checked.add(`${label} @ ${path.slice(0, 100)}`);
  const r = parse(body);
  if (r.ok) assert.unreachable(`${label}: accepted; a model would be rendered`);
  assert.not.ok('model' in r, `${label}: a rejected parse carries no model`);
  const issues = (r as Extract<ParseResult, { ok: false }>).issues;
  assert.ok(issues.length > 0, `${label}: no issues`);
  const hit = issues.find((i) => i.path === path || (path.length > 200 && i.path.length > 64 && path.startsWith(i.path)));
  assert.ok(hit, `${label}: no issue at ${show(path)}; got ${show(JSON.stringify(issues.slice(0, 5)))}`);
  assert.ok((hit?.message.trim().length ?? 0) > 0, `${label}: empty message at ${show(path)}`);
  for (const i of issues) {
    assert.type(i.path, 'string');
    assert.ok(i.message.length > 0, `${label}: empty message at ${show(i.path)}`);
  }
  return issues;
}

/** Runs every check, then fails once with the list of all that failed. */
export function collect(checks: [string, () => void][]): void {
  const failures: string[] = [];
  for (const [label, check] of checks) {
    try {
      check();
    } catch (err) {
      const message = (err as Error).message;
      failures.push(message.startsWith(label) ? message : `${label}: ${message}`);
    }
  }
  assert.ok(failures.length === 0, `${failures.length} of ${checks.length} failed:\n${failures.join('\n')}`);
}

/** Stands for "remove this key" in setAt. */
export const DELETE = Symbol('delete');

/** The parts of a dotted path; `[...]` is one key even with dots in it: `ip_addresses[10.0.0.3]`. */
function pathParts(path: string): { key: string; whole: boolean }[] {
  const out: { key: string; whole: boolean }[] = [];
  for (const m of path.matchAll(/\[([^\]]*)\]|[^.[\]]+/g)) {
    out.push(m[1] === undefined ? { key: m[0], whole: false } : { key: m[1], whole: true });
  }
  return out;
}

/** The path an issue names for a setAt path: `a[b.c]` is `a.b.c`. */
export const issuePath = (path: string): string =>
  pathParts(path)
    .map((p) => p.key)
    .join('.');

/**
 * Sets `value` at a dotted path such as `networks.2.subnets.0.cidr`, creating
 * missing objects on the way. A key that itself holds dots (an address in
 * ip_addresses) is written in brackets, or matched whole when the object has it.
 */
export function setAt(body: Json, path: string, value: unknown): void {
  const parts = pathParts(path);
  let target = body;
  let i = 0;
  const nextKey = (): string => {
    const part = parts[i] as { key: string; whole: boolean };
    // the longest run of parts that is a key of the current object
    for (let j = parts.length; !part.whole && j > i + 1; j--) {
      const key = parts
        .slice(i, j)
        .map((p) => p.key)
        .join('.');
      if (target && typeof target === 'object' && key in target) {
        i = j;
        return key;
      }
    }
    i++;
    return part.key;
  };
  for (;;) {
    const key = nextKey();
    if (i >= parts.length) {
      if (value === DELETE) delete target[key];
      else target[key] = value;
      return;
    }
    if (target[key] === undefined || target[key] === null) target[key] = {};
    target = target[key];
  }
}

/** A table of mutations of a base body, each refused at its path (the mutated path unless `expect` names another). */
export type Case = [label: string, path: string, value: unknown, expect?: string];

export function rejectAll(base: () => Json, cases: Case[]): void {
  collect(
    cases.map(([label, path, value, expect]) => [
      label,
      () => {
        const b = base();
        setAt(b, path, value);
        assertRejected(b, expect ?? issuePath(path), label);
      },
    ]),
  );
}

/**
 * The seed payload plus a value in every optional string field the seed
 * leaves empty (description, DNS, host route, floating IP), so that each
 * field can be poisoned in place.
 */
export function hostileBase(): Json {
  const b = seed();
  const int = b.networks[2];
  int.interface.description = 'tenant_net';
  int.subnets[0].dns_nameservers = ['8.8.8.8'];
  int.subnets[0].host_routes = [{ destination: '192.168.1.0/24', nexthop: '10.0.0.254' }];
  b.floating_ips = [{ floating_ip: '172.24.4.10', fixed_ip: '10.0.0.3' }];
  return b;
}
