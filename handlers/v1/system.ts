// GET /v1/system/interfaces and /v1/system/interface/<ifname>
import { HttpError } from '../errors.ts';
import { type Facts, interfaceViews } from '../facts.ts';

export function interfacesResponse(facts: Pick<Facts, 'links'>, descriptions: Record<string, string> = {}) {
  return { interfaces: interfaceViews(facts, descriptions) };
}

export function interfaceResponse(facts: Pick<Facts, 'links'>, ifname: string, descriptions: Record<string, string> = {}) {
  const found = interfaceViews(facts, descriptions).find((i) => i.ifname === ifname);
  if (!found) throw new HttpError(404, `no interface ${ifname.slice(0, 32)}`);
  return { interface: found };
}
