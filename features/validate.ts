// The whole validation of a body: the schema (shape, syntax, cross-field
// rules, into the model), then each feature's own rules on the model (what its
// daemon would refuse), every issue with the JSON path it came from.

import { type Issue, MAX_ISSUES } from '../schema/issues.ts';
import type { InterfaceMap } from '../schema/normalise.ts';
import { modelStages, type ParseResult, shapeStages } from '../schema/parse.ts';
import { finish, type Staged } from './kit/staged.ts';
import { FEATURES } from './registry.ts';

export function validateConfiguration(raw: unknown, ifmap: InterfaceMap): ParseResult {
  return finish(validateStages(raw, ifmap));
}

/** validateConfiguration in stages: the schema's checks and the model (a few networks a stage), each feature's rules */
export function* validateStages(raw: unknown, ifmap: InterfaceMap): Staged<ParseResult> {
  const shaped = yield* shapeStages(raw);
  if (!shaped.ok) return shaped;
  yield;
  const parsed = yield* modelStages(shaped, ifmap);
  if (!parsed.ok) return parsed;
  const issues: Issue[] = [];
  // one feature's rules a stage
  for (const f of FEATURES) {
    if (!f.validate) continue;
    yield;
    for (const issue of f.validate(parsed.model, parsed.pathOf)) issues.push(issue);
  }
  return issues.length ? { ok: false, issues: issues.slice(0, MAX_ISSUES) } : parsed;
}
