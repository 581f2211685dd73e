// GET /v1/system/interfaces and /v1/system/interface/<ifname>: the NICs under
// the generic names the orchestrator uses.
import { type Facts, interfaceViews } from '../../features/kit/facts.ts';
import type { Model } from '../../schema/model.ts';
import type { Handler } from '../context.ts';
import { HttpError } from '../errors.ts';
import { jsonResponse } from '../http.ts';

export function interfacesResponse(facts: Pick<Facts, 'links'>, descriptions: Record<string, string> = {}) {
  return { interfaces: interfaceViews(facts, descriptions) };
}

export function interfaceResponse(facts: Pick<Facts, 'links'>, ifname: string, descriptions: Record<string, string> = {}) {
  const found = interfaceViews(facts, descriptions).find((i) => i.ifname === ifname);
  if (!found) throw new HttpError(404, `no interface ${ifname.slice(0, 32)}`);
  return { interface: found };
}

function descriptions(model: Model | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of model?.networks ?? []) if (n.description) out[n.generic] = n.description;
  return out;
}

export const getInterfaces: Handler = (_req, ctx) => ({
  kind: 'response',
  response: jsonResponse(interfacesResponse({ links: ctx.links ?? [] }, descriptions(ctx.state.applied?.model))),
});

export const getInterface: Handler = (req, ctx) => ({
  kind: 'response',
  response: jsonResponse(interfaceResponse({ links: ctx.links ?? [] }, String(req.params.ifname), descriptions(ctx.state.applied?.model))),
});
