// Every golden case's rendered files pass the daemons' own checkers:
// iptables-restore --test and ip6tables-restore --test inside a throwaway
// network namespace, dnsmasq --test, bird6 -p. A missing checker fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkAll, renderedSet } from '../runtime/checkers.ts';
import { goldenCases, renderCase } from '../test/golden-cases.ts';
import { withNetns } from '../test/netns.ts';
import { FILES } from './index.ts';

for (const name of goldenCases()) {
  test(`checkers accept ${name}`, async () => {
    const { files } = renderCase(name);
    await withNetns('chk', async (ns) => {
      const failures = await checkAll(renderedSet(files), { wrap: ['ip', 'netns', 'exec', ns] });
      assert.equal(failures, [], JSON.stringify(failures, null, 1));
    });
  });
}

test('checkers reject broken files', async () => {
  const { files } = renderCase('seed-example');
  const get = (p: string) => files.find((f) => f.path === p)?.content ?? '';
  await withNetns('chk', async (ns) => {
    const failures = await checkAll(
      {
        rulesV4: get(FILES.rulesV4).replace('-i lo -j ACCEPT', '-i lo --no-such-option -j ACCEPT'),
        rulesV6: get(FILES.rulesV6).replace('COMMIT', ''),
        dnsmasqConf: get(FILES.dnsmasqConf),
        dnsmasqHosts: get(FILES.dnsmasqHosts),
        dnsmasqOpts: 'tag:ge2_0,option:no-such-option,1\n',
        bird6: get(FILES.bird6).replace('router id', 'router idd'),
      },
      { wrap: ['ip', 'netns', 'exec', ns] },
    );
    assert.equal(failures.map((f) => f.checker).sort(), ['bird6', 'dnsmasq', 'ip6tables-restore', 'iptables-restore']);
  });
});

test.run();
