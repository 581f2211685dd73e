// GET /v1/status, GET /v1/system/config, errors and the welcome line, on plain
// objects: no root, no processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpError } from '../errors.ts';
import { configResponse, getConfig } from './config.ts';
import { WELCOME } from './root.ts';
import { getStatus, statusResponse, statusTargets } from './status.ts';
import { agentState, context, input, model, request, responseOf } from './test-kit.ts';

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

test('getStatus: one ping per target of the applied configuration, the answer by family', async () => {
  const body = input('seed-example');
  const outcome = getStatus(request(), context({ state: agentState({ applied: { body, model: model(body) } }) }));
  if (outcome.kind !== 'query') throw new Error(`expected a query, got ${outcome.kind}`);
  assert.equal(
    outcome.steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : s.kind)),
    ['ping -4 -n -c 1 -W 2 172.24.4.1', 'ping -6 -n -c 1 -W 2 2001:db8::2'],
  );
  const answer = outcome.respond([
    { exitCode: 1, stdout: '', stderr: '' },
    { exitCode: 0, stdout: '', stderr: '' },
  ]);
  assert.equal(await answer.json(), { v4: false, v6: true });
});

// ---------------------------------------------------------------------------
// GET /v1/system/config

test('configResponse: nothing applied yet is an empty configuration', () => {
  assert.equal(configResponse(null), { configuration: {} });
});

test('configResponse: the applied body as it came, with the VPN keys withheld', () => {
  const body = input('seed-example');
  assert.equal(configResponse(body), { configuration: body });
  const withVpn = { ...body, vpn: { ipsec: [{ id: 's1', ipsec_connections: [{ id: 'c1', psk: 'secret' }] }] } };
  const out = configResponse(withVpn);
  assert.equal(out.configuration.vpn, { ipsec: [{ id: 's1', ipsec_connections: [{ id: 'c1', psk: '(withheld)' }] }] });
  assert.not.ok(JSON.stringify(out).includes('secret'));
  assert.equal({ ...out.configuration, vpn: undefined }, { ...body, vpn: undefined });
});

test('getConfig: the applied body, else the saved one until start-up replaces it', async () => {
  const body = input('seed-example');
  const saved = { ...body, hostname: 'saved' };
  const answer = (state: Parameters<typeof agentState>[0]) =>
    responseOf(getConfig(request(), context({ state: agentState(state) }))).json();
  assert.equal(await answer({}), { configuration: {} });
  assert.equal(await answer({ saved }), { configuration: saved });
  assert.equal(await answer({ saved, applied: { body, model: model(body) } }), { configuration: body });
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

test.run();
