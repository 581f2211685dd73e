// The REST API before any configuration: paths, methods, media types and the
// read-only endpoints, from the management namespace. The suite's agent never
// receives a configuration, so "before any configuration" holds whatever the
// order of its tests. Needs root.
import * as assert from 'uvu/assert';
import { WELCOME } from '../../handlers/v1/root.ts';
import type { Lab } from '../../lab/lab.ts';
import { ipBatch, veth } from '../../lab/netns.ts';
import { payload } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { allowSet, assertErrorBody, GET_PATHS, JSON_TYPE, slashed, suiteLab, TEXT_PATHS, TEXT_TYPE } from './api-checks.ts';

const test = rootSuite('API before any configuration: routes and reads');
// status targets: the orchestrator's address (reachable on the management link) and one that is not
const it = suiteLab({ agent: { statusTargets: [payload('seed-example').orchestrator.address, '172.24.4.250'] } });
test.after(it.remove);

test(
  'every path answers with and without a trailing slash, without a redirect',
  it.wrap(async ({ lab }) => {
    for (const p of GET_PATHS) {
      const bodies: string[] = [];
      for (const url of slashed(p)) {
        const r = await lab.api('GET', url);
        assert.is(r.status, 200, `GET ${url}: ${r.status} ${r.body}`);
        assert.is(r.headers.location, undefined, `GET ${url} redirects`);
        bodies.push(r.body);
      }
      if (p !== '/v1/status') assert.is(bodies[0], bodies[1], `GET ${p} and ${p}/ differ`);
    }
    for (const url of slashed('/v1/system/config')) {
      const r = await lab.api('PUT', `${url}?dry_run=1`, { body: JSON.stringify(payload('seed-example')) });
      assert.is(r.status, 200, `PUT ${url}: ${r.status} ${r.body}`);
      assert.is(r.headers.location, undefined);
    }
  }),
);

test(
  'JSON answers are application/json and text answers text/plain, both in UTF-8',
  it.wrap(async ({ lab }) => {
    for (const p of GET_PATHS) {
      const r = await lab.api('GET', p);
      if (TEXT_PATHS.has(p)) assert.match(r.headers['content-type'] ?? '', TEXT_TYPE, p);
      else {
        assert.match(r.headers['content-type'] ?? '', JSON_TYPE, p);
        r.json();
      }
    }
  }),
);

test(
  'HEAD answers wherever GET does, with the same status and type and no body',
  it.wrap(async ({ lab }) => {
    for (const p of GET_PATHS) {
      for (const url of slashed(p)) {
        const get = await lab.api('GET', url);
        const head = await lab.api('HEAD', url);
        assert.is(head.status, get.status, `HEAD ${url}`);
        assert.is(head.headers['content-type'], get.headers['content-type'], `HEAD ${url}`);
        assert.is(head.body, '');
      }
    }
    const missing = await lab.api('HEAD', '/v1/system/interface/ge9/');
    assert.is(missing.status, 404);
  }),
);

test(
  'another method on a known path is 405 with Allow',
  it.wrap(async ({ lab }) => {
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
      const r = await lab.api(method, url);
      assertErrorBody(r, 405, `${method} ${url}`);
      assert.equal(allowSet(r), allowed, `${method} ${url}: Allow ${r.headers.allow}`);
    }
  }),
);

test(
  'unknown paths are 404 JSON, whatever the method',
  it.wrap(async ({ lab }) => {
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
      const r = await lab.api(method, url);
      assertErrorBody(r, 404, `${method} ${url}`);
      assert.is(r.headers.location, undefined);
    }
  }),
);

test(
  'GET /v1/ and /v1/base/ answer the welcome text',
  it.wrap(async ({ lab }) => {
    for (const url of ['/v1', '/v1/', '/v1/base', '/v1/base/']) {
      const r = await lab.api('GET', url);
      assert.is(r.status, 200);
      assert.is(r.body, WELCOME);
      assert.match(r.headers['content-type'] ?? '', TEXT_TYPE);
    }
  }),
);

test(
  'GET /v1/status/ probes the --status-target addresses by family within 3 s',
  it.wrap(async ({ lab }) => {
    for (const url of ['/v1/status/', '/v1/status']) {
      const r = await lab.api('GET', url, { timeoutS: 10 });
      assert.is(r.status, 200, r.body);
      assert.ok(r.seconds < 3, `${url} took ${r.seconds} s`);
      assert.equal(r.json(), { v4: false, v6: true });
    }
  }),
);

test(
  'GET /v1/firewall/rules/ is the iptables listing followed by the ip6tables one',
  it.wrap(async ({ lab, R }) => {
    // tell the two listings apart: before any configuration both are empty
    await lab.must(R, ['iptables', '-N', 'MARK_V4_LISTING']);
    await lab.must(R, ['ip6tables', '-N', 'MARK_V6_LISTING']);
    try {
      for (const url of ['/v1/firewall/rules', '/v1/firewall/rules/']) {
        const r = await lab.api('GET', url);
        assert.is(r.status, 200);
        assert.match(r.headers['content-type'] ?? '', TEXT_TYPE);
        const v4 = await lab.must(R, ['iptables', '-L', '-n']);
        const v6 = await lab.must(R, ['ip6tables', '-L', '-n']);
        assert.is(r.body, v4 + v6);
        assert.ok(r.body.indexOf('MARK_V4_LISTING') < r.body.indexOf('MARK_V6_LISTING'));
        assert.not.ok(r.body.slice(0, v4.length).includes('MARK_V6_LISTING'));
      }
    } finally {
      await lab.must(R, ['iptables', '-X', 'MARK_V4_LISTING']);
      await lab.must(R, ['ip6tables', '-X', 'MARK_V6_LISTING']);
    }
  }),
);

/** The router NICs' MACs as the kernel reports them, in ethN order. */
async function macs(lab: Lab): Promise<string[]> {
  const out: string[] = [];
  for (const nic of lab.topo.nics) out.push((await lab.must(lab.topo.routerNs, ['cat', `/sys/class/net/${nic.routerIf}/address`])).trim());
  return out;
}

test(
  'GET /v1/system/interfaces works before any configuration: generic names, lowercase MACs, NICs only',
  it.wrap(async ({ lab }) => {
    const kernel = await macs(lab);
    for (const url of ['/v1/system/interfaces', '/v1/system/interfaces/']) {
      const r = await lab.api('GET', url);
      assert.is(r.status, 200);
      const body = r.json();
      assert.equal(Object.keys(body), ['interfaces']);
      const list = body.interfaces as { ifname: string; lladdr: string; addresses: string[]; state: string; mtu: number }[];
      assert.equal(
        list.map((i) => [i.ifname, i.lladdr]),
        kernel.map((mac, k) => [`ge${k}`, mac]),
      );
      for (const i of list) assert.match(i.lladdr, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      assert.ok(list[0]?.addresses.includes(lab.topo.mgmt?.routerCidr as string), JSON.stringify(list[0]));
      assert.is(list[0]?.state, 'up');
      assert.is(list[1]?.state, 'down');
    }
  }),
);

test(
  'GET /v1/system/interface/<geN>/ answers one NIC; an unknown name is 404',
  it.wrap(async ({ lab }) => {
    for (const [k, mac] of (await macs(lab)).entries()) {
      for (const url of slashed(`/v1/system/interface/ge${k}`)) {
        const r = await lab.api('GET', url);
        assert.is(r.status, 200, url);
        const body = r.json();
        assert.equal(Object.keys(body), ['interface']);
        assert.is(body.interface.ifname, `ge${k}`);
        assert.is(body.interface.lladdr, mac);
      }
    }
    for (const name of ['ge9', 'ge3', 'eth0', 'lo', 'GE0']) {
      assertErrorBody(await lab.api('GET', `/v1/system/interface/${name}/`), 404, name);
    }
  }),
);

test(
  'a NIC hot-plugged into the router appears at once',
  it.wrap(async ({ lab, R }) => {
    const mac = 'fa:16:3e:00:00:33';
    await veth({ ns: R, ifname: 'eth3', mac: 'FA:16:3E:00:00:33' }, { ns: lab.topo.switchNs, ifname: 'r3' });
    try {
      const r = await lab.api('GET', '/v1/system/interfaces');
      const list = r.json().interfaces as { ifname: string; lladdr: string }[];
      assert.equal(list.at(-1), { ...list.at(-1), ifname: 'ge3', lladdr: mac });
      assert.is(list.length, 4);
      const one = await lab.api('GET', '/v1/system/interface/ge3/');
      assert.is(one.status, 200);
      assert.is(one.json().interface.lladdr, mac);
    } finally {
      await ipBatch(R, ['link del eth3']);
    }
    assert.is((await lab.api('GET', '/v1/system/interface/ge3')).status, 404, 'an unplugged NIC is gone at once');
    assert.is((await lab.api('GET', '/v1/system/interfaces')).json().interfaces.length, 3);
  }),
);

test(
  'GET /v1/system/config/ before any configuration is an empty configuration',
  it.wrap(async ({ lab }) => {
    for (const url of slashed('/v1/system/config')) {
      const r = await lab.api('GET', url);
      assert.is(r.status, 200);
      assert.equal(r.json(), { configuration: {} });
    }
  }),
);

test.run();
