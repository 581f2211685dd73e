// The API description: an OpenAPI 3.1 document made from the route table and
// the zod schema the PUT body is validated with (the same object, converted by
// zod's JSON Schema converter for its input side, handed in by the runtime).
// Served at GET /v1/openapi.json.
import type { Route } from './context.ts';
import { MAX_BODY_BYTES } from './http.ts';

/** the version of the REST contract (not of the agent) */
export const API_VERSION = '1.0.0';

const errorBody = {
  type: 'object',
  required: ['error', 'issues'],
  properties: {
    error: { type: 'string' },
    issues: {
      type: 'array',
      items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const MEDIA: Record<NonNullable<Route['answers']>, Record<string, unknown>> = {
  json: { 'application/json': { schema: {} } },
  text: { 'text/plain': { schema: { type: 'string' } } },
  metrics: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } },
};

/** /v1/system/interface/:ifname → /v1/system/interface/{ifname} */
const templated = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function operation(route: Route): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, description] of Object.entries(route.responses ?? { 200: 'success' })) {
    const ok = Number(status) < 400;
    const content = ok
      ? { ...MEDIA[route.answers ?? 'json'], ...(route.exclusive ? MEDIA.text : {}) }
      : { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
    responses[status] = { description, content };
  }
  const op: Record<string, unknown> = {
    operationId: `${route.method.toLowerCase()}${templated(route.path).replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string = '') => c.toUpperCase())}`,
    summary: route.summary ?? `${route.method} ${route.path}`,
    responses,
  };
  const params = [...route.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (route.exclusive)
    params.push({
      name: 'dry_run',
      in: 'query',
      required: false,
      schema: { type: 'string', enum: ['1', 'true'] },
      description: 'plan only: answers the plan (JSON, or text with Accept: text/plain) and changes nothing',
    } as never);
  if (params.length) op.parameters = params;
  if (route.decode)
    op.requestBody = {
      required: true,
      description: `the configuration, flat or wrapped as {"configuration": {...}}; at most ${MAX_BODY_BYTES} bytes`,
      content: {
        'application/json': {
          schema: {
            anyOf: [
              { $ref: '#/components/schemas/Configuration' },
              {
                type: 'object',
                required: ['configuration'],
                additionalProperties: false,
                properties: { configuration: { $ref: '#/components/schemas/Configuration' } },
              },
            ],
          },
        },
      },
    };
  return op;
}

/** `configuration`: what the PUT body is validated with, as JSON Schema (schema/json-schema.ts) */
export function openapiDocument(routes: readonly Route[], configuration: Record<string, unknown>): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const key = templated(route.path);
    paths[key] = { ...paths[key], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Router appliance agent',
      version: API_VERSION,
      description:
        'Turns the router configuration an orchestrator pushes into a working Linux router. Every answer carries x-request-id; paths answer with and without a trailing slash; HEAD answers like GET; other methods get 405 with Allow.',
    },
    paths,
    components: { schemas: { Configuration: configuration, Error: errorBody } },
  };
}
