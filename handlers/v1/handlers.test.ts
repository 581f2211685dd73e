// PUT /v1/system/config on plain objects: renderConfig (validation against the
// host's interfaces, rendering under the root), planFor (the options an apply
// uses) and the putConfig handler's outcomes. No root, no processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { finish } from '../../features/kit/staged.ts';
import { applyPlan, lines, linesOf } from '../../test/plan-facts.ts';
import { HttpError } from '../errors.ts';
import { formatPlan } from '../plan/format.ts';
import { planFor, putConfig, renderConfig, SUPERSEDED } from './config.ts';
import { agentState, context, hostFacts, input, LO, model, nic, request } from './test-kit.ts';

function rejected(raw: unknown, ctx = context({ facts: hostFacts() })): HttpError {
  try {
    renderConfig(raw, ctx);
  } catch (err) {
    assert.instance(err, HttpError);
    return err as HttpError;
  }
  assert.unreachable(`accepted: ${JSON.stringify(raw)?.slice(0, 80)}`);
  throw new Error('unreachable');
}

// ---------------------------------------------------------------------------
// renderConfig and planFor

test('renderConfig and planFor: a valid body gives the model, the files rendered under the root, and the plan a fresh host needs', () => {
  const ctx = context({ facts: hostFacts(), state: agentState({ root: '/srv/agent' }) });
  const memo = renderConfig(input('seed-example'), ctx);
  assert.equal(
    memo.model.networks.map((n) => n.ifname),
    ['eth0', 'eth1', 'eth2'],
  );
  assert.equal(
    memo.files.map((f) => `${f.feature} ${f.path}`),
    [
      'system etc/hostname',
      'system etc/hosts',
      'firewall etc/iptables/rules.v4',
      'firewall etc/iptables/rules.v6',
      'dnsmasq etc/dnsmasq/dnsmasq.conf',
      'dnsmasq etc/dnsmasq/dhcp-hosts',
      'dnsmasq etc/dnsmasq/dhcp-opts',
      'bird6 etc/bird/bird6.conf',
      'metadata etc/metadata.json',
    ],
  );
  assert.match(
    memo.files.find((f) => f.path === 'etc/dnsmasq/dnsmasq.conf')?.content ?? '',
    /^dhcp-hostsfile=\/srv\/agent\/etc\/dnsmasq\/dhcp-hosts$/m,
  );
  const plan = planFor(memo, ctx);
  assert.equal(
    linesOf(plan, 'files'),
    memo.files.map((f) => `files write ${f.path} mode 0${f.mode.toString(8)}`),
  );
  assert.is(linesOf(plan, 'check').length, 4, 'every changed file is checked');
  assert.is(linesOf(plan, 'sysctl').length, 10);
  // the links are up already: only the MTUs differ
  assert.equal(linesOf(plan, 'system', 'addresses', 'routes', 'firewall', 'services', 'announce'), [
    'system hostname ak-d22b149cee9b4eac8349c517eda00b89',
    'addresses run links and addresses + routes: ip -batch - <<< link set dev eth0 mtu 1450; link set dev eth2 mtu 1450; ' +
      'address add fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1/64 nodad dev eth0; address add 172.24.4.3/24 brd + dev eth1; ' +
      'address add 2001:db8::3/64 nodad dev eth1; address add 10.0.0.1/24 brd + dev eth2; address add fdc3:6ee6:d81f:ede::1/64 nodad dev eth2; route replace default via 172.24.4.1 dev eth1 proto static; route replace ::/0 via 2001:db8::2 dev eth1 proto static',
    'firewall run firewall v4: iptables-restore -w 5 /srv/agent/etc/iptables/rules.v4',
    'firewall run firewall v6: ip6tables-restore -w 5 /srv/agent/etc/iptables/rules.v6',
    'services daemon dnsmasq start: dnsmasq --keep-in-foreground --conf-file=/srv/agent/etc/dnsmasq/dnsmasq.conf ' +
      '--pid-file=/srv/agent/run/dnsmasq.pid --dhcp-leasefile=/srv/agent/var/dnsmasq.leases --log-facility=- --log-dhcp',
    'services daemon bird6 start: bird6 -f -c /srv/agent/etc/bird/bird6.conf -s /srv/agent/run/bird6.ctl -P /srv/agent/run/bird6.pid',
    'services metadata listeners eth2=10.0.0.1:9602',
    'announce announce arping -U -c 1 -I eth1 172.24.4.3',
    'announce announce arping -U -c 1 -I eth2 10.0.0.1',
  ]);
});

test('renderConfig: the generic names follow the host\u2019s ifindex order', () => {
  const facts = hostFacts();
  facts.links = [LO, nic(30, 'eth0'), nic(10, 'eth2'), nic(20, 'eth1')];
  const memo = renderConfig(input('seed-example'), context({ facts }));
  assert.equal(
    memo.model.networks.map((n) => `${n.generic}=${n.ifname}`),
    ['ge0=eth2', 'ge1=eth1', 'ge2=eth0'],
  );
});

test('renderConfig: an interface the host lacks is an issue, not a crash', () => {
  const facts = hostFacts();
  facts.links = [LO, nic(2, 'eth0')];
  const e = rejected(input('seed-example'), context({ facts }));
  assert.is(e.status, 422);
  assert.equal(
    e.issues.map((i) => i.path).filter((p) => p.endsWith('interface.ifname')),
    ['networks.1.interface.ifname', 'networks.2.interface.ifname'],
  );
});

test('renderConfig: non-object bodies are 422 too', () => {
  for (const raw of [null, [], 'text', 42, true]) {
    const e = rejected(raw);
    assert.is(e.status, 422, JSON.stringify(raw));
    assert.ok(e.issues.length > 0);
  }
});

test('renderConfig: a body without a management network is refused, so the API cannot lock itself out', () => {
  for (const body of [{}, { ...input('seed-example'), networks: input('seed-example').networks.slice(1) }]) {
    const e = rejected(body);
    assert.is(e.status, 422);
    assert.equal(
      e.issues.map((i) => i.path),
      ['networks'],
    );
  }
});

test('planFor: a dirty agent reloads everything; the touched (else applied) model says what a dropped NIC carried', () => {
  const ctx = context({ facts: hostFacts() });
  const full = renderConfig(input('seed-example'), ctx);
  const facts = applyPlan(hostFacts(), planFor(full, ctx));
  assert.equal(lines(planFor(full, context({ facts }))), [], 'the applied host needs nothing');
  assert.equal(lines(planFor(full, context({ facts, state: agentState({ dirty: true }) }))), [
    'firewall run firewall v4: iptables-restore -w 5 /srv/agent/etc/iptables/rules.v4',
    'firewall run firewall v6: ip6tables-restore -w 5 /srv/agent/etc/iptables/rules.v6',
    'services signal dnsmasq SIGHUP',
    'services run bird6 reconfigure: birdc6 -s /srv/agent/run/bird6.ctl configure',
    'services metadata listeners eth2=10.0.0.1:9602',
  ]);
  const body = input('seed-example');
  body.networks = body.networks.slice(0, 2);
  const smaller = renderConfig(body, context({ facts }));
  const dropped =
    'addresses run links and addresses: ip -batch - <<< address del 10.0.0.1/24 dev eth2; address del fdc3:6ee6:d81f:ede::1/64 dev eth2';
  assert.equal(linesOf(planFor(smaller, context({ facts })), 'addresses'), []);
  const applied = { body: full.body, model: full.model };
  assert.equal(linesOf(planFor(smaller, context({ facts, state: agentState({ applied }) })), 'addresses'), [dropped]);
  const touched = agentState({ applied: { body, model: model(body) }, touched: full.model });
  assert.equal(linesOf(planFor(smaller, context({ facts, state: touched })), 'addresses'), [dropped]);
  assert.throws(() => planFor(smaller, context()), /facts/);
});

// ---------------------------------------------------------------------------
// the putConfig handler

const put = (body: unknown, over: Parameters<typeof request>[0] = {}) =>
  request({ method: 'PUT', body, text: JSON.stringify(body), ...over });

test('putConfig: an invalid body is a 422 listing every issue, without a stack trace', async () => {
  const body = input('seed-example');
  body.networks[2].interface.ifname = 'ge7';
  body.floating_ips = [{ floating_ip: '198.51.100.9', fixed_ip: '10.0.0.3' }];
  body.networks[1].subnets[0].gateway_ip = '2001:db8::1';
  const outcome = finish(putConfig(put(body), context({ facts: hostFacts() })));
  if (outcome.kind !== 'response') throw new Error(`expected a response, got ${outcome.kind}`);
  assert.is(outcome.response.status, 422);
  const text = await outcome.response.text();
  assert.not.ok(text.includes('    at '), 'no stack trace');
  const json = JSON.parse(text) as { issues: { path: string }[] };
  assert.equal(Object.keys(json).sort(), ['error', 'issues']);
  assert.equal(
    json.issues.map((i) => i.path).sort(),
    ['floating_ips.0.floating_ip', 'networks.1.subnets.0.gateway_ip', 'networks.2.interface.ifname'],
    text,
  );
});

test('putConfig works in stages: validation, the model, the features\u2019 rules and each render are apart, and the outcome is the one run straight through', () => {
  // a NIC for each of large-scale's networks
  const facts = { ...hostFacts(), links: [LO, ...Array.from({ length: 30 }, (_, i) => nic(i + 2, `eth${i}`))] };
  const ctx = context({ facts });
  const work = putConfig(put(input('large-scale')), ctx);
  let stages = 0;
  let r = work.next();
  for (; !r.done; r = work.next()) stages += 1;
  const outcome = r.value;
  assert.is(outcome.kind, 'apply', outcome.kind === 'response' ? String(outcome.response.status) : '');
  assert.ok(stages >= 6, `only ${stages} stages`);
  const straight = finish(putConfig(put(input('large-scale')), ctx));
  if (outcome.kind !== 'apply' || straight.kind !== 'apply') throw new Error('expected plans');
  assert.equal(outcome.plan, straight.plan);
  // a body the memo already holds is planned at once, with no render stage
  const again = putConfig(put(input('large-scale')), { ...ctx, memo: outcome.memo });
  assert.ok(again.next().done, 'a re-push has no stage to wait for');
});

test('putConfig: a dry run answers the plan an apply would run, as text or JSON, and applies nothing', async () => {
  const ctx = context({ facts: hostFacts() });
  const want = planFor(renderConfig(input('seed-example'), ctx), ctx);
  const text = finish(
    putConfig(put(input('seed-example'), { query: { dry_run: '1' }, headers: new Headers({ accept: 'text/plain' }) }), ctx),
  );
  if (text.kind !== 'response') throw new Error(`expected a response, got ${text.kind}`);
  assert.is(await text.response.text(), formatPlan(want));
  const json = finish(putConfig(put(input('seed-example'), { query: { dry_run: 'true' } }), ctx));
  if (json.kind !== 'response') throw new Error(`expected a response, got ${json.kind}`);
  const answer = (await json.response.json()) as {
    dry_run: boolean;
    plan: { kind: string; path?: string }[];
    summary: Record<string, number>;
  };
  assert.is(answer.dry_run, true);
  assert.is(answer.plan.length, want.steps.length);
  assert.equal(answer.summary['write-file'], 9);
  assert.not.ok(JSON.stringify(answer.plan).includes('dhcp-hostsfile='), 'file contents are not in a dry run');
});

test('putConfig: an apply carries the plan and answers with the body, saying when a newer one was applied instead', async () => {
  const ctx = context({ facts: hostFacts() });
  const body = input('seed-example');
  const outcome = finish(putConfig(put(body), ctx));
  if (outcome.kind !== 'apply') throw new Error(`expected an apply, got ${outcome.kind}`);
  assert.equal(lines(outcome.plan), lines(planFor(renderConfig(body, ctx), ctx)));
  assert.equal(outcome.body, body);
  const done = outcome.respond({ superseded: false });
  assert.is(done.status, 200);
  assert.equal(await done.json(), { configuration: body });
  const late = outcome.respond({ superseded: true });
  assert.is(late.headers.get('x-appliance-superseded'), 'true');
  assert.equal(((await late.json()) as { notices: unknown[] }).notices, [{ path: '(body)', message: SUPERSEDED }]);
  // a re-push of the same text on the same interfaces reuses the render
  const again = finish(putConfig(put(body), { ...ctx, memo: outcome.memo }));
  assert.ok(again.kind === 'apply' && again.memo === outcome.memo);
});

test.run();
