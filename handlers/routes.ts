// The route table, as data: every path answers with and without a trailing
// slash; HEAD answers like GET without a body; other methods on a known path
// get 405 with Allow (handlers/api.ts). The summaries and statuses make the
// API description (handlers/openapi.ts, GET /v1/openapi.json).
import type { Route } from './context.ts';
import { fetchClasses } from './fetch.ts';
import { decodeJson, jsonTextResponse, textResponse } from './http.ts';
import { openapiDocument } from './openapi.ts';
import { getConfig, putConfig } from './v1/config.ts';
import { getFirewallRules } from './v1/firewall.ts';
import { getHa } from './v1/ha.ts';
import { WELCOME } from './v1/root.ts';
import { getStatus } from './v1/status.ts';
import { getInterface, getInterfaces } from './v1/system.ts';
import { getVpn } from './v1/vpn.ts';

const welcome: Route['handler'] = () => ({ kind: 'response', response: textResponse(WELCOME) });

let described: string | null = null;
const openapi: Route['handler'] = (_req, ctx) => {
  if (!ctx.schema) throw new Error("the API description needs the route to need 'schema'");
  described ??= JSON.stringify(openapiDocument(ROUTES, ctx.schema.configurationJsonSchema()));
  return { kind: 'response', response: jsonTextResponse(described) };
};

const metrics: Route['handler'] = (_req, ctx) => ({
  kind: 'response',
  response: new (fetchClasses().Response)(ctx.metrics ?? '', { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } }),
});

const INTERNAL = 'internal error (JSON {error, issues})';

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v1', needs: [], handler: welcome, summary: 'Welcome text', answers: 'text', responses: { 200: 'welcome text' } },
  {
    method: 'GET',
    path: '/v1/base',
    needs: [],
    handler: welcome,
    summary: 'Welcome text',
    answers: 'text',
    responses: { 200: 'welcome text' },
  },
  {
    method: 'GET',
    path: '/v1/status',
    needs: ['ha'],
    handler: getStatus,
    summary: 'Reachability of the status targets by family ({v4, v6} booleans)',
    responses: { 200: 'reachability by family', 500: INTERNAL },
  },
  {
    method: 'GET',
    path: '/v1/firewall/rules',
    needs: [],
    handler: getFirewallRules,
    summary: 'The firewall rules as iptables and ip6tables list them',
    answers: 'text',
    responses: { 200: 'iptables -L -n then ip6tables -L -n', 500: 'listing the rules failed' },
  },
  {
    method: 'GET',
    path: '/v1/system/interfaces',
    needs: ['links'],
    handler: getInterfaces,
    summary: 'The interfaces of the router, by generic name',
    responses: { 200: '{interfaces: [...]}', 500: INTERNAL },
  },
  {
    method: 'GET',
    path: '/v1/system/interface/:ifname',
    needs: ['links'],
    handler: getInterface,
    summary: 'One interface, by generic name (ge0, ge1, ...)',
    responses: { 200: '{interface: {...}}', 404: 'no such interface', 500: INTERNAL },
  },
  {
    method: 'GET',
    path: '/v1/system/ha',
    needs: ['ha', 'links'],
    handler: getHa,
    summary: 'The VRRP role of the router (ha_resource): role, since, addresses held, daemons running',
    responses: { 200: '{ha: {enabled, role, since, priority, peers, held, owned, keepalived, conntrackd}}', 500: INTERNAL },
  },
  {
    method: 'GET',
    path: '/v1/system/config',
    needs: [],
    handler: getConfig,
    summary: 'The configuration last applied (the VPN pre-shared keys withheld)',
    responses: { 200: '{configuration: {...}}', 500: INTERNAL },
  },
  {
    method: 'GET',
    path: '/v1/system/vpn',
    needs: [],
    handler: getVpn,
    summary: 'The site-to-site IPsec connections and their state (up, connecting, down, disabled); never a key',
    responses: {
      200: '{charon, connections: [{id, vpnservice_id, peer_address, state, since_s, local_cidrs, peer_cidrs}]}',
      500: INTERNAL,
    },
  },
  {
    method: 'PUT',
    path: '/v1/system/config',
    needs: ['facts', 'schema'],
    exclusive: true,
    decode: decodeJson,
    handler: putConfig,
    summary: 'Apply a configuration (or, with dry_run, answer the plan)',
    responses: {
      200: 'applied: {configuration, notices?}; a dry run: {dry_run, plan, summary, notices} or the plan as text',
      400: 'malformed JSON',
      413: 'the body is too large',
      415: 'the body is not application/json',
      422: 'the configuration is invalid: {error, issues: [{path, message}]}',
      500: 'a check or a step failed: {error, checks} or {error, step, rolled_back}; nothing or a rollback was applied',
    },
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    needs: ['schema'],
    handler: openapi,
    summary: 'This API description (OpenAPI 3.1)',
    responses: { 200: 'the OpenAPI document' },
  },
  {
    method: 'GET',
    path: '/metrics',
    needs: ['metrics'],
    handler: metrics,
    summary: 'Metrics in the Prometheus text format',
    answers: 'metrics',
    responses: { 200: 'Prometheus text exposition format 0.0.4', 500: INTERNAL },
  },
];
