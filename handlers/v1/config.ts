// PUT /v1/system/config: from a body and host facts to a validated model, its
// rendered files and the plan that applies them.
import { type RenderedFile, renderAll } from '../../renderers/index.ts';
import type { Model } from '../../schema/model.ts';
import { parseConfiguration } from '../../schema/parse.ts';
import { HttpError } from '../errors.ts';
import { type Facts, interfaceMap } from '../facts.ts';
import { type Plan, type PlanOptions, planConfiguration } from '../plan.ts';

export interface Rendered {
  body: Record<string, unknown>;
  model: Model;
  files: RenderedFile[];
}

export interface Prepared extends Rendered {
  plan: Plan;
}

/** Throws HttpError 422 with every issue when the body is not a valid configuration for this host. */
export function prepareConfig(raw: unknown, facts: Facts, root: string, options: PlanOptions = {}): Prepared {
  const rendered = renderConfig(raw, facts, root);
  return { ...rendered, plan: planConfiguration(rendered.model, rendered.files, facts, options) };
}

/** Validation against the host's interfaces and rendering, without the plan. */
export function renderConfig(raw: unknown, facts: Facts, root: string): Rendered {
  const parsed = parseConfiguration(raw, interfaceMap(facts));
  if (!parsed.ok) throw new HttpError(422, 'the configuration is invalid', parsed.issues);
  if (!parsed.model.management) {
    // the firewall would then close the API to the orchestrator for good
    throw new HttpError(422, 'the configuration is invalid', [
      {
        path: 'networks',
        message: 'must include a network of type management: without it the router would be cut off from its orchestrator',
      },
    ]);
  }
  return { body: parsed.body, model: parsed.model, files: renderAll(parsed.model, root) };
}

/** GET /v1/system/config: the configuration as applied (secrets withheld). */
export function configResponse(body: Record<string, unknown> | null) {
  if (!body) return { configuration: {} };
  const { vpn, ...rest } = body;
  return { configuration: vpn && typeof vpn === 'object' && Object.keys(vpn).length ? { ...rest, vpn: '(withheld)' } : body };
}
