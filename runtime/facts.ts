// Host facts, gathered fresh through the host port for every request that needs them.
import type { Facts, ServiceFact } from '../features/kit/facts.ts';
import type { RootLayout } from '../features/kit/layout.ts';
import { FEATURES, MANAGED_FILES } from '../features/registry.ts';
import type { HostPort } from './host/port.ts';

export async function gatherFacts(host: HostPort, layout: RootLayout, services: Record<string, ServiceFact>): Promise<Facts> {
  const [links, routes, hostname] = await Promise.all([host.links(), host.routes(), host.hostname()]);
  const files: Record<string, string> = {};
  const sysctls: Record<string, string> = {};
  const ifnames = links.map((l) => l.ifname);
  const keys = [...new Set(FEATURES.flatMap((f) => f.sysctlKeys?.(ifnames) ?? []))];
  await Promise.all([
    ...MANAGED_FILES.map(async (rel) => {
      const d = await host.fileDigest(layout.file(rel));
      if (d) files[rel] = d;
    }),
    ...keys.map(async (k) => {
      const v = await host.readSysctl(k);
      if (v !== null) sysctls[k] = v;
    }),
  ]);
  return { links, routes, files, sysctls, hostname, services };
}
