// Interface naming and GET /v1/system/interfaces, /v1/system/interface/<ifname>:
// the host's NICs under the generic names the orchestrator uses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { interfaceMap, interfaceViews, nicLinks } from '../../features/kit/facts.ts';
import { HttpError } from '../errors.ts';
import { getInterface, getInterfaces, interfaceResponse, interfacesResponse } from './system.ts';
import { agentState, context, input, LO, messyLinks, model, request, responseOf } from './test-kit.ts';

// ---------------------------------------------------------------------------
// interface naming

test('interfaceMap: geN in ifindex order over ethernet NICs, bridges, loopback and tunnels left out', () => {
  assert.equal(interfaceMap({ links: messyLinks() }), { ge0: 'eth0', ge1: 'ens5', ge2: 'eth1', ge3: 'eth2', ge4: 'macv0' });
  assert.equal(
    nicLinks({ links: messyLinks() }).map((l) => l.ifindex),
    [3, 7, 8, 9, 10],
  );
});

test('interfaceMap: does not depend on the order the links are listed in', () => {
  const links = messyLinks();
  const want = interfaceMap({ links });
  assert.equal(interfaceMap({ links: [...links].reverse() }), want);
  assert.equal(interfaceMap({ links: [...links].sort((a, b) => a.ifname.localeCompare(b.ifname)) }), want);
});

test('interfaceMap: a host with only loopback has no interfaces', () => {
  assert.equal(interfaceMap({ links: [LO] }), {});
  assert.equal(interfacesResponse({ links: [LO] }), { interfaces: [] });
});

test('interfaceMap: does not mutate the facts', () => {
  const links = messyLinks();
  const copy = structuredClone(links);
  interfaceMap({ links });
  interfaceViews({ links });
  assert.equal(links, copy);
});

// ---------------------------------------------------------------------------
// GET /v1/system/interfaces and /v1/system/interface/<ifname>

test('interfacesResponse: the orchestrator\u2019s view, generic names and lowercase MACs', () => {
  const body = interfacesResponse({ links: messyLinks() }, { ge2: 'tenant_net' });
  assert.equal(
    body.interfaces.map((i) => i.ifname),
    ['ge0', 'ge1', 'ge2', 'ge3', 'ge4'],
  );
  for (const i of body.interfaces) assert.match(i.lladdr, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  assert.equal(body.interfaces[1], {
    ifname: 'ge1',
    lladdr: 'fa:16:3e:ab:cd:ef',
    addresses: [],
    mtu: 1500,
    state: 'down',
    description: '',
    groups: [],
    media: null,
  });
  assert.equal(body.interfaces[2], {
    ifname: 'ge2',
    lladdr: 'fa:16:3e:00:00:08',
    addresses: ['10.0.0.1/24', 'fe80::1/64'],
    mtu: 1450,
    state: 'up',
    description: 'tenant_net',
    groups: [],
    media: null,
  });
  // a JSON object with an `interfaces` list, as the orchestrator reads it
  const wire = JSON.parse(JSON.stringify(body));
  assert.ok(Array.isArray(wire.interfaces));
  assert.not.ok(JSON.stringify(wire).includes('eth'), 'host names never leak');
});

test('interfaceResponse: one interface by generic name', () => {
  assert.equal(interfaceResponse({ links: messyLinks() }, 'ge0').interface.lladdr, 'fa:16:3e:00:00:03');
  assert.equal(interfaceResponse({ links: messyLinks() }, 'ge4', { ge4: 'x' }).interface.description, 'x');
});

test('interfaceResponse: an unknown name is a 404 HttpError, host names included', () => {
  for (const name of ['ge5', 'ge99', 'eth0', 'lo', 'br0', '', 'GE0']) {
    try {
      interfaceResponse({ links: messyLinks() }, name);
      assert.unreachable(`${name} should not be found`);
    } catch (err) {
      assert.instance(err, HttpError);
      const e = err as HttpError;
      assert.is(e.status, 404);
      assert.equal(Object.keys(e.toJSON()).sort(), ['error', 'issues']);
      assert.equal(e.toJSON().issues, []);
    }
  }
});

test('interfaceResponse: a long name is cut short in the message', () => {
  try {
    interfaceResponse({ links: [] }, 'x'.repeat(5000));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, HttpError);
    assert.ok((err as HttpError).message.length < 100);
  }
});

test('getInterfaces, getInterface: the handlers answer from the context\u2019s links, described by the applied model', async () => {
  const body = input('seed-example');
  body.networks[2].interface.description = 'tenant_net';
  const applied = { body, model: model(body) };
  const ctx = context({ state: agentState({ applied }), links: messyLinks() });
  const all = responseOf(getInterfaces(request(), ctx));
  assert.is(all.status, 200);
  assert.equal(
    ((await all.json()) as { interfaces: { ifname: string; description: string }[] }).interfaces.map((i) => `${i.ifname}:${i.description}`),
    ['ge0:', 'ge1:', 'ge2:tenant_net', 'ge3:', 'ge4:'],
  );
  const one = responseOf(getInterface(request({ params: { ifname: 'ge2' } }), ctx));
  assert.equal(((await one.json()) as { interface: { mtu: number } }).interface.mtu, 1450);
  assert.throws(
    () => getInterface(request({ params: { ifname: 'eth1' } }), ctx),
    (e: unknown) => e instanceof HttpError && e.status === 404,
  );
});

test.run();
