// Everything the model turns into: a list of files, deterministic, relative to
// the agent's root directory.
import { createHash } from 'node:crypto';
import type { Model } from '../schema/model.ts';
import { renderBird6 } from './bird6.ts';
import { renderDnsmasq } from './dnsmasq.ts';
import { renderIptables } from './iptables.ts';
import { renderHostname, renderHosts, renderMetadata } from './system.ts';

export type FileKind = 'iptables-v4' | 'iptables-v6' | 'dnsmasq' | 'bird6' | 'hostname' | 'hosts' | 'metadata' | 'other';

export interface RenderedFile {
  path: string; // relative to the root
  content: string;
  mode: number;
  kind: FileKind;
  /** sha256 of content, hex */
  digest?: string;
}

export const FILES = {
  rulesV4: 'etc/iptables/rules.v4',
  rulesV6: 'etc/iptables/rules.v6',
  dnsmasqConf: 'etc/dnsmasq/dnsmasq.conf',
  dnsmasqHosts: 'etc/dnsmasq/dhcp-hosts',
  dnsmasqOpts: 'etc/dnsmasq/dhcp-opts',
  bird6: 'etc/bird/bird6.conf',
  hostname: 'etc/hostname',
  hosts: 'etc/hosts',
  metadata: 'etc/metadata.json',
} as const;

export function renderAll(m: Model, root: string): RenderedFile[] {
  return renderFiles(m, root).map((f) => ({ ...f, digest: createHash('sha256').update(f.content).digest('hex') }));
}

function renderFiles(m: Model, root: string): RenderedFile[] {
  const abs = (p: string) => `${root.replace(/\/+$/, '')}/${p}`;
  const fw = renderIptables(m);
  const dns = renderDnsmasq(m, { hostsFile: abs(FILES.dnsmasqHosts), optsFile: abs(FILES.dnsmasqOpts) });
  return [
    { path: FILES.rulesV4, content: fw.v4, mode: 0o600, kind: 'iptables-v4' },
    { path: FILES.rulesV6, content: fw.v6, mode: 0o600, kind: 'iptables-v6' },
    { path: FILES.dnsmasqConf, content: dns.conf, mode: 0o644, kind: 'dnsmasq' },
    { path: FILES.dnsmasqHosts, content: dns.hosts, mode: 0o644, kind: 'dnsmasq' },
    { path: FILES.dnsmasqOpts, content: dns.opts, mode: 0o644, kind: 'dnsmasq' },
    { path: FILES.bird6, content: renderBird6(m), mode: 0o644, kind: 'bird6' },
    { path: FILES.hostname, content: renderHostname(m), mode: 0o644, kind: 'hostname' },
    { path: FILES.hosts, content: renderHosts(m), mode: 0o644, kind: 'hosts' },
    { path: FILES.metadata, content: renderMetadata(m), mode: 0o644, kind: 'metadata' },
  ];
}
