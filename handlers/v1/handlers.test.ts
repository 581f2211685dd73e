// The v1 handlers and host-facts views on plain objects: no root, no processes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Model } from '../../schema/model.ts';
import { defaultInterfaceMap, parseConfiguration } from '../../schema/parse.ts';
import { testdataDir } from '../../test/golden-cases.ts';
import { HttpError } from '../errors.ts';
import { type Facts, interfaceMap, interfaceViews, type LinkFact, nicLinks } from '../facts.ts';
import { configResponse, prepareConfig } from './config.ts';
import { WELCOME } from './root.ts';
import { statusResponse, statusTargets } from './status.ts';
import { interfaceResponse, interfacesResponse } from './system.ts';

// biome-ignore lint/suspicious/noExplicitAny: payloads are edited freely
function input(name: string): any {
  return JSON.parse(readFileSync(path.join(testdataDir, name, 'input.json'), 'utf8'));
}

function model(body: unknown): Model {
  const parsed = parseConfiguration(body, defaultInterfaceMap());
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.model;
}

function nic(ifindex: number, ifname: string, over: Partial<LinkFact> = {}): LinkFact {
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

const LO = nic(1, 'lo', { linkType: 'loopback', kind: null, mac: '00:00:00:00:00:00', mtu: 65536 });

/** A host as the kernel lists it: not in ifindex order, with links that are not NICs. */
function messyLinks(): LinkFact[] {
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
    assert.ok((err as HttpError).message.length < 100);
  }
});

// ---------------------------------------------------------------------------
// GET /v1/status

test('statusTargets: nothing configured and nothing applied means no target at all', () => {
  assert.equal(statusTargets([], null), { v4: [], v6: [] });
});

test('statusTargets: without configured targets, the applied default gateways', () => {
  assert.equal(statusTargets([], model(input('seed-example'))), { v4: ['172.24.4.1'], v6: ['2001:db8::2'] });
  assert.equal(statusTargets([], model(input('ipv6-only'))), { v4: [], v6: ['2001:db8::2'] });
});

test('statusTargets: no external network gives no target, never a public constant', () => {
  const m = model(input('no-external'));
  assert.equal(m.defaultV4Gateway, null);
  assert.equal(statusTargets([], m), { v4: [], v6: [] });
});

test('statusTargets: configured targets win, are split by family, canonical, and junk is dropped', () => {
  const got = statusTargets(
    ['10.1.2.3', 'FDCA:3BA5::0001', 'not-an-ip', '', '10.1.2.3/24', 'fe80::1%eth0', '::ffff:10.0.0.1'],
    model(input('seed-example')),
  );
  assert.equal(got, { v4: ['10.1.2.3'], v6: ['fdca:3ba5::1'] });
});

test('statusResponse: a family is up when any of its targets answered', () => {
  assert.equal(statusResponse({ v4: [], v6: [] }), { v4: false, v6: false });
  assert.equal(statusResponse({ v4: [false, true], v6: [false] }), { v4: true, v6: false });
  assert.equal(statusResponse({ v4: [false], v6: [true, true] }), { v4: false, v6: true });
});

// ---------------------------------------------------------------------------
// GET and PUT /v1/system/config

test('configResponse: nothing applied yet is an empty configuration', () => {
  assert.equal(configResponse(null), { configuration: {} });
});

test('configResponse: the applied body as it came, with a VPN section withheld', () => {
  const body = input('seed-example');
  assert.equal(configResponse(body), { configuration: body });
  const withVpn = { ...body, vpn: { ipsec: [{ psk: 'secret' }] } };
  const out = configResponse(withVpn);
  assert.equal(out.configuration.vpn, '(withheld)');
  assert.not.ok(JSON.stringify(out).includes('secret'));
  assert.equal({ ...out.configuration, vpn: undefined }, { ...body, vpn: undefined });
});

function hostFacts(): Facts {
  return {
    links: [LO, nic(2, 'eth0'), nic(3, 'eth1'), nic(4, 'eth2')],
    routes: [],
    files: {},
    sysctls: {},
    hostname: 'debian',
    services: {},
  };
}

test('prepareConfig: a valid body gives the model, the rendered files under the root, and a plan', () => {
  const prepared = prepareConfig(input('seed-example'), hostFacts(), '/srv/agent');
  assert.is(prepared.model.networks.length, 3);
  assert.equal(
    prepared.model.networks.map((n) => n.ifname),
    ['eth0', 'eth1', 'eth2'],
  );
  assert.ok(prepared.files.length > 0);
  assert.ok(prepared.plan.steps.length > 0);
  assert.ok(prepared.files.some((f) => f.content.includes('/srv/agent/etc/dnsmasq/dhcp-hosts')));
});

test('prepareConfig: the generic names follow the host\u2019s ifindex order', () => {
  const facts = hostFacts();
  facts.links = [LO, nic(30, 'eth0'), nic(10, 'eth2'), nic(20, 'eth1')];
  const prepared = prepareConfig(input('seed-example'), facts, '/r');
  assert.equal(
    prepared.model.networks.map((n) => `${n.generic}=${n.ifname}`),
    ['ge0=eth2', 'ge1=eth1', 'ge2=eth0'],
  );
});

test('prepareConfig: an invalid body is a 422 listing every issue', () => {
  const body = input('seed-example');
  body.networks[2].interface.ifname = 'ge7';
  body.floating_ips = [{ floating_ip: '198.51.100.9', fixed_ip: '10.0.0.3' }];
  body.networks[1].subnets[0].gateway_ip = '2001:db8::1';
  try {
    prepareConfig(body, hostFacts(), '/r');
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, HttpError);
    const e = err as HttpError;
    assert.is(e.status, 422);
    const paths = e.issues.map((i) => i.path).sort();
    assert.equal(
      paths,
      ['floating_ips.0.floating_ip', 'networks.1.subnets.0.gateway_ip', 'networks.2.interface.ifname'],
      JSON.stringify(e.issues),
    );
    const json = JSON.parse(JSON.stringify(e));
    assert.equal(Object.keys(json).sort(), ['error', 'issues']);
    assert.not.ok(JSON.stringify(json).includes('    at '), 'no stack trace');
  }
});

test('prepareConfig: an interface the host lacks is an issue, not a crash', () => {
  const facts = hostFacts();
  facts.links = [LO, nic(2, 'eth0')];
  try {
    prepareConfig(input('seed-example'), facts, '/r');
    assert.unreachable();
  } catch (err) {
    assert.is((err as HttpError).status, 422);
    const paths = (err as HttpError).issues.map((i) => i.path);
    assert.ok(paths.includes('networks.1.interface.ifname'), JSON.stringify(paths));
    assert.ok(paths.includes('networks.2.interface.ifname'), JSON.stringify(paths));
  }
});

test('prepareConfig: non-object bodies are 422 too', () => {
  for (const raw of [null, [], 'text', 42, true]) {
    try {
      prepareConfig(raw, hostFacts(), '/r');
      assert.unreachable(JSON.stringify(raw));
    } catch (err) {
      assert.instance(err, HttpError);
      assert.is((err as HttpError).status, 422);
      assert.ok((err as HttpError).issues.length > 0);
    }
  }
});

// ---------------------------------------------------------------------------
// errors and the root

test('HttpError: JSON is {error, issues} plus extras, never the stack', () => {
  const e = new HttpError(409, 'busy', [{ path: 'a', message: 'b' }], { step: 3 });
  assert.equal(JSON.parse(JSON.stringify(e)), { error: 'busy', issues: [{ path: 'a', message: 'b' }], step: 3 });
  assert.equal(new HttpError(404, 'x').toJSON(), { error: 'x', issues: [] });
  assert.instance(e, Error);
});

test('WELCOME is one line of plain text', () => {
  assert.match(WELCOME, /^[^\n]+\n$/);
});

test('prepareConfig: a body without a management network is refused, so the API cannot lock itself out', () => {
  for (const body of [{}, { ...input('seed-example'), networks: input('seed-example').networks.slice(1) }]) {
    try {
      prepareConfig(body, hostFacts(), '/r');
      assert.unreachable('accepted');
    } catch (err) {
      assert.instance(err, HttpError);
      assert.is((err as HttpError).status, 422);
      assert.equal(
        (err as HttpError).issues.map((i) => i.path),
        ['networks'],
      );
    }
  }
});

test.run();
