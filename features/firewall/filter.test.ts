// The filter table's policy, checked as properties of the rendered rules for
// every golden case (the lab suite test/host/perimeter.test.ts probes the same
// policy with packets).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultInterfaceMap, parseConfiguration } from '../../schema/parse.ts';
import { goldenCases, renderCase, testdataDir } from '../../test/golden-cases.ts';
import { metadataPort } from '../metadata/table.ts';
import { renderIptables } from './rules.ts';

const cases = goldenCases().map((name) => ({ name, model: renderCase(name).parsed.model }));

function filterLines(text: string): string[] {
  const start = text.indexOf('*filter');
  return text.slice(start, text.indexOf('COMMIT', start)).split('\n');
}

for (const { name, model } of cases) {
  const fw = renderIptables(model);
  for (const family of [4, 6] as const) {
    const lines = filterLines(family === 4 ? fw.v4 : fw.v6);
    const rules = lines.filter((l) => l.startsWith('-A '));
    const label = `${name} v${family}`;

    test(`${label}: INPUT and FORWARD drop what no rule accepts`, () => {
      assert.ok(lines.includes(':INPUT DROP [0:0]'), label);
      assert.ok(lines.includes(':FORWARD DROP [0:0]'), label);
    });

    test(`${label}: nothing is forwarded into or out of the management network, before any accept`, () => {
      const forward = rules.filter((r) => r.startsWith('-A FORWARD '));
      const firstAccept = forward.findIndex((r) => r.endsWith('-j ACCEPT') || r.includes('-j FROM_TENANT'));
      for (const n of model.networks.filter((x) => x.type === 'management')) {
        for (const dir of ['-i', '-o']) {
          const at = forward.indexOf(`-A FORWARD ${dir} ${n.ifname} -j DROP`);
          assert.ok(at >= 0 && at < firstAccept, `${label}: ${dir} ${n.ifname} dropped first`);
        }
        const touching = rules.filter((r) => /^-A (FORWARD|FROM_TENANT) /.test(r) && r.includes(` ${n.ifname} `));
        assert.ok(
          touching.every((r) => r.endsWith('-j DROP')),
          `${label}: ${touching.join('; ')}`,
        );
      }
    });

    test(`${label}: a tenant interface accepts only named ports, each to an address of the router there`, () => {
      for (const t of [...model.internal, ...model.isolated]) {
        const mine = rules.filter((r) => r.startsWith(`-A INPUT -i ${t.ifname} `));
        for (const r of mine) {
          assert.match(r, / -d \S+ -p (udp|tcp) -m (udp|tcp) --dport (53|67|547|\d{4}) -j ACCEPT$/, `${label}: ${r}`);
          const port = Number(/--dport (\d+)/.exec(r)?.[1]);
          if (port > 1000) assert.is(port, metadataPort(t), `${label}: only its own metadata listener: ${r}`);
        }
        assert.not.ok(
          mine.some((r) => / --dport (179|22|5000|9697) /.test(r)),
          label,
        );
      }
    });

    test(`${label}: BGP only from a configured peer on the external interface`, () => {
      const bgp = rules.filter((r) => r.includes('--dport 179'));
      for (const r of bgp) assert.match(r, new RegExp(`^-A INPUT -i ${model.external?.ifname} -s \\S+ -d \\S+ -p tcp`), `${label}: ${r}`);
      if (family === 4) assert.is(bgp.length, 0);
    });
  }
}

test('internal networks forward to the external network and to each other; inbound only to floating IPs', () => {
  const { model } = cases.find((c) => c.name === 'floating-ips') ?? { model: null };
  assert.ok(model);
  const v4 = filterLines(renderIptables(model).v4);
  const ext = model.external?.ifname;
  assert.ok(v4.includes(`-A FROM_TENANT -o ${ext} -j ACCEPT`));
  for (const t of model.internal) {
    assert.ok(v4.includes(`-A FORWARD -i ${t.ifname} -j FROM_TENANT`));
    assert.ok(v4.includes(`-A FROM_TENANT -o ${t.ifname} -j ACCEPT`));
  }
  const fromExt = v4.filter((l) => l.startsWith(`-A FORWARD -i ${ext} `));
  assert.is(fromExt.length, model.floatingIps.filter((f) => f.family === 4).length, 'inbound only to floating IPs');
  for (const l of fromExt) assert.match(l, /--ctstate DNAT --ctorigdst /);
});

test('an isolated network gets DHCP, DNS and its metadata listener but is forwarded nowhere', () => {
  const body = JSON.parse(readFileSync(path.join(testdataDir, 'floating-ips', 'input.json'), 'utf8'));
  body.networks[3].network_type = 'isolated';
  body.floating_ips = body.floating_ips.filter((f: { fixed_ip: string }) => !f.fixed_ip.startsWith('10.0.1.'));
  const parsed = parseConfiguration(body, defaultInterfaceMap());
  assert.ok(parsed.ok);
  const isolated = parsed.model.isolated[0];
  assert.ok(isolated);
  const v4 = filterLines(renderIptables(parsed.model).v4);
  assert.ok(v4.includes(`-A INPUT -i ${isolated.ifname} -d 255.255.255.255 -p udp -m udp --dport 67 -j ACCEPT`));
  assert.ok(v4.some((l) => l.includes(`-i ${isolated.ifname}`) && l.includes(`--dport ${metadataPort(isolated)}`)));
  const forwarded = v4.filter((l) => /^-A (FORWARD|FROM_TENANT) /.test(l) && l.includes(` ${isolated.ifname} `));
  assert.equal(forwarded, []);
});

test.run();

test('rules other features contribute come after the firewall own rules of their table, in their family only', () => {
  const model = cases[0]?.model as (typeof cases)[number]['model'];
  const fw = renderIptables(model, [
    { table: 'filter', family: 4, note: 'contributed opening' },
    { table: 'filter', chain: 'INPUT', family: 4, spec: '-p vrrp -j ACCEPT' },
    { table: 'raw', chain: 'PREROUTING', family: 6, spec: '-d 2001:db8::/64 -j NOTRACK' },
  ]);
  const v4 = filterLines(fw.v4);
  const at = v4.indexOf('-A INPUT -p vrrp -j ACCEPT');
  assert.ok(at > 0, 'contributed rule rendered');
  assert.is(v4[at - 1], '# contributed opening');
  assert.ok(
    v4.slice(at + 1).every((l) => !l.startsWith('-A INPUT')),
    'after every INPUT rule of the firewall',
  );
  assert.ok(fw.v6.includes('-A PREROUTING -d 2001:db8::/64 -j NOTRACK'));
  assert.not.ok(fw.v4.includes('NOTRACK'));
});

test('the registry hands the features contributions to the firewall', async () => {
  const { FEATURES } = await import('../registry.ts');
  const { renderAll } = await import('../render.ts');
  const model = cases[0]?.model as (typeof cases)[number]['model'];
  const probe = {
    name: 'probe',
    paths: [],
    firewall: () => [{ table: 'filter' as const, chain: 'INPUT', family: 4 as const, spec: '-p vrrp -j ACCEPT' }],
  };
  (FEATURES as unknown as object[]).push(probe);
  try {
    const files = renderAll(model, '/nonexistent-root');
    const v4 = files.find((f) => f.path.endsWith('rules.v4'));
    assert.ok(v4?.content.includes('-A INPUT -p vrrp -j ACCEPT'));
  } finally {
    (FEATURES as unknown as object[]).pop();
  }
});
