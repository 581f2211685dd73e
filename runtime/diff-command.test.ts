// `appliance diff`: rendered files (firewall first) and the plan between two
// shared payloads, through the real entry script; and the file diff itself.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RenderedFile } from '../features/kit/feature.ts';
import { testdataDir } from '../test/golden-cases.ts';
import { fileDiffs } from './diff-command.ts';

const REPO = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const input = (name: string) => path.join(testdataDir, name, 'input.json');
const diff = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/appliance.mjs', 'diff', ...args], { cwd: REPO, encoding: 'utf8' });

test('seed-example to floating-ips: firewall diffs first, the DNAT rules added, then the plan', () => {
  const r = diff('--from', input('seed-example'), '--to', input('floating-ips'));
  assert.is(r.status, 0, r.stderr);
  const headers = [...r.stdout.matchAll(/^\+\+\+ b\/(\S+)/gm)].map((m) => m[1]);
  assert.equal(headers.slice(0, 2), ['etc/iptables/rules.v4', 'etc/iptables/rules.v6']);
  assert.ok(headers.includes('etc/dnsmasq/dnsmasq.conf'), headers.join(' '));
  assert.match(r.stdout, /^\+-A PREROUTING -i eth1 -d 172\.24\.4\.10\/32 -j DNAT --to-destination 10\.0\.0\.3$/m);
  const [files = '', plan = ''] = r.stdout.split(/^# plan from .*$/m);
  assert.match(files, /^@@ -\d+,\d+ \+\d+,\d+ @@$/m);
  assert.match(plan, /^firewall +run firewall v4: iptables-restore -w 5 \/var\/lib\/appliance\/etc\/iptables\/rules\.v4$/m);
  assert.match(plan, /^files +write etc\/iptables\/rules\.v4 /m);
});

test('the same configuration on both sides: no file changes, nothing to plan', () => {
  const r = diff('--from', input('seed-example'), '--to', input('seed-example'));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^# no rendered file changes\n\n# plan from .*\n# nothing to change\n$/);
});

test('an invalid --to names the file and the field, exit 2', () => {
  const bad = path.join(mkdtempSync(path.join(os.tmpdir(), 'diff-')), 'bad.json');
  writeFileSync(bad, JSON.stringify({ networks: 'not a list' }));
  const r = diff('--from', input('seed-example'), '--to', bad);
  assert.is(r.status, 2);
  assert.match(r.stderr, /bad\.json: networks: /);
  assert.is(r.stdout, '');
});

test('fileDiffs: firewall first, added and removed files against /dev/null, unchanged ones left out', () => {
  const f = (p: string, content: string, feature: string) => ({ path: p, content, feature, mode: 0o644, digest: '' }) as RenderedFile;
  const out = fileDiffs(
    [f('etc/hosts', 'a\n', 'system'), f('etc/old', 'x\n', 'dnsmasq'), f('etc/iptables/rules.v4', '1\n', 'firewall'), f('same', 's\n', 'x')],
    [f('etc/hosts', 'b\n', 'system'), f('etc/iptables/rules.v4', '2\n', 'firewall'), f('etc/new', 'y\n', 'bird6'), f('same', 's\n', 'x')],
  );
  const headers = [...out.matchAll(/^(---|\+\+\+) (\S+)/gm)].map((m) => m[2]);
  assert.equal(headers, [
    'a/etc/iptables/rules.v4',
    'b/etc/iptables/rules.v4',
    'a/etc/hosts',
    'b/etc/hosts',
    'a/etc/old',
    '/dev/null',
    '/dev/null',
    'b/etc/new',
  ]);
  assert.match(out, /^-1\n\+2$/m);
  assert.not.match(out, /same/);
});

test.run();
