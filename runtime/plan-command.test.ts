// `appliance plan`: the plan as text, against a fresh simulated host or the
// state an agent saved; an invalid body exits 2 with its issues.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testdataDir } from '../test/golden-cases.ts';

const REPO = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const seed = path.join(testdataDir, 'seed-example', 'input.json');
const plan = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/appliance.mjs', 'plan', ...args], { cwd: REPO, encoding: 'utf8' });

test('plan of a first push: checks, files, addresses, routes, firewall, daemons, one line each', () => {
  const r = plan('--config', seed);
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /^check +check iptables-restore: iptables-restore --test/);
  assert.ok(lines.includes('firewall     run firewall v4: iptables-restore -w 5 /var/lib/appliance/etc/iptables/rules.v4'), r.stdout);
  assert.ok(lines.some((l) => /^services +daemon dnsmasq start: dnsmasq --keep-in-foreground /.test(l)));
});

test('plan against a saved state: only the change, and nothing for the same body', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plan-state-'));
  mkdirSync(path.join(dir, 'state'));
  const body = JSON.parse(readFileSync(seed, 'utf8'));
  writeFileSync(path.join(dir, 'state', 'config.json'), JSON.stringify({ configuration: body }));
  assert.is(plan('--config', seed, '--state', dir).stdout, '# nothing to change\n');
  body.networks[1].interface.addresses = ['172.24.4.9/24', '2001:db8::9/64'];
  const changed = path.join(dir, 'changed.json');
  writeFileSync(changed, JSON.stringify(body));
  const r = plan('--config', changed, '--state', dir);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^addresses +run links and addresses \+ routes: ip -batch - <<< address del 172\.24\.4\.3\/24 dev eth1; /m);
  assert.not.match(r.stdout, /daemon dnsmasq/);
});

test('an invalid body exits 2 naming the field', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plan-bad-'));
  const bad = JSON.parse(readFileSync(seed, 'utf8'));
  bad.networks[0].interface.ifname = 'ge99x';
  writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad));
  const r = plan('--config', path.join(dir, 'bad.json'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /networks\.0\.interface\.ifname/);
});

test.run();
