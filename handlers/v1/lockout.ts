// A configuration must leave the orchestrator a way in: the management network
// keeps an address, and at least one address the API listens on now stays on
// the router. Otherwise the PUT would never be answered and the saved
// configuration would repeat the lockout at every start.

import { desiredAddresses } from '../../features/interfaces/addresses.ts';
import type { LinkFact } from '../../features/kit/facts.ts';
import type { Issue } from '../../schema/issues.ts';
import type { Model } from '../../schema/model.ts';

const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** The body's index of the management network, for the issue's path. */
function managementPath(body: Record<string, unknown>): string {
  const networks = Array.isArray(body.networks) ? (body.networks as { network_type?: unknown }[]) : [];
  const i = networks.findIndex((n) => n?.network_type === 'management');
  return i < 0 ? 'networks' : `networks.${i}.interface.addresses`;
}

/** Whether an address the host holds now is still there once the model is applied. */
function survives(address: string, model: Model, previous: Model | null, links: readonly LinkFact[]): boolean {
  const link = links.find((l) => l.addresses.some((a) => a.address === address));
  if (!link) return false;
  const wanted = model.networks.find((n) => n.ifname === link.ifname);
  if (wanted) return desiredAddresses(wanted).some((d) => d.address === address);
  // a NIC the configuration drops loses what the previous one put there
  const before = previous?.networks.find((n) => n.ifname === link.ifname);
  return !before || !desiredAddresses(before).some((d) => d.address === address);
}

export function lockoutIssues(
  body: Record<string, unknown>,
  model: Model,
  previous: Model | null,
  links: readonly LinkFact[],
  apiAddresses: readonly string[],
): Issue[] {
  const path = managementPath(body);
  if (!model.management?.addresses.length) {
    return [{ path, message: 'the management network needs an address: without one the router would be cut off from its orchestrator' }];
  }
  const listening = apiAddresses.filter((a) => !WILDCARD.has(a));
  if (listening.length === 0 || listening.some((a) => survives(a, model, previous, links))) return [];
  return [
    {
      path,
      message: `would remove the address the API is reached on (${listening.join(', ')}): the orchestrator would be cut off`,
    },
  ];
}
