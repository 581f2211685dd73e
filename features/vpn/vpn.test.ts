// The VPN feature without root: the schema's refusals (422 paths), the model's
// fixes of the reference's bugs, the rendered files (keys only hex, 0600),
// the firewall rules, the plan's steps and the state parser.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfiguration } from '../../features/validate.ts';
import { formatPlan, printablePlan } from '../../handlers/plan/format.ts';
import { planConfiguration } from '../../handlers/plan/plan.ts';
import { defaultInterfaceMap } from '../../schema/parse.ts';
import { build, input, seedHost } from '../../test/plan-facts.ts';
import { connectionStates, parseVici } from './state.ts';

const A = '0c3e5a36-1b8e-4d43-9c53-2a4f5e0b7c01';
const B = '3a9d2b7e-5f1c-4c86-a2e4-7b0d1f6c3e02';
const KEYS = ['site-a shared secret', 'b-key/with "quotes" & $chars', 'c-key'];

// biome-ignore lint/suspicious/noExplicitAny: payloads are edited freely
type Body = any;
const body = (): Body => input('vpn-site');
const conn = (b: Body, i: number) => b.vpn.ipsec[0].ipsec_connections[i];

function issues(b: Body): { path: string; message: string }[] {
  const r = validateConfiguration(b, defaultInterfaceMap());
  return r.ok ? [] : r.issues;
}

function refuses(edit: (b: Body) => void, path: string, message: RegExp) {
  const b = body();
  edit(b);
  const found = issues(b);
  assert.ok(
    found.some((i) => i.path === path && message.test(i.message)),
    `expected ${path} ~ ${message}, got ${JSON.stringify(found)}`,
  );
}

test('the vpn-site case is valid; an empty or absent vpn section too', () => {
  assert.equal(issues(body()), []);
  for (const vpn of [{}, null, { ipsec: [] }]) assert.equal(issues({ ...body(), vpn }), []);
});

test('strings that would reach swanctl files are refused with their path', () => {
  const c = 'vpn.ipsec.0.ipsec_connections.0';
  refuses((b) => (conn(b, 0).id = 'a.b'), `${c}.id`, /letters, digits/);
  refuses((b) => (conn(b, 0).id = 'x }\n secrets {'), `${c}.id`, /letters, digits/);
  refuses((b) => (conn(b, 0).peer_id = 'peer }'), `${c}.peer_id`, /IP address, a host name/);
  refuses((b) => (conn(b, 0).peer_id = 'a\nb'), `${c}.peer_id`, /IP address, a host name/);
  refuses((b) => (conn(b, 0).psk = 'line\nbreak'), `${c}.psk`, /printable/);
  refuses((b) => (conn(b, 0).psk = ''), `${c}.psk`, /printable/);
  refuses((b) => (conn(b, 0).peer_address = 'peer.example'), `${c}.peer_address`, /IPv4 or IPv6/);
  refuses((b) => (conn(b, 0).ikepolicy.encryption_algorithm = 'aes-128; x'), `${c}.ikepolicy.encryption_algorithm`, /.+/);
  refuses((b) => (conn(b, 0).ipsecpolicy.pfs = 'group1'), `${c}.ipsecpolicy.pfs`, /.+/);
  refuses((b) => (conn(b, 0).dpd = { action: 'hold', interval: 30, timeout: 10 }), `${c}.dpd.timeout`, /longer than interval/);
  refuses((b) => (conn(b, 0).peer_ep_group.endpoints = ['10.9.0.0/33']), `${c}.peer_ep_group.endpoints.0`, /CIDR/);
});

test('what strongSwan here cannot do, or would get wrong, is a 422 naming the field', () => {
  const c = 'vpn.ipsec.0.ipsec_connections.0';
  refuses((b) => (conn(b, 0).ikepolicy.lifetime = { units: 'kilobytes', value: 1000 }), `${c}.ikepolicy.lifetime.units`, /seconds/);
  refuses((b) => (conn(b, 0).ipsecpolicy.transform_protocol = 'ah'), `${c}.ipsecpolicy.transform_protocol`, /esp/);
  refuses((b) => (conn(b, 0).ipsecpolicy.encapsulation_mode = 'transport'), `${c}.ipsecpolicy.encapsulation_mode`, /tunnel/);
  refuses((b) => (conn(b, 0).local_ep_group.endpoints = ['no-such-subnet']), `${c}.local_ep_group.endpoints.0`, /subnet of this router/);
  refuses((b) => (conn(b, 0).peer_ep_group.type = 'subnet'), `${c}.peer_ep_group.type`, /cidr/);
  refuses((b) => (conn(b, 1).peer_cidrs = []), 'vpn.ipsec.0.ipsec_connections.1.peer_cidrs', /peer/);
  refuses((b) => (b.vpn.ipsec[0].external_v4_ip = '172.24.4.99'), 'vpn.ipsec.0.external_v4_ip', /address of the external network/);
  refuses((b) => (conn(b, 1).id = A), 'vpn.ipsec.0.ipsec_connections.1.id', /another connection/);
  refuses((b) => (conn(b, 0).peer_ep_group.endpoints = ['10.0.0.128/25']), `${c}.peer_cidrs`, /overlaps the router's own subnet/);
  refuses(
    (b) => (conn(b, 1).peer_cidrs = ['192.168.60.0/24', '192.168.61.0/24']),
    'vpn.ipsec.0.ipsec_connections.1.ikepolicy.ike_version',
    /IKEv1/,
  );
});

test('the model fixes the reference: own policies, units, identities, peer_cidrs, admin state, IPv6', () => {
  const { model } = build(body());
  const [a, b, c] = model.vpn;
  assert.is(a?.ike.encryption, 'aes-128');
  assert.is(a?.child.encryption, 'aes-256'); // the IPsec policy's own algorithm
  assert.is(a?.localId, '172.24.4.3'); // not empty
  assert.equal(b?.peerTs, ['192.168.60.0/24']); // peer_cidrs honoured
  assert.equal(b?.localTs, ['10.0.0.0/24']); // the service's subnet
  assert.equal(b?.child.lifetime, { units: 'kilobytes', value: 102400 });
  assert.is(c?.enabled, false);
  const v6 = body();
  conn(v6, 0).peer_address = '2001:db8::50';
  conn(v6, 0).peer_id = '2001:db8::50';
  conn(v6, 0).local_ep_group = { type: 'cidr', endpoints: ['fdc3:6ee6:d81f:ede::/64'] };
  conn(v6, 0).peer_ep_group.endpoints = ['fd00:50::/64'];
  const m6 = build(v6).model.vpn[0];
  assert.is(m6?.localAddress, '2001:db8::3');
  assert.is(m6?.family, 6);
});

test('rendered files: policies mapped, lifetimes with units, the disabled one left out, keys only as hex in a 0600 file', () => {
  const { files } = build(body());
  const vpn = files.filter((f) => f.feature === 'vpn');
  const conf = vpn.find((f) => f.path === 'etc/swanctl/swanctl.conf');
  const secrets = vpn.find((f) => f.path === 'etc/swanctl/secrets.conf');
  assert.is(secrets?.mode, 0o600);
  assert.match(conf?.content ?? '', /proposals = aes128-sha256-modp2048\n/);
  assert.match(conf?.content ?? '', /esp_proposals = aes256-sha1-modp2048\n/);
  assert.match(conf?.content ?? '', /esp_proposals = aes128gcm16-modp2048\n/);
  assert.match(conf?.content ?? '', /life_bytes = 104857600\n/);
  assert.match(conf?.content ?? '', /version = 1\n/);
  assert.not.match(conf?.content ?? '', /7b1c4e8f/);
  assert.match(secrets?.content ?? '', new RegExp(`secret = 0x${Buffer.from(KEYS[0] as string).toString('hex')}\n`));
  for (const f of files) for (const key of KEYS) assert.not.ok(f.content.includes(key), `${f.path} holds a key`);
});

test('firewall: IKE only from the peers on the external link, forwarding and the NAT exemption per selector pair', () => {
  const { files } = build(body());
  const v4 = files.find((f) => f.path === 'etc/iptables/rules.v4')?.content ?? '';
  assert.match(v4, /-A INPUT -i eth1 -s 172\.24\.4\.50\/32 -d 172\.24\.4\.3\/32 -p udp -m udp --dport 500 -j ACCEPT/);
  assert.match(v4, /-A INPUT -i eth1 -s 172\.24\.4\.60\/32 -d 172\.24\.4\.3\/32 -p udp -m udp --dport 4500 -j ACCEPT/);
  assert.not.match(v4, /172\.24\.4\.70/); // disabled
  assert.match(v4, /-A FORWARD -o ipsec0 -s 10\.0\.0\.0\/24 -d 192\.168\.50\.0\/24 -j ACCEPT/);
  assert.match(v4, /-A FORWARD -i ipsec0 -s 192\.168\.60\.0\/24 -d 10\.0\.0\.0\/24 -j ACCEPT/);
  assert.match(v4, /-A PREROUTING -s 10\.0\.0\.0\/24 -d 192\.168\.50\.0\/24 -j MARK --set-mark 0xACDA/);
  const none = build(input('seed-example')).files.find((f) => f.path === 'etc/iptables/rules.v4')?.content ?? '';
  assert.not.match(none, /ipsec0|--dport 500/);
});

const planOf = (b: Body, facts: ReturnType<typeof seedHost>, previous: Body | null = null) => {
  const { model, files } = build(b);
  return planConfiguration(model, files, facts, { previous: previous ? build(previous).model : null });
};
const vpnSteps = (plan: ReturnType<typeof planOf>) =>
  formatPlan(plan)
    .split('\n')
    .filter((l) => /charon|swanctl|etc\/swanctl|strongswan/.test(l));

test('plan: start and load; an identical push nothing; a changed key re-keys only its connection; no section stops charon', () => {
  const seed = build(input('seed-example'));
  const first = planOf(body(), seedHost(seed.files));
  const lines = vpnSteps(first);
  assert.ok(lines.some((l) => /daemon charon start: env STRONGSWAN_CONF=\S+strongswan\.conf charon-systemd/.test(l)));
  assert.ok(lines.some((l) => /run vpn load: .*swanctl --load-all --file \S+swanctl\.conf --uri unix:\/\/\S+charon\.vici/.test(l)));

  const { files } = build(body());
  const up = { ...seedHost(files), services: { ...seedHost(files).services, charon: { running: true, pid: 300 } } };
  assert.equal(vpnSteps(planOf(body(), up)), []);

  const rekeyed = body();
  conn(rekeyed, 1).psk = 'a new key for b';
  const plan = planOf(rekeyed, up, body());
  const text = vpnSteps(plan).join('\n');
  assert.match(text, /run vpn load/);
  assert.match(text, new RegExp(`--terminate --ike ${B}`));
  assert.match(text, new RegExp(`--initiate --child ${B}`));
  assert.not.match(text, new RegExp(`--terminate --ike ${A}`));
  // a proposal change is vici's to handle (it replaces that connection): no explicit re-key
  const proposal = body();
  conn(proposal, 0).ipsecpolicy.encryption_algorithm = 'aes-128';
  assert.not.match(vpnSteps(planOf(proposal, up, body())).join('\n'), /--terminate/);

  const stop = vpnSteps(planOf(input('seed-example'), up, body())).join('\n');
  assert.match(stop, /daemon charon stop/);
  assert.match(stop, /run vpn remove files: rm -f \S+\/etc\/swanctl\/swanctl\.conf \S+\/etc\/swanctl\/secrets\.conf/);
  assert.equal(
    build(input('seed-example')).files.filter((f) => f.feature === 'vpn'),
    [],
  );
});

test('neither the text plan nor the JSON dry run shows a key', () => {
  const seed = build(input('seed-example'));
  const plan = planOf(body(), seedHost(seed.files));
  const shown = `${formatPlan(plan)}${JSON.stringify(printablePlan(plan))}`;
  for (const key of KEYS) assert.not.ok(shown.includes(key));
  assert.not.ok(shown.includes(Buffer.from(KEYS[0] as string).toString('hex')));
});

const LIST_SAS = `list-sa event {${A} {uniqueid=3 version=2 state=ESTABLISHED local-host=172.24.4.3 established=42 child-sas {${A}-3 {name=${A} state=INSTALLED install-time=40 local-ts [10.0.0.0/24] remote-ts [192.168.50.0/24]}}}}
list-sa event {${B} {uniqueid=4 version=1 state=CONNECTING local-host=172.24.4.3 child-sas {}}}
list-sas reply {}
`;

const LOG = `2026-11-30T03:57:40 09[IKE] <${A}|1> initiating IKE_SA ${A}[1] to 172.24.4.50
2026-11-30T03:57:41 15[IKE] <${A}|1> CHILD_SA ${A}{1} established with SPIs c1_i c2_o and TS 10.0.0.0/24 === 192.168.50.0/24
2026-11-30T03:58:00 11[IKE] <${B}|2> initiating IKE_SA ${B}[2] to 172.24.4.60
2026-11-30T03:58:01 12[IKE] <${B}|2> received AUTHENTICATION_FAILED notify error
2026-11-30T03:58:01 12[IKE] <${B}|2> deleting IKE_SA ${B}[2] between 172.24.4.3[172.24.4.3]...172.24.4.60[172.24.4.60]
`;

test('state from the log: when each state began, and why a connection is down', () => {
  const { model } = build(body());
  const [a, b] = connectionStates(
    model.vpn,
    `list-sa event {${A} {state=ESTABLISHED child-sas {x {state=INSTALLED install-time=5}}}}`,
    LOG,
  );
  assert.equal([a?.state, a?.changed_at, a?.last_error], ['up', '2026-11-30T03:57:41', null]);
  assert.equal([b?.state, b?.changed_at, b?.last_error], ['down', '2026-11-30T03:58:01', 'received AUTHENTICATION_FAILED notify error']);
});

test('state: up with its age, connecting, disabled; down when charon says nothing', () => {
  assert.is(parseVici(LIST_SAS).length, 3);
  const { model } = build(body());
  const states = connectionStates(model.vpn, LIST_SAS);
  assert.equal(
    states.map((s) => [s.id.slice(0, 4), s.state, s.since_s]),
    [
      ['0c3e', 'up', 40],
      ['3a9d', 'connecting', null],
      ['7b1c', 'disabled', null],
    ],
  );
  assert.equal(
    connectionStates(model.vpn, null).map((s) => s.state),
    ['down', 'down', 'disabled'],
  );
  assert.not.ok(JSON.stringify(states).includes('secret'));
});

test.run();
