// The plan's files, firewall and daemons: what a changed file leads to, against
// written-out host facts. No root, no processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIRD6_FILE } from '../../features/bird6/index.ts';
import { DNSMASQ_FILES } from '../../features/dnsmasq/index.ts';
import { FIREWALL_FILES } from '../../features/firewall/index.ts';
import { METADATA_FILE } from '../../features/metadata/index.ts';
import { SYSTEM_FILES } from '../../features/system/index.ts';
import { build, input, lines, linesOf, seedHost, show } from '../../test/plan-facts.ts';
import { planConfiguration } from './plan.ts';

/** seed-example on a host that matches it, but for older versions of these files. */
function withChangedFiles(changed: string[]) {
  const { model, files } = build(input('seed-example'));
  const facts = seedHost(files);
  for (const p of changed) facts.files[p] = 'the digest of an older version';
  return { model, files, facts };
}

const plan = (c: ReturnType<typeof withChangedFiles>) => planConfiguration(c.model, c.files, c.facts);
const services = (c: ReturnType<typeof withChangedFiles>) => linesOf(plan(c), 'services');

const DNSMASQ_ARGV =
  'dnsmasq --keep-in-foreground --conf-file=/var/lib/appliance/etc/dnsmasq/dnsmasq.conf --pid-file=/var/lib/appliance/run/dnsmasq.pid ' +
  '--dhcp-leasefile=/var/lib/appliance/var/dnsmasq.leases --log-facility=- --log-dhcp';
const BIRD6_ARGV =
  'bird6 -f -c /var/lib/appliance/etc/bird/bird6.conf -s /var/lib/appliance/run/bird6.ctl -P /var/lib/appliance/run/bird6.pid';

test('dnsmasq: a changed hosts or options file is a reload (SIGHUP), not a restart, after its check', () => {
  const { hosts, opts } = DNSMASQ_FILES;
  for (const changed of [[hosts], [opts], [hosts, opts]]) {
    const p = plan(withChangedFiles(changed));
    assert.equal(
      lines(p),
      [
        'check check dnsmasq: dnsmasq --test --conf-file={tmp}/dnsmasq.conf',
        ...changed.map((f) => `files write ${f} mode 0644`),
        'services signal dnsmasq SIGHUP',
      ],
      `${changed}: ${show(p)}`,
    );
  }
});

test('dnsmasq: a changed main file is a restart, whatever else changed', () => {
  for (const changed of [[DNSMASQ_FILES.conf], Object.values(DNSMASQ_FILES)]) {
    assert.equal(services(withChangedFiles(changed)), [`services daemon dnsmasq restart: ${DNSMASQ_ARGV}`], String(changed));
  }
});

test('dnsmasq: not running is a start, even with nothing changed; running and unchanged is nothing', () => {
  const c = withChangedFiles([]);
  assert.equal(services(c), []);
  c.facts.services.dnsmasq = { running: false, pid: null };
  assert.equal(services(c), [`services daemon dnsmasq start: ${DNSMASQ_ARGV}`]);
  delete c.facts.services.dnsmasq;
  assert.equal(services(c), [`services daemon dnsmasq start: ${DNSMASQ_ARGV}`]);
  const changedToo = withChangedFiles([DNSMASQ_FILES.conf]);
  changedToo.facts.services.dnsmasq = { running: false, pid: 12 };
  assert.equal(services(changedToo), [`services daemon dnsmasq start: ${DNSMASQ_ARGV}`]);
});

test('dnsmasq: stopped when no tenant network is left', () => {
  const body = input('seed-example');
  body.networks = body.networks.filter((n: { network_type: string }) => n.network_type !== 'internal');
  const { model, files } = build(body);
  const facts = seedHost(files);
  assert.equal(lines(planConfiguration(model, files, facts)), ['services daemon dnsmasq stop']);
  facts.services.dnsmasq = { running: false, pid: null };
  assert.equal(lines(planConfiguration(model, files, facts)), []);
});

test('bird6: reconfigured when its file changed, started when not running, else left alone', () => {
  const changed = withChangedFiles([BIRD6_FILE]);
  assert.equal(lines(plan(changed)), [
    'check check bird6: bird6 -p -c {tmp}/bird6.conf',
    'files write etc/bird/bird6.conf mode 0644',
    'services run bird6 reconfigure: birdc6 -s /var/lib/appliance/run/bird6.ctl configure',
  ]);
  const step = plan(changed).steps.find((s) => s.kind === 'run' && s.reason === 'bird6 reconfigure');
  assert.ok(step?.kind === 'run' && step.expect && new RegExp(step.expect).test('Reconfigured'), 'birdc6 answers 0 even when it refused');
  assert.not.ok(step?.kind === 'run' && step.expect && new RegExp(step.expect).test('Reconfiguration failed'));
  changed.facts.services.bird6 = { running: false, pid: null };
  assert.equal(services(changed), [`services daemon bird6 start: ${BIRD6_ARGV}`]);
  const other = withChangedFiles([SYSTEM_FILES.hosts, SYSTEM_FILES.hostname]);
  assert.equal(lines(plan(other)), ['files write etc/hostname mode 0644', 'files write etc/hosts mode 0644']);
});

test('metadata proxy: its listener table is applied when the table changed or it is not serving yet', () => {
  const changed = withChangedFiles([METADATA_FILE]);
  assert.equal(lines(plan(changed)), ['files write etc/metadata.json mode 0644', 'services metadata listeners eth2=10.0.0.1:9602']);
  const fresh = withChangedFiles([]);
  fresh.facts.services.metadata = { running: false, pid: 1 };
  assert.equal(lines(plan(fresh)), ['services metadata listeners eth2=10.0.0.1:9602']);
  const step = plan(fresh).steps[0];
  assert.equal(step?.kind === 'metadata' && step.table.listeners.map((l) => [l.ifname, l.listen_address, l.listen_port]), [
    ['eth2', '10.0.0.1', 9602],
  ]);
});

test('firewall: a family is checked and restored only when its rules file changed', () => {
  assert.equal(lines(plan(withChangedFiles([FIREWALL_FILES.v4]))), [
    'check check iptables-restore: iptables-restore --test < stdin',
    'files write etc/iptables/rules.v4 mode 0600',
    'firewall run firewall v4: iptables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v4',
  ]);
  assert.equal(lines(plan(withChangedFiles([FIREWALL_FILES.v6]))), [
    'check check ip6tables-restore: ip6tables-restore --test < stdin',
    'files write etc/iptables/rules.v6 mode 0600',
    'firewall run firewall v6: ip6tables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v6',
  ]);
  assert.equal(linesOf(plan(withChangedFiles([FIREWALL_FILES.v6, FIREWALL_FILES.v4])), 'firewall'), [
    'firewall run firewall v4: iptables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v4',
    'firewall run firewall v6: ip6tables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v6',
  ]);
});

test('a changed file is written with its rendered content, digest and mode, and checked with that content; nothing else is', () => {
  const c = withChangedFiles([FIREWALL_FILES.v4, SYSTEM_FILES.hosts]);
  const p = plan(c);
  const rendered = (path: string) => {
    const f = c.files.find((x) => x.path === path);
    if (!f) throw new Error(`not rendered: ${path}`);
    return f;
  };
  const v4 = rendered(FIREWALL_FILES.v4);
  const hosts = rendered(SYSTEM_FILES.hosts);
  assert.equal(
    p.steps.filter((s) => s.kind === 'write-file'),
    [
      { phase: 'files', kind: 'write-file', path: SYSTEM_FILES.hosts, content: hosts.content, mode: 0o644, digest: hosts.digest },
      { phase: 'files', kind: 'write-file', path: FIREWALL_FILES.v4, content: v4.content, mode: 0o600, digest: v4.digest },
    ],
    'the firewall rules are not world-readable',
  );
  assert.match(v4.content, /^\*filter$/m);
  assert.equal(
    p.steps.filter((s) => s.kind === 'check'),
    [{ phase: 'check', kind: 'check', checker: 'iptables-restore', argv: ['iptables-restore', '--test'], input: v4.content }],
  );
});

test.run();
