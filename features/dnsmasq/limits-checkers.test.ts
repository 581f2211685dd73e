// The schema's limits are the daemons' own: each body at a limit passes the
// real checkers (dnsmasq --test, bird6 -p, iptables-restore --test in a
// throwaway namespace), and its model pushed one step further, past what the
// schema takes, makes the checker fail with the daemon's own words.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRendered } from '../../runtime/executor.ts';
import { RealHost } from '../../runtime/host/real.ts';
import type { Model } from '../../schema/model.ts';
import { LIMIT_CASES } from '../../test/limit-cases.ts';
import { withNetns } from '../../test/netns.ts';
import { accepted } from '../../test/schema-kit.ts';
import { renderAll } from '../render.ts';

const ROOT = process.getuid?.() === 0;
if (!ROOT) console.log('limits-checkers: skipped, the checkers run in a network namespace (needs root)');

const check = (m: Model, ns: string) =>
  checkRendered(new RealHost(['ip', 'netns', 'exec', ns]), renderAll(m, '/var/lib/appliance'), '/tmp');

for (const c of LIMIT_CASES) {
  (ROOT ? test : test.skip)(`daemon limit: ${c.name}`, async () => {
    await withNetns('lim', async (ns) => {
      const at = accepted(c.at()).model;
      assert.equal(await check(at, ns), [], 'the body at the limit passes the checkers');
      const past = structuredClone(at);
      c.push(past);
      const failures = await check(past, ns);
      assert.is(failures.length, 1, JSON.stringify(failures));
      assert.match(failures[0]?.stderr ?? '', c.refusal);
    });
  });
}

test.run();
