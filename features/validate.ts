// The whole validation of a body: the schema (shape, syntax, cross-field
// rules, into the model), then each feature's own rules on the model (what its
// daemon would refuse), every issue with the JSON path it came from.

import { MAX_ISSUES } from '../schema/issues.ts';
import type { InterfaceMap } from '../schema/normalise.ts';
import { type ParseResult, parseConfiguration } from '../schema/parse.ts';
import { FEATURES } from './registry.ts';

export function validateConfiguration(raw: unknown, ifmap: InterfaceMap): ParseResult {
  const parsed = parseConfiguration(raw, ifmap);
  if (!parsed.ok) return parsed;
  const issues = FEATURES.flatMap((f) => f.validate?.(parsed.model, parsed.pathOf) ?? []);
  return issues.length ? { ok: false, issues: issues.slice(0, MAX_ISSUES) } : parsed;
}
