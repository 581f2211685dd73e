// The image build's pure parts: apt sources, the boot loader's configuration,
// the test's MAC from an EUI-64 address. No root needed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAptSources, sourcesList } from './base.ts';
import { grubCfg, KERNEL_ARGS } from './disk.ts';
import { eui64Mac } from './test/boot.ts';

test('apt sources: Debian 12 main entries of deb822 and one-line files, others left out', () => {
  const sources = parseAptSources([
    {
      name: '/etc/apt/sources.list.d/debian.sources',
      text: `Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
Enabled: yes

Types: deb
URIs: http://off.example/debian
Suites: bookworm
Components: main
Enabled: no
`,
    },
    {
      name: '/etc/apt/sources.list',
      text: 'deb [arch=amd64] http://old.example/debian bullseye main\ndeb http://one.example/debian bookworm-backports main\n',
    },
    {
      name: '/etc/apt/sources.list.d/other.sources.disabled',
      text: 'Types: deb\nURIs: http://x.example\nSuites: bookworm\nComponents: main\n',
    },
  ]);
  assert.equal(sources, [
    { uri: 'http://mirror.example/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main'] },
    { uri: 'http://security.example/debian-security', suites: ['bookworm-security'], components: ['main'] },
    { uri: 'http://one.example/debian', suites: ['bookworm-backports'], components: ['main'] },
  ]);
  assert.is(
    sourcesList(sources.slice(0, 2)),
    'deb http://mirror.example/debian bookworm main\ndeb http://mirror.example/debian bookworm-updates main\ndeb http://security.example/debian-security bookworm-security main\n',
  );
});

test('boot loader: serial console, the root by label, the kernel command line of the reference', () => {
  const cfg = grubCfg();
  assert.match(cfg, /terminal_output serial console/);
  assert.match(cfg, /search --no-floppy --label --set=root approot/);
  assert.match(cfg, new RegExp(`linux /vmlinuz ${KERNEL_ARGS.replace(/[.]/g, '\\.')}\n`));
  assert.match(KERNEL_ARGS, /(^| )virtio_net\.gso=0( |$)/);
  assert.match(KERNEL_ARGS, /console=ttyS0,115200n8/);
  assert.match(cfg, /initrd \/initrd\.img/);
});

test('EUI-64: the MAC inside an address, null when there is none', () => {
  assert.is(eui64Mac('fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1'), 'fa:16:3e:fd:e6:f1');
  assert.is(eui64Mac('fe80::5054:ff:fe12:3456'), '52:54:00:12:34:56');
  assert.is(eui64Mac('2001:db8::3'), null);
});

test.run();
