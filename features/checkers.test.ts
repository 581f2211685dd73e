// Every golden case's rendered files pass the daemons' own checkers, run as
// the plan's check steps: iptables-restore --test and ip6tables-restore --test
// inside a throwaway network namespace, dnsmasq --test, bird6 -p. A missing
// checker fails.
import { execa } from 'execa';
import * as assert from 'uvu/assert';
import { checkSteps } from '../handlers/plan/plan.ts';
import { rootSuite } from '../lab/suite.ts';
import { runCheck } from '../runtime/executor.ts';
import { RealHost } from '../runtime/host/real.ts';
import { goldenCases, renderCase } from '../test/golden-cases.ts';
import { withNetns } from '../test/netns.ts';
import type { RenderedFile } from './kit/feature.ts';
import type { Step } from './kit/step.ts';

const CHECKERS = ['bird6', 'dnsmasq', 'ip6tables-restore', 'iptables-restore'];

/** keepalived's check wants the interfaces its file names: the namespace gets them (veth pairs) */
async function withLinks(ns: string, ifnames: string[]) {
  for (const [i, name] of ifnames.entries()) {
    await execa('ip', ['-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `chkpeer${i}`]);
  }
}

async function failures(files: RenderedFile[], ns: string) {
  const host = new RealHost(['ip', 'netns', 'exec', ns]);
  const checks = checkSteps(files, new Set(files.map((f) => f.path))).filter(
    (s): s is Extract<Step, { kind: 'check' }> => s.kind === 'check',
  );
  const ha = files.some((f) => f.path === 'etc/keepalived/keepalived.conf');
  assert.equal(checks.map((c) => c.checker).sort(), [...CHECKERS, ...(ha ? ['keepalived'] : [])].sort());
  return (await Promise.all(checks.map((c) => runCheck(host, '/tmp', c)))).filter((f) => f !== null);
}

const test = rootSuite('the daemon checkers, in network namespaces');
for (const name of goldenCases()) {
  test(`checkers accept ${name}`, async () => {
    const { files, parsed } = renderCase(name);
    await withNetns('chk', async (ns) => {
      if (parsed.model.ha)
        await withLinks(
          ns,
          parsed.model.networks.map((n) => n.ifname),
        );
      const failed = await failures(files, ns);
      assert.equal(failed, [], JSON.stringify(failed, null, 1));
    });
  });
}

test('checkers reject broken files', async () => {
  const { files } = renderCase('seed-example');
  const broken: Record<string, (text: string) => string> = {
    'etc/iptables/rules.v4': (t) => t.replace('-i lo -j ACCEPT', '-i lo --no-such-option -j ACCEPT'),
    'etc/iptables/rules.v6': (t) => t.replace('COMMIT', ''),
    'etc/dnsmasq/dhcp-opts': () => 'tag:ge2_0,option:no-such-option,1\n',
    'etc/bird/bird6.conf': (t) => t.replace('router id', 'router idd'),
  };
  const edited = files.map((f) => ({ ...f, content: broken[f.path]?.(f.content) ?? f.content }));
  await withNetns('chk', async (ns) => {
    const failed = await failures(edited, ns);
    assert.equal(failed.map((f) => f?.checker).sort(), ['bird6', 'dnsmasq', 'ip6tables-restore', 'iptables-restore']);
  });
});

test('keepalived rejects a broken file', async () => {
  const { files, parsed } = renderCase('ha-pair');
  const edited = files.map((f) =>
    f.path === 'etc/keepalived/keepalived.conf' ? { ...f, content: f.content.replace('virtual_routes', 'virtual_routez') } : f,
  );
  await withNetns('chk', async (ns) => {
    await withLinks(
      ns,
      parsed.model.networks.map((n) => n.ifname),
    );
    const failed = await failures(edited, ns);
    assert.equal(
      failed.map((f) => f?.checker),
      ['keepalived'],
    );
  });
});

test.run();
