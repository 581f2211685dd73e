// The REST API before any configuration: what PUT refuses (415, 400, 413,
// 422) and what a dry run answers, from the management namespace. The suite's
// agent never receives a configuration. Needs root.
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { withLogTail } from '../../lab/agent.ts';
import { sleep } from '../../lab/netns.ts';
import { addresses, daemonPids, files, routes, rules } from '../../lab/router-state.ts';
import { payload } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { assertErrorBody, invalidBody, JSON_TYPE, suiteLab } from './api-checks.ts';

const test = rootSuite('API before any configuration: what PUT refuses, dry runs');
const it = suiteLab({});
test.after(it.remove);

test(
  'PUT needs application/json (parameters and case allowed), else 415',
  it.wrap(async ({ lab }) => {
    const body = JSON.stringify(invalidBody());
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'text/json', 'multipart/form-data', null]) {
      const r = await lab.api('PUT', '/v1/system/config', { body, contentType: type });
      assertErrorBody(r, 415, `Content-Type ${type}`);
    }
    // accepted media types reach validation (this body is invalid: 422, not 415)
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON']) {
      const r = await lab.api('PUT', '/v1/system/config/', { body, contentType: type });
      assertErrorBody(r, 422, `Content-Type ${type}`);
    }
  }),
);

test(
  'PUT with malformed JSON is 400',
  it.wrap(async ({ lab }) => {
    for (const text of ['{"asn":', '', 'nul', '{"a":1}}', "{'a':1}", '\u00ff\u00fe']) {
      const r = await lab.api('PUT', '/v1/system/config', { body: text });
      assertErrorBody(r, 400, `body ${JSON.stringify(text)}`);
    }
  }),
);

test(
  'PUT over 8 MiB is 413, declared or streamed, and the agent keeps serving',
  it.wrap(async ({ lab }) => {
    // an agent of its own (another port, another root): if this kills it, the other tests do not care
    const port = 5001;
    const agent = await lab.startAgent({ port, root: await lab.newRoot() });
    try {
      const big = Buffer.alloc(8 * 1024 * 1024 + 1, 0x20);
      const declared = await lab.api('PUT', '/v1/system/config', { port, body: big });
      assertErrorBody(declared, 413, 'with Content-Length');
      await sleep(200);
      assert.not.ok(agent.exited(), 'the agent process died after a 413');
      assert.is((await lab.api('GET', '/v1/', { port })).status, 200, 'the agent still answers');
      const streamed = await lab.api('PUT', '/v1/system/config', { port, body: big, chunked: true });
      assertErrorBody(streamed, 413, 'chunked');
      await sleep(200);
      assert.not.ok(agent.exited(), 'the agent process died after a streamed (chunked) 413');
      assert.is((await lab.api('GET', '/v1/', { port })).status, 200, 'the agent still answers');
    } catch (err) {
      throw withLogTail(err, agent);
    } finally {
      await agent.stop();
    }
  }),
);

test(
  'PUT of exactly 8 MiB is read (then judged on its content)',
  it.wrap(async ({ lab }) => {
    const text = `"${'x'.repeat(8 * 1024 * 1024 - 2)}"`;
    assert.is(Buffer.byteLength(text), 8 * 1024 * 1024);
    const r = await lab.api('PUT', '/v1/system/config', { body: text });
    assertErrorBody(r, 422, 'an 8 MiB JSON string');
  }),
);

test(
  'PUT of an invalid configuration is 422 with every issue',
  it.wrap(async ({ lab, agent }) => {
    const r = await lab.api('PUT', '/v1/system/config', { body: JSON.stringify(invalidBody()) });
    const body = assertErrorBody(r, 422, 'invalid');
    const paths = (body.issues as { path: string; message: string }[]).map((i) => i.path).sort();
    assert.equal(paths, ['floating_ips.0.floating_ip', 'networks.1.subnets.0.gateway_ip', 'networks.2.interface.ifname'], r.body);
    for (const i of body.issues as { path: string; message: string }[]) assert.type(i.message, 'string');
    for (const raw of ['[]', '"text"', '42', 'null']) {
      assertErrorBody(await lab.api('PUT', '/v1/system/config', { body: raw }), 422, raw);
    }
    assert.equal(await files(agent.root), {}, 'nothing was written');
  }),
);

test(
  'PUT ?dry_run=1 answers the plan and touches nothing',
  it.wrap(async ({ lab, agent, R }) => {
    const state = async () => ({
      eth0: await addresses(R, 'eth0'),
      eth1: await addresses(R, 'eth1'),
      eth2: await addresses(R, 'eth2'),
      v4: await routes(R, 4),
      v6: await routes(R, 6),
      rules4: await rules(R, 4),
      rules6: await rules(R, 6),
    });
    const before = await state();
    for (const url of ['/v1/system/config?dry_run=1', '/v1/system/config/?dry_run=1', '/v1/system/config?dry_run=true']) {
      const r = await lab.api('PUT', url, { body: JSON.stringify(payload('seed-example')) });
      assert.is(r.status, 200, r.body);
      assert.match(r.headers['content-type'] ?? '', JSON_TYPE);
      const body = r.json();
      assert.is(body.dry_run, true);
      assert.ok(Array.isArray(body.plan) && body.plan.length > 0);
      const writes = body.plan.filter((s: { kind: string }) => s.kind === 'write-file');
      assert.ok(writes.length > 0);
      for (const w of writes) {
        assert.type(w.bytes, 'number');
        assert.is(w.content, undefined, 'file contents are not echoed');
      }
      assert.ok(
        body.plan.some(
          (s: { kind: string; input?: string }) =>
            s.kind === 'run' && s.input?.split('\n').includes('address add 172.24.4.3/24 brd + dev eth1'),
        ),
      );
      assert.type(body.summary, 'object');
    }
    assert.not.ok(existsSync(path.join(agent.root, 'etc')), 'no file under the root\u2019s etc/');
    assert.not.ok(existsSync(path.join(agent.root, 'state', 'config.json')), 'no state saved');
    assert.equal(await daemonPids(R), { dnsmasq: [], bird6: [] });
    assert.equal(await state(), before);
    assert.equal((await lab.api('GET', '/v1/system/config')).json(), { configuration: {} });
  }),
);

test(
  'a dry run of an invalid configuration is 422 too',
  it.wrap(async ({ lab }) => {
    const r = await lab.api('PUT', '/v1/system/config?dry_run=1', { body: JSON.stringify(invalidBody()) });
    assertErrorBody(r, 422, 'dry run');
  }),
);

test.run();
