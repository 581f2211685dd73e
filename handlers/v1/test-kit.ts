// Fixtures for the v1 handler tests: links as the kernel lists them, agent
// state, requests and contexts as plain objects. No root, no processes.
import type { Facts, LinkFact } from '../../features/kit/facts.ts';
import { validateStages } from '../../features/validate.ts';
import { configurationJsonSchema } from '../../schema/json-schema.ts';
import type { Model } from '../../schema/model.ts';
import { defaultInterfaceMap, parseConfiguration } from '../../schema/parse.ts';
import type { AgentState, ApiRequest, Context, Outcome, SchemaKit } from '../context.ts';

/** what the runtime hands to routes that need 'schema' (runtime/schema-kit.ts) */
const schemaKit: SchemaKit = { validate: validateStages, configurationJsonSchema };

export { input } from '../../test/plan-facts.ts';

export function model(body: unknown): Model {
  const parsed = parseConfiguration(body, defaultInterfaceMap());
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.model;
}

export function nic(ifindex: number, ifname: string, over: Partial<LinkFact> = {}): LinkFact {
  return {
    ifindex,
    ifname,
    mac: `fa:16:3e:00:00:${ifindex.toString(16).padStart(2, '0')}`,
    mtu: 1500,
    up: true,
    operstate: 'up',
    linkType: 'ether',
    kind: 'veth',
    addresses: [],
    ...over,
  };
}

export const LO = nic(1, 'lo', { linkType: 'loopback', kind: null, mac: '00:00:00:00:00:00', mtu: 65536 });

/** A host as the kernel lists it: not in ifindex order, with links that are not NICs. */
export function messyLinks(): LinkFact[] {
  return [
    nic(9, 'eth2', { kind: 'vlan' }),
    nic(4, 'br0', { kind: 'bridge' }),
    LO,
    nic(7, 'ens5', { kind: null, mac: 'FA:16:3E:AB:CD:EF', up: false }),
    nic(3, 'eth0', { kind: null }),
    nic(5, 'dummy0', { kind: 'dummy' }),
    nic(6, 'gre0', { linkType: 'gre', kind: 'gre' }),
    nic(8, 'eth1', {
      kind: 'veth',
      mtu: 1450,
      addresses: [
        { address: '10.0.0.1', prefixLength: 24, family: 4, scope: 'global' },
        { address: 'fe80::1', prefixLength: 64, family: 6, scope: 'link' },
      ],
    }),
    nic(10, 'macv0', { kind: 'macvlan' }),
    nic(11, 'wg0', { linkType: 'none', kind: 'wireguard' }),
  ];
}

/** A fresh host with three NICs, up, nothing configured. */
export function hostFacts(): Facts {
  return {
    links: [LO, nic(2, 'eth0'), nic(3, 'eth1'), nic(4, 'eth2')],
    routes: [],
    files: {},
    sysctls: {},
    hostname: 'debian',
    services: {},
  };
}

export function agentState(over: Partial<AgentState> = {}): AgentState {
  return { root: '/srv/agent', applied: null, saved: null, dirty: false, touched: null, statusTargets: [], apiAddresses: [], ...over };
}

export function context(over: Partial<Context> = {}): Context {
  return { state: agentState(), facts: null, links: null, memo: null, schema: schemaKit, ...over };
}

export function request(over: Partial<ApiRequest> = {}): ApiRequest {
  return { method: 'GET', params: {}, query: {}, headers: new Headers(), ...over };
}

/** The response of an outcome that must be one. */
export function responseOf(outcome: Outcome): Response {
  if (outcome.kind !== 'response') throw new Error(`expected a response, got ${outcome.kind}`);
  return outcome.response;
}
