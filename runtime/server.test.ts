// The REST API of a real agent process in a network namespace, called with
// curl from the orchestrator's namespace (see test/agent-kit.ts).
//
// Two suites, each with its own lab and agent: one that never receives a
// configuration (so "before any configuration" really holds, whatever the
// order of its tests), and one that is configured with seed-example first.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WELCOME } from '../handlers/v1/root.ts';
import {
  type AgentProcess,
  addresses,
  createLab,
  daemonPids,
  EXT_GATEWAY_V4,
  files,
  type Lab,
  lazy,
  MACS,
  MGMT_ADDR,
  must,
  ORCH_ADDR,
  payload,
  putConfig,
  type Reply,
  request,
  routes,
  rules,
  sleep,
  startAgent,
  withLogTail,
} from '../test/agent-kit.ts';

const JSON_TYPE = /^application\/json;\s*charset=utf-8$/i;
const TEXT_TYPE = /^text\/plain;\s*charset=utf-8$/i;

const GET_PATHS = [
  '/v1',
  '/v1/base',
  '/v1/status',
  '/v1/firewall/rules',
  '/v1/system/interfaces',
  '/v1/system/interface/ge0',
  '/v1/system/config',
];

const TEXT_PATHS = new Set(['/v1', '/v1/base', '/v1/firewall/rules']);

function slashed(p: string): string[] {
  return [p, `${p}/`];
}

/** An error answer: JSON {error, issues[, ...]}, never a stack trace. */
function assertErrorBody(r: Reply, status: number, what: string): Record<string, unknown> {
  assert.is(r.status, status, `${what}: ${r.status} ${r.body}`);
  assert.match(r.headers['content-type'] ?? '', JSON_TYPE, `${what}: content type`);
  const body = r.json();
  assert.type(body.error, 'string', `${what}: error`);
  assert.ok(body.error.length > 0, `${what}: error text`);
  assert.ok(Array.isArray(body.issues), `${what}: issues`);
  assert.not.ok(/\bat .+:\d+:\d+\)?/.test(r.body) || /"stack"/.test(r.body), `${what}: stack trace in ${r.body}`);
  return body;
}

function allowSet(r: Reply): string[] {
  return (r.headers.allow ?? '')
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter(Boolean)
    .sort();
}

/** A body with three independent problems. */
function invalidBody() {
  const body = payload('seed-example');
  body.networks[2].interface.ifname = 'ge7';
  body.floating_ips = [{ floating_ip: '198.51.100.9', fixed_ip: '10.0.0.3' }];
  body.networks[1].subnets[0].gateway_ip = '2001:db8::1';
  return body;
}

interface Ctx {
  lab: Lab;
  agent: AgentProcess;
}

// ===========================================================================
// Before any configuration

const fresh = suite('API before any configuration');
let freshCtx: Ctx | null = null;
// one reachable target (the orchestrator's address, on the management link), one that is not
const freshReady = lazy(async (): Promise<Ctx> => {
  const lab = await createLab();
  try {
    const agent = await startAgent(lab, { statusTargets: [ORCH_ADDR, '172.24.4.250'] });
    freshCtx = { lab, agent };
    return freshCtx;
  } catch (err) {
    await lab.destroy();
    throw err;
  }
});

/** Runs a test body with the suite's agent, adding its log to a failure. */
function inFresh(fn: (c: Ctx) => Promise<void>) {
  return async () => {
    const c = await freshReady();
    try {
      await fn(c);
    } catch (err) {
      throw withLogTail(err, c.agent);
    }
  };
}

fresh.after(async () => {
  if (!freshCtx) return;
  await freshCtx.agent.stop();
  await freshCtx.lab.destroy();
});

fresh(
  'every path answers with and without a trailing slash, without a redirect',
  inFresh(async ({ lab }) => {
    for (const p of GET_PATHS) {
      const bodies: string[] = [];
      for (const url of slashed(p)) {
        const r = await request(lab, 'GET', url);
        assert.is(r.status, 200, `GET ${url}: ${r.status} ${r.body}`);
        assert.is(r.headers.location, undefined, `GET ${url} redirects`);
        bodies.push(r.body);
      }
      if (p !== '/v1/status') assert.is(bodies[0], bodies[1], `GET ${p} and ${p}/ differ`);
    }
    for (const url of slashed('/v1/system/config')) {
      const r = await request(lab, 'PUT', `${url}?dry_run=1`, { body: JSON.stringify(payload('seed-example')) });
      assert.is(r.status, 200, `PUT ${url}: ${r.status} ${r.body}`);
      assert.is(r.headers.location, undefined);
    }
  }),
);

fresh(
  'JSON answers are application/json and text answers text/plain, both in UTF-8',
  inFresh(async ({ lab }) => {
    for (const p of GET_PATHS) {
      const r = await request(lab, 'GET', p);
      if (TEXT_PATHS.has(p)) assert.match(r.headers['content-type'] ?? '', TEXT_TYPE, p);
      else {
        assert.match(r.headers['content-type'] ?? '', JSON_TYPE, p);
        r.json();
      }
    }
  }),
);

fresh(
  'HEAD answers wherever GET does, with the same status and type and no body',
  inFresh(async ({ lab }) => {
    for (const p of GET_PATHS) {
      for (const url of slashed(p)) {
        const get = await request(lab, 'GET', url);
        const head = await request(lab, 'HEAD', url);
        assert.is(head.status, get.status, `HEAD ${url}`);
        assert.is(head.headers['content-type'], get.headers['content-type'], `HEAD ${url}`);
        assert.is(head.body, '');
      }
    }
    const missing = await request(lab, 'HEAD', '/v1/system/interface/ge9/');
    assert.is(missing.status, 404);
  }),
);

fresh(
  'another method on a known path is 405 with Allow',
  inFresh(async ({ lab }) => {
    const cases: [string, string, string[]][] = [
      ['POST', '/v1', ['GET', 'HEAD']],
      ['PUT', '/v1/', ['GET', 'HEAD']],
      ['DELETE', '/v1/base', ['GET', 'HEAD']],
      ['POST', '/v1/status/', ['GET', 'HEAD']],
      ['PUT', '/v1/firewall/rules', ['GET', 'HEAD']],
      ['POST', '/v1/firewall/rules/', ['GET', 'HEAD']],
      ['POST', '/v1/system/interfaces', ['GET', 'HEAD']],
      ['PATCH', '/v1/system/interface/ge0/', ['GET', 'HEAD']],
      ['DELETE', '/v1/system/config', ['GET', 'HEAD', 'PUT']],
      ['POST', '/v1/system/config/', ['GET', 'HEAD', 'PUT']],
      ['PATCH', '/v1/system/config', ['GET', 'HEAD', 'PUT']],
      ['OPTIONS', '/v1/system/config', ['GET', 'HEAD', 'PUT']],
    ];
    for (const [method, url, allowed] of cases) {
      const r = await request(lab, method, url);
      assertErrorBody(r, 405, `${method} ${url}`);
      assert.equal(allowSet(r), allowed, `${method} ${url}: Allow ${r.headers.allow}`);
    }
  }),
);

fresh(
  'unknown paths are 404 JSON, whatever the method',
  inFresh(async ({ lab }) => {
    const cases: [string, string][] = [
      ['GET', '/'],
      ['GET', '/v2/'],
      ['GET', '/v1/system'],
      ['GET', '/v1/system/'],
      ['GET', '/v1/system/interface/'],
      ['GET', '/v1/system/interfaces/ge0'],
      ['GET', '/v1/system/config/extra'],
      ['GET', '/v1/firewall'],
      ['GET', '/v1/statuses'],
      ['GET', '/V1/'],
      ['POST', '/v1/firewall/labels'],
      ['DELETE', '/v1/unknown'],
      ['PUT', '/v1/system/configuration'],
    ];
    for (const [method, url] of cases) {
      const r = await request(lab, method, url);
      assertErrorBody(r, 404, `${method} ${url}`);
      assert.is(r.headers.location, undefined);
    }
  }),
);

fresh(
  'GET /v1/ and /v1/base/ answer the welcome text',
  inFresh(async ({ lab }) => {
    for (const url of ['/v1', '/v1/', '/v1/base', '/v1/base/']) {
      const r = await request(lab, 'GET', url);
      assert.is(r.status, 200);
      assert.is(r.body, WELCOME);
      assert.match(r.headers['content-type'] ?? '', TEXT_TYPE);
    }
  }),
);

fresh(
  'GET /v1/status/ probes the --status-target addresses by family within 3 s',
  inFresh(async ({ lab }) => {
    for (const url of ['/v1/status/', '/v1/status']) {
      const r = await request(lab, 'GET', url, { timeoutS: 10 });
      assert.is(r.status, 200, r.body);
      assert.ok(r.seconds < 3, `${url} took ${r.seconds} s`);
      assert.equal(r.json(), { v4: false, v6: true });
    }
  }),
);

fresh(
  'GET /v1/firewall/rules/ is the iptables listing followed by the ip6tables one',
  inFresh(async ({ lab }) => {
    // tell the two listings apart: before any configuration both are empty
    await lab.inNs(lab.r, ['iptables', '-N', 'MARK_V4_LISTING']);
    await lab.inNs(lab.r, ['ip6tables', '-N', 'MARK_V6_LISTING']);
    try {
      for (const url of ['/v1/firewall/rules', '/v1/firewall/rules/']) {
        const r = await request(lab, 'GET', url);
        assert.is(r.status, 200);
        assert.match(r.headers['content-type'] ?? '', TEXT_TYPE);
        const v4 = await lab.inNs(lab.r, ['iptables', '-L', '-n']);
        const v6 = await lab.inNs(lab.r, ['ip6tables', '-L', '-n']);
        assert.is(r.body, v4 + v6);
        assert.ok(r.body.indexOf('MARK_V4_LISTING') < r.body.indexOf('MARK_V6_LISTING'));
        assert.not.ok(r.body.slice(0, v4.length).includes('MARK_V6_LISTING'));
      }
    } finally {
      await lab.inNs(lab.r, ['iptables', '-X', 'MARK_V4_LISTING']);
      await lab.inNs(lab.r, ['ip6tables', '-X', 'MARK_V6_LISTING']);
    }
  }),
);

fresh(
  'GET /v1/system/interfaces works before any configuration: generic names, lowercase MACs, NICs only',
  inFresh(async ({ lab }) => {
    for (const url of ['/v1/system/interfaces', '/v1/system/interfaces/']) {
      const r = await request(lab, 'GET', url);
      assert.is(r.status, 200);
      const body = r.json();
      assert.equal(Object.keys(body), ['interfaces']);
      const list = body.interfaces as { ifname: string; lladdr: string; addresses: string[]; state: string; mtu: number }[];
      assert.equal(
        list.map((i) => [i.ifname, i.lladdr]),
        [
          ['ge0', MACS.eth0],
          ['ge1', MACS.eth1],
          ['ge2', MACS.eth2],
        ],
      );
      for (const i of list) assert.match(i.lladdr, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      assert.ok(list[0]?.addresses.includes(`${MGMT_ADDR}/64`), JSON.stringify(list[0]));
      assert.is(list[0]?.state, 'up');
      assert.is(list[1]?.state, 'down');
    }
  }),
);

fresh(
  'GET /v1/system/interface/<geN>/ answers one NIC; an unknown name is 404',
  inFresh(async ({ lab }) => {
    for (const [generic, mac] of [
      ['ge0', MACS.eth0],
      ['ge1', MACS.eth1],
      ['ge2', MACS.eth2],
    ] as const) {
      for (const url of slashed(`/v1/system/interface/${generic}`)) {
        const r = await request(lab, 'GET', url);
        assert.is(r.status, 200, url);
        const body = r.json();
        assert.equal(Object.keys(body), ['interface']);
        assert.is(body.interface.ifname, generic);
        assert.is(body.interface.lladdr, mac);
      }
    }
    for (const name of ['ge9', 'ge3', 'eth0', 'lo', 'GE0']) {
      assertErrorBody(await request(lab, 'GET', `/v1/system/interface/${name}/`), 404, name);
    }
  }),
);

fresh(
  'a NIC hot-plugged into the router appears at once',
  inFresh(async ({ lab }) => {
    const mac = 'fa:16:3e:00:00:33';
    await must([
      'ip',
      '-n',
      lab.r,
      'link',
      'add',
      'eth3',
      'address',
      'FA:16:3E:00:00:33',
      'type',
      'veth',
      'peer',
      'name',
      't3',
      'netns',
      lab.t,
    ]);
    try {
      const r = await request(lab, 'GET', '/v1/system/interfaces');
      const list = r.json().interfaces as { ifname: string; lladdr: string }[];
      assert.equal(list.at(-1), { ...list.at(-1), ifname: 'ge3', lladdr: mac });
      assert.is(list.length, 4);
      const one = await request(lab, 'GET', '/v1/system/interface/ge3/');
      assert.is(one.status, 200);
      assert.is(one.json().interface.lladdr, mac);
    } finally {
      await must(['ip', '-n', lab.r, 'link', 'del', 'eth3']);
    }
    assert.is((await request(lab, 'GET', '/v1/system/interface/ge3')).status, 404, 'an unplugged NIC is gone at once');
    assert.is((await request(lab, 'GET', '/v1/system/interfaces')).json().interfaces.length, 3);
  }),
);

fresh(
  'GET /v1/system/config/ before any configuration is an empty configuration',
  inFresh(async ({ lab }) => {
    for (const url of slashed('/v1/system/config')) {
      const r = await request(lab, 'GET', url);
      assert.is(r.status, 200);
      assert.equal(r.json(), { configuration: {} });
    }
  }),
);

fresh(
  'PUT needs application/json (parameters and case allowed), else 415',
  inFresh(async ({ lab }) => {
    const body = JSON.stringify(invalidBody());
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'text/json', 'multipart/form-data', null]) {
      const r = await request(lab, 'PUT', '/v1/system/config', { body, contentType: type });
      assertErrorBody(r, 415, `Content-Type ${type}`);
    }
    // accepted media types reach validation (this body is invalid: 422, not 415)
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON']) {
      const r = await request(lab, 'PUT', '/v1/system/config/', { body, contentType: type });
      assertErrorBody(r, 422, `Content-Type ${type}`);
    }
  }),
);

fresh(
  'PUT with malformed JSON is 400',
  inFresh(async ({ lab }) => {
    for (const text of ['{"asn":', '', 'nul', '{"a":1}}', "{'a':1}", '\u00ff\u00fe']) {
      const r = await request(lab, 'PUT', '/v1/system/config', { body: text });
      assertErrorBody(r, 400, `body ${JSON.stringify(text)}`);
    }
  }),
);

fresh(
  'PUT over 8 MiB is 413, declared or streamed, and the agent keeps serving',
  inFresh(async ({ lab }) => {
    // an agent of its own (another port, another root): if this kills it, the other tests do not care
    const port = 5001;
    const agent = await startAgent(lab, { port });
    try {
      const big = Buffer.alloc(8 * 1024 * 1024 + 1, 0x20);
      const declared = await request(lab, 'PUT', '/v1/system/config', { port, body: big });
      assertErrorBody(declared, 413, 'with Content-Length');
      await sleep(200);
      assert.not.ok(agent.exited(), 'the agent process died after a 413');
      assert.is((await request(lab, 'GET', '/v1/', { port })).status, 200, 'the agent still answers');
      const streamed = await request(lab, 'PUT', '/v1/system/config', { port, body: big, chunked: true });
      assertErrorBody(streamed, 413, 'chunked');
      await sleep(200);
      assert.not.ok(agent.exited(), 'the agent process died after a streamed (chunked) 413');
      assert.is((await request(lab, 'GET', '/v1/', { port })).status, 200, 'the agent still answers');
    } catch (err) {
      throw withLogTail(err, agent);
    } finally {
      await agent.stop();
    }
  }),
);

fresh(
  'PUT of exactly 8 MiB is read (then judged on its content)',
  inFresh(async ({ lab }) => {
    const text = `"${'x'.repeat(8 * 1024 * 1024 - 2)}"`;
    assert.is(Buffer.byteLength(text), 8 * 1024 * 1024);
    const r = await request(lab, 'PUT', '/v1/system/config', { body: text });
    assertErrorBody(r, 422, 'an 8 MiB JSON string');
  }),
);

fresh(
  'PUT of an invalid configuration is 422 with every issue',
  inFresh(async ({ lab, agent }) => {
    const r = await request(lab, 'PUT', '/v1/system/config', { body: JSON.stringify(invalidBody()) });
    const body = assertErrorBody(r, 422, 'invalid');
    const paths = (body.issues as { path: string; message: string }[]).map((i) => i.path).sort();
    assert.equal(paths, ['floating_ips.0.floating_ip', 'networks.1.subnets.0.gateway_ip', 'networks.2.interface.ifname'], r.body);
    for (const i of body.issues as { path: string; message: string }[]) assert.type(i.message, 'string');
    for (const raw of ['[]', '"text"', '42', 'null']) {
      assertErrorBody(await request(lab, 'PUT', '/v1/system/config', { body: raw }), 422, raw);
    }
    assert.equal(await files(agent.root), {}, 'nothing was written');
  }),
);

fresh(
  'PUT ?dry_run=1 answers the plan and touches nothing',
  inFresh(async ({ lab, agent }) => {
    const before = {
      eth0: await addresses(lab, 'eth0'),
      eth1: await addresses(lab, 'eth1'),
      eth2: await addresses(lab, 'eth2'),
      v4: await routes(lab, 4),
      v6: await routes(lab, 6),
      rules4: await rules(lab, 4),
      rules6: await rules(lab, 6),
    };
    for (const url of ['/v1/system/config?dry_run=1', '/v1/system/config/?dry_run=1', '/v1/system/config?dry_run=true']) {
      const r = await request(lab, 'PUT', url, { body: JSON.stringify(payload('seed-example')) });
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
    assert.equal(await daemonPids(lab), { dnsmasq: [], bird6: [] });
    assert.equal(
      {
        eth0: await addresses(lab, 'eth0'),
        eth1: await addresses(lab, 'eth1'),
        eth2: await addresses(lab, 'eth2'),
        v4: await routes(lab, 4),
        v6: await routes(lab, 6),
        rules4: await rules(lab, 4),
        rules6: await rules(lab, 6),
      },
      before,
    );
    assert.equal((await request(lab, 'GET', '/v1/system/config')).json(), { configuration: {} });
  }),
);

fresh(
  'a dry run of an invalid configuration is 422 too',
  inFresh(async ({ lab }) => {
    const r = await request(lab, 'PUT', '/v1/system/config?dry_run=1', { body: JSON.stringify(invalidBody()) });
    assertErrorBody(r, 422, 'dry run');
  }),
);

fresh.run();

// ===========================================================================
// Configured with seed-example

const configured = suite('API of a configured router');
let confCtx: Ctx | null = null;
// the external gateway answers once the router has its external address; 2001:db8::99 never does
const confReady = lazy(async (): Promise<Ctx> => {
  const lab = await createLab();
  let agent: AgentProcess | null = null;
  try {
    agent = await startAgent(lab, { statusTargets: [EXT_GATEWAY_V4, '2001:db8::99'] });
    confCtx = { lab, agent };
    const r = await request(lab, 'PUT', '/v1/system/config', {
      body: JSON.stringify(payload('seed-example')),
      contentType: 'application/json; charset=utf-8',
    });
    if (r.status !== 200) throw new Error(`configuring seed-example failed: ${r.status} ${r.body}`);
    return confCtx;
  } catch (err) {
    throw withLogTail(err, agent);
  }
});

function inConfigured(fn: (c: Ctx) => Promise<void>) {
  return async () => {
    const c = await confReady();
    try {
      await fn(c);
    } catch (err) {
      throw withLogTail(err, c.agent);
    }
  };
}

configured.after(async () => {
  if (!confCtx) return;
  await confCtx.agent.stop();
  await confCtx.lab.destroy();
});

/** Puts seed-example back if a test changed it. */
async function restoreSeed(lab: Lab) {
  const r = await putConfig(lab, payload('seed-example'));
  assert.is(r.status, 200, r.body);
}

configured(
  'PUT applies and answers 200 {"configuration": ...}',
  inConfigured(async ({ lab }) => {
    const seed = payload('seed-example');
    for (const type of ['application/json', 'application/json; charset=utf-8']) {
      const r = await request(lab, 'PUT', '/v1/system/config', { body: JSON.stringify(seed), contentType: type });
      assert.is(r.status, 200, r.body);
      assert.match(r.headers['content-type'] ?? '', JSON_TYPE);
      assert.equal(r.json(), { configuration: seed });
    }
    assert.equal(await addresses(lab, 'eth1'), ['172.24.4.3/24', '2001:db8::3/64']);
    assert.equal(await addresses(lab, 'eth2'), ['10.0.0.1/24', 'fdc3:6ee6:d81f:ede::1/64']);
    assert.ok((await routes(lab, 4)).includes('default via 172.24.4.1 dev eth1 proto static'));
  }),
);

configured(
  'GET /v1/system/config/ returns the last applied configuration',
  inConfigured(async ({ lab }) => {
    const variant = payload('seed-example');
    variant.hostname = 'router-variant';
    variant.floating_ips = [{ floating_ip: '172.24.4.40', fixed_ip: '10.0.0.3' }];
    try {
      const r = await putConfig(lab, variant);
      assert.is(r.status, 200, r.body);
      for (const url of slashed('/v1/system/config')) {
        const got = await request(lab, 'GET', url);
        assert.is(got.status, 200);
        assert.match(got.headers['content-type'] ?? '', JSON_TYPE);
        assert.equal(got.json(), { configuration: variant });
      }
      // a rejected PUT and a dry run do not change it
      assertErrorBody(await putConfig(lab, invalidBody()), 422, 'invalid');
      assert.is((await putConfig(lab, payload('seed-example'), { dryRun: true })).status, 200);
      assert.equal((await request(lab, 'GET', '/v1/system/config')).json(), { configuration: variant });
    } finally {
      await restoreSeed(lab);
    }
    assert.equal((await request(lab, 'GET', '/v1/system/config/')).json(), { configuration: payload('seed-example') });
  }),
);

configured(
  'a body wrapped as {"configuration": ...} is applied as the configuration itself',
  inConfigured(async ({ lab }) => {
    const seed = payload('seed-example');
    const r = await putConfig(lab, { configuration: seed });
    assert.is(r.status, 200, r.body);
    assert.equal(r.json(), { configuration: seed });
    assert.equal((await request(lab, 'GET', '/v1/system/config')).json(), { configuration: seed });
  }),
);

configured(
  'GET /v1/status/ after configuration: the reachable target\u2019s family is up, within 3 s',
  inConfigured(async ({ lab }) => {
    for (const url of ['/v1/status/', '/v1/status']) {
      const r = await request(lab, 'GET', url, { timeoutS: 10 });
      assert.is(r.status, 200, r.body);
      assert.ok(r.seconds < 3, `${url} took ${r.seconds} s`);
      assert.equal(r.json(), { v4: true, v6: false });
    }
  }),
);

configured(
  'GET /v1/firewall/rules/ lists the applied rules, IPv4 first',
  inConfigured(async ({ lab }) => {
    for (const url of ['/v1/firewall/rules/', '/v1/firewall/rules']) {
      const r = await request(lab, 'GET', url);
      assert.is(r.status, 200);
      assert.match(r.headers['content-type'] ?? '', TEXT_TYPE);
      const v4 = await lab.inNs(lab.r, ['iptables', '-L', '-n']);
      const v6 = await lab.inNs(lab.r, ['ip6tables', '-L', '-n']);
      assert.ok(v4.includes('0.0.0.0/0') && v6.includes('::/0'), 'fixture: rules are loaded');
      assert.is(r.body, v4 + v6);
    }
  }),
);

configured(
  'GET /v1/system/interfaces/ shows the configured addresses and MTUs under the same generic names',
  inConfigured(async ({ lab }) => {
    const list = (await request(lab, 'GET', '/v1/system/interfaces/')).json().interfaces as {
      ifname: string;
      lladdr: string;
      addresses: string[];
      mtu: number;
      state: string;
    }[];
    assert.equal(
      list.map((i) => [i.ifname, i.lladdr, i.state]),
      [
        ['ge0', MACS.eth0, 'up'],
        ['ge1', MACS.eth1, 'up'],
        ['ge2', MACS.eth2, 'up'],
      ],
    );
    assert.ok(list[1]?.addresses.includes('172.24.4.3/24'));
    assert.ok(list[2]?.addresses.includes('10.0.0.1/24'));
    assert.is(list[2]?.mtu, 1450);
  }),
);

configured(
  'a dry run on a configured router touches nothing',
  inConfigured(async ({ lab, agent }) => {
    const variant = payload('seed-example');
    variant.networks[1].interface.addresses = ['172.24.4.9/24', '2001:db8::9/64'];
    variant.floating_ips = [{ floating_ip: '172.24.4.41', fixed_ip: '10.0.0.3' }];
    const before = {
      files: await files(agent.root),
      state: readFileSync(path.join(agent.root, 'state', 'config.json'), 'utf8'),
      eth1: await addresses(lab, 'eth1'),
      v4: await routes(lab, 4),
      rules4: await rules(lab, 4),
      pids: await daemonPids(lab),
    };
    const r = await putConfig(lab, variant, { dryRun: true });
    assert.is(r.status, 200, r.body);
    const plan = r.json().plan as { kind: string; input?: string }[];
    assert.ok(
      plan.some((s) => s.kind === 'run' && s.input?.split('\n').includes('address add 172.24.4.9/24 brd + dev eth1')),
      r.body,
    );
    assert.equal(
      {
        files: await files(agent.root),
        state: readFileSync(path.join(agent.root, 'state', 'config.json'), 'utf8'),
        eth1: await addresses(lab, 'eth1'),
        v4: await routes(lab, 4),
        rules4: await rules(lab, 4),
        pids: await daemonPids(lab),
      },
      before,
    );
  }),
);

configured.run();
