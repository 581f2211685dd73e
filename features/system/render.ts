// The router's own name: the hostname file and a hosts file that resolves it.
import type { Model } from '../../schema/model.ts';
import { PROVENANCE } from '../kit/eta.ts';

export function renderHostname(m: Model): string {
  return `${m.hostname}\n`;
}

export function renderHosts(m: Model): string {
  const lines = [`# ${PROVENANCE}`, '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  const short = m.hostname.split('.')[0];
  const names = short && short !== m.hostname ? `${m.hostname} ${short}` : m.hostname;
  lines.push(m.managementAddress ? `${m.managementAddress}\t${names}` : `127.0.1.1\t${names}`);
  return `${lines.join('\n')}\n`;
}
