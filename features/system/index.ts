// Hostname and hosts file: the router's name, set on the host when it differs.
import type { Feature } from '../kit/feature.ts';
import { renderHostname, renderHosts } from './render.ts';

export const SYSTEM_FILES = { hostname: 'etc/hostname', hosts: 'etc/hosts' } as const;

export const system: Feature = {
  name: 'system',
  paths: Object.values(SYSTEM_FILES),
  render: (m) => [
    { path: SYSTEM_FILES.hostname, content: renderHostname(m), mode: 0o644 },
    { path: SYSTEM_FILES.hosts, content: renderHosts(m), mode: 0o644 },
  ],
  plan: ({ model, facts }) => (facts.hostname === model.hostname ? [] : [{ phase: 'system', kind: 'hostname', name: model.hostname }]),
};
