// `appliance render`: the review CLI, run as a user runs it.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(REPO, 'scripts', 'appliance.mjs');
const payload = (name: string) => path.join(REPO, 'test', 'cases', name, 'input.json');

test('render writes every file and prints a manifest naming each file\u2019s feature', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'render-'));
  try {
    const r = await execa(process.execPath, [cli, 'render', '--config', payload('seed-example'), '--out', out]);
    const manifest = JSON.parse(r.stdout) as { path: string; feature: string }[];
    assert.equal([...new Set(manifest.map((m) => m.feature))].sort(), ['bird6', 'dnsmasq', 'firewall', 'metadata', 'system']);
    assert.is(manifest.length, 9);
    for (const m of manifest) {
      assert.ok(m.path.startsWith(out), m.path);
      assert.ok(existsSync(m.path), m.path);
    }
    const v4 = manifest.find((m) => m.path.endsWith('/etc/iptables/rules.v4'))?.path as string;
    assert.match(readFileSync(v4, 'utf8'), '-i eth2 -d 169.254.169.254/32');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('render applies --ifmap to every file', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'render-'));
  try {
    await execa(process.execPath, [
      cli,
      'render',
      '--config',
      payload('seed-example'),
      '--out',
      out,
      '--ifmap',
      'ge0=ens3,ge1=ens4,ge2=ens5',
    ]);
    const rules = readFileSync(path.join(out, 'etc/iptables/rules.v4'), 'utf8');
    const dnsmasq = readFileSync(path.join(out, 'etc/dnsmasq/dnsmasq.conf'), 'utf8');
    const bird = readFileSync(path.join(out, 'etc/bird/bird6.conf'), 'utf8');
    assert.match(rules, '-A INPUT -i ens5 -d 10.0.0.1 -p udp -m udp --dport 67 -j ACCEPT');
    assert.match(dnsmasq, 'interface=ens5');
    assert.match(bird, 'interface "ens5"');
    assert.not.match(rules + dnsmasq + bird, /eth\d/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('invalid input exits 2 with the issues on stderr and writes nothing', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-'));
  try {
    const body = JSON.parse(readFileSync(payload('seed-example'), 'utf8'));
    body.hostname = 'evil\nhost';
    body.networks[2].allocations[1].mac_address = 'fa:16:3e:zz:00:01';
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(body));
    const r = await execa(process.execPath, [cli, 'render', '--config', path.join(dir, 'bad.json'), '--out', path.join(dir, 'out')], {
      reject: false,
    });
    assert.is(r.exitCode, 2);
    assert.match(r.stderr, 'hostname:');
    assert.match(r.stderr, 'networks.2.allocations.1.mac_address:');
    assert.not.ok(existsSync(path.join(dir, 'out')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad --ifmap is refused', async () => {
  const r = await execa(
    process.execPath,
    [cli, 'render', '--config', payload('seed-example'), '--out', '/nonexistent', '--ifmap', 'ge0=eth0;rm'],
    { reject: false },
  );
  assert.is(r.exitCode, 2);
  assert.match(r.stderr, '--ifmap');
});

test.run();
