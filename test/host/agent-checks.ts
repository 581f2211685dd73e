// Checks shared by the agent suites (test/host/agent-*.test.ts): a real agent
// in a scratch lab router (seed-example), driven over HTTP from the
// management namespace.
import * as assert from 'uvu/assert';
import type { AgentProcess } from '../../lab/agent.ts';
import type { Reply } from '../../lab/http.ts';
import type { Lab } from '../../lab/lab.ts';
import { files, hostnameOf, links, routes, rules } from '../../lab/router-state.ts';
import { payload } from '../../lab/scratch.ts';

/** PUT /v1/system/config with a JSON body. */
export function putConfig(lab: Lab, body: unknown, opts: { port?: number; dryRun?: boolean } = {}): Promise<Reply> {
  return lab.api('PUT', `/v1/system/config${opts.dryRun ? '?dry_run=1' : ''}`, {
    port: opts.port,
    body: JSON.stringify(body),
    timeoutS: 60,
  });
}

export async function applyOk(lab: Lab, body: unknown): Promise<Reply> {
  const r = await putConfig(lab, body);
  assert.is(r.status, 200, `PUT answered ${r.status}: ${r.body}`);
  return r;
}

export async function dryRunPlan(lab: Lab, body: unknown): Promise<unknown[]> {
  const r = await putConfig(lab, body, { dryRun: true });
  assert.is(r.status, 200, r.body);
  return r.json().plan;
}

/** GET /v1/system/config's answer. */
export async function appliedConfig(lab: Lab): Promise<unknown> {
  return (await lab.api('GET', '/v1/system/config')).json();
}

/** The agent's "apply" log lines. */
export function applies(agent: AgentProcess): Record<string, unknown>[] {
  return agent.events().filter((e) => e.event === 'apply');
}

/** Content digests only (mtimes change when a rollback rewrites a file). */
async function contents(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [p, st] of Object.entries(await files(root))) out[p] = st.sha256;
  return out;
}

/** Everything the router's state is made of, as the kernel and the root show it. */
export async function snapshot(lab: Lab, agent: AgentProcess) {
  const ns = lab.topo.routerNs;
  const addresses = Object.fromEntries(
    Object.entries(await links(ns)).map(([ifname, l]) => [ifname, l.addrs.filter((a) => !a.startsWith('fe80:')).sort()]),
  );
  return {
    addresses,
    routes4: await routes(ns, 4),
    routes6: await routes(ns, 6),
    rules4: await rules(ns, 4),
    rules6: await rules(ns, 6),
    files: await contents(agent.root),
    hostname: await hostnameOf(agent.pid),
  };
}

/** seed-example with a floating IP (IPv4 NAT rules, an address on the external link). */
export function withFloatingIp(floating: string, fixed = '10.0.0.3') {
  const body = payload('seed-example');
  body.floating_ips = [{ floating_ip: floating, fixed_ip: fixed }];
  return body;
}
