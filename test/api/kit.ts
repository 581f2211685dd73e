// The whole API in-process: the real Agent and route table over a fake host,
// driven through fetch(new Request(...)). No root, no sockets, no namespaces.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Agent } from '../../runtime/agent.ts';
import { apiFront } from '../../runtime/front.ts';
import { memoryLogger } from '../../runtime/log.ts';
import { FakeHost, FakeMetadata } from '../fake-host/fake-host.ts';
import { testdataDir } from '../golden-cases.ts';

export const ROOT = '/srv/appliance';

// biome-ignore lint/suspicious/noExplicitAny: payloads are edited freely
export function payload(name: string): any {
  return JSON.parse(readFileSync(path.join(testdataDir, name, 'input.json'), 'utf8'));
}

export interface Kit {
  host: FakeHost;
  metadata: FakeMetadata;
  agent: Agent;
  log: ReturnType<typeof memoryLogger>;
  fetch(method: string, url: string, init?: { body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Response>;
  put(body: unknown, query?: string): Promise<Response>;
}

export async function makeKit(opts: { host?: FakeHost; start?: boolean; statusTargets?: string[] } = {}): Promise<Kit> {
  const host = opts.host ?? new FakeHost();
  const metadata = new FakeMetadata();
  const log = memoryLogger();
  const agent = new Agent({ host, root: ROOT, log, metadata, statusTargets: opts.statusTargets });
  const api = apiFront(agent);
  if (opts.start !== false) await agent.start();
  const fetch: Kit['fetch'] = (method, url, init = {}) => {
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    const headers = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
    return api.fetch(new Request(`http://router${url}`, { method, body, headers }));
  };
  return { host, metadata, agent, log, fetch, put: (body, query = '') => fetch('PUT', `/v1/system/config${query}`, { body }) };
}
