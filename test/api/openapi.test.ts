// GET /v1/openapi.json: a valid OpenAPI 3.1 document (checked by a real
// validator), made from the route table and the very zod schema the PUT is
// validated with; every route answers in-process with a status it lists.
import { Validator } from '@seriousme/openapi-schema-validator';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { ROUTES } from '../../handlers/routes.ts';
import { configurationJsonSchema } from '../../schema/json-schema.ts';
import { configSchema } from '../../schema/payload.ts';
import { makeKit, payload } from './kit.ts';

// biome-ignore lint/suspicious/noExplicitAny: a JSON document
type Doc = any;

async function document(): Promise<Doc> {
  const k = await makeKit();
  const res = await k.fetch('GET', '/v1/openapi.json');
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  await k.agent.close();
  return res.json();
}

test('the document is valid OpenAPI 3.1', async () => {
  const doc = await document();
  assert.is(doc.openapi, '3.1.0');
  const validator = new Validator();
  const result = await validator.validate(doc);
  assert.ok(result.valid, JSON.stringify(result.errors, null, 1));
  assert.is(validator.version, '3.1');
});

test('the validator is not a rubber stamp: a broken copy fails', async () => {
  const doc = await document();
  doc.paths['/v1/status'].get.responses = { 200: { content: {} } };
  const result = await new Validator().validate(doc);
  assert.not.ok(result.valid);
});

test('every route of the table is described, with its path parameters; nothing else is', async () => {
  const doc = await document();
  const described = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item as object).map((m) => `${m.toUpperCase()} ${p}`));
  const table = ROUTES.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
  assert.equal(described.sort(), table.sort());
  assert.equal(
    doc.paths['/v1/system/interface/{ifname}'].get.parameters.map((p: Doc) => [p.name, p.in]),
    [['ifname', 'path']],
  );
  for (const r of ROUTES) assert.ok(r.summary && r.responses, `${r.method} ${r.path} has a summary and its statuses`);
});

test('the PUT body schema is the converted schema the agent validates with', async () => {
  const doc = await document();
  const direct = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  delete direct.$schema;
  assert.equal(doc.components.schemas.Configuration, direct);
  assert.equal(configurationJsonSchema(), direct);
  const body = doc.paths['/v1/system/config'].put.requestBody.content['application/json'].schema;
  assert.equal(body.anyOf[0], { $ref: '#/components/schemas/Configuration' });
  // the fields the agent reads, with their constraints
  const props = doc.components.schemas.Configuration.properties;
  for (const f of ['networks', 'floating_ips', 'asn', 'neighbor_asn', 'hostname', 'orchestrator', 'vpn']) assert.ok(props[f], f);
  assert.is(props.networks.maxItems, 4096);
});

/** one request per described operation, against an agent that has a configuration */
async function exercise(k: Awaited<ReturnType<typeof makeKit>>, method: string, path: string, variant: number): Promise<Response> {
  const url = path.replace('{ifname}', variant === 0 ? 'ge0' : 'ge99');
  if (method !== 'PUT') return k.fetch(method, url);
  const bodies = [payload('seed-example'), { networks: 'not a list' }];
  if (variant === 2) return k.fetch('PUT', url, { raw: '{"broken' });
  if (variant === 3) return k.fetch('PUT', url, { raw: '{}', headers: { 'content-type': 'text/plain' } });
  return k.put(bodies[variant] ?? bodies[0]);
}

test('every operation answers with a status its description lists, in the media type listed', async () => {
  const doc = await document();
  const k = await makeKit();
  assert.is((await k.put(payload('seed-example'))).status, 200);
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Doc>>)) {
    for (const [method, op] of Object.entries(item)) {
      for (let variant = 0; variant < (method === 'put' ? 4 : path.includes('{') ? 2 : 1); variant++) {
        const res = await exercise(k, method.toUpperCase(), path, variant);
        const listed = op.responses[String(res.status)];
        assert.ok(listed, `${method} ${path} (${variant}) answered ${res.status}, listed: ${Object.keys(op.responses)}`);
        const type = (res.headers.get('content-type') ?? '').split(';')[0];
        assert.ok(
          Object.keys(listed.content).some((t) => t.split(';')[0] === type),
          `${method} ${path} ${res.status}: ${type} not in ${Object.keys(listed.content)}`,
        );
        seen.add(`${method} ${path} ${res.status}`);
      }
    }
  }
  // the variants reached the statuses they aim at
  for (const s of ['put /v1/system/config 200', 'put /v1/system/config 422', 'put /v1/system/config 400', 'put /v1/system/config 415'])
    assert.ok(seen.has(s), s);
  assert.ok(seen.has('get /v1/system/interface/{ifname} 404'));
  assert.ok(seen.has('get /metrics 200'));
  await k.agent.close();
});

test.run();
