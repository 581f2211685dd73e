// Shared by the API suites (test/host/api-*.test.ts): the REST contract of a
// real agent in a scratch lab router, called with curl from the management
// namespace as the orchestrator calls it. Each suite has one lab and agent,
// made on first use and removed after the suite.
import * as assert from 'uvu/assert';
import { type AgentProcess, withLogTail } from '../../lab/agent.ts';
import type { Reply } from '../../lab/http.ts';
import type { Lab, LabUpOptions } from '../../lab/lab.ts';
import { lazy, payload, removeLab, scratchLab } from '../../lab/scratch.ts';

export const JSON_TYPE = /^application\/json;\s*charset=utf-8$/i;
export const TEXT_TYPE = /^text\/plain;\s*charset=utf-8$/i;

export { GET_PATHS, TEXT_PATHS } from '../get-paths.ts';

export function slashed(p: string): string[] {
  return [p, `${p}/`];
}

/** An error answer: JSON {error, issues[, ...]}, never a stack trace. */
export function assertErrorBody(r: Reply, status: number, what: string): Record<string, unknown> {
  assert.is(r.status, status, `${what}: ${r.status} ${r.body}`);
  assert.match(r.headers['content-type'] ?? '', JSON_TYPE, `${what}: content type`);
  const body = r.json();
  assert.type(body.error, 'string', `${what}: error`);
  assert.ok(body.error.length > 0, `${what}: error text`);
  assert.ok(Array.isArray(body.issues), `${what}: issues`);
  assert.not.ok(/\bat .+:\d+:\d+\)?/.test(r.body) || /"stack"/.test(r.body), `${what}: stack trace in ${r.body}`);
  return body;
}

export function allowSet(r: Reply): string[] {
  return (r.headers.allow ?? '')
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter(Boolean)
    .sort();
}

/** A body with three independent problems. */
export function invalidBody() {
  const body = payload('seed-example');
  body.networks[2].interface.ifname = 'ge7';
  body.floating_ips = [{ floating_ip: '198.51.100.9', fixed_ip: '10.0.0.3' }];
  body.networks[1].subnets[0].gateway_ip = '2001:db8::1';
  return body;
}

export interface Ctx {
  lab: Lab;
  agent: AgentProcess;
  /** the router namespace */
  R: string;
}

/**
 * One lab and agent for a suite: `setup` (run once, on first use) may finish
 * preparing it; `wrap` runs a test body with it, adding the agent's log to a
 * failure; `remove` belongs in the suite's after hook.
 */
export function suiteLab(opts: LabUpOptions, setup: (c: Ctx) => Promise<void> = async () => {}) {
  let ctx: Ctx | null = null;
  const ready = lazy(async (): Promise<Ctx> => {
    const lab = await scratchLab(opts);
    ctx = { lab, agent: lab.agent as AgentProcess, R: lab.topo.routerNs };
    try {
      await setup(ctx);
    } catch (err) {
      throw withLogTail(err, ctx.agent);
    }
    return ctx;
  });
  return {
    wrap: (fn: (c: Ctx) => Promise<void>) => async () => {
      const c = await ready();
      try {
        await fn(c);
      } catch (err) {
        throw withLogTail(err, c.agent);
      }
    },
    remove: async () => {
      if (ctx) await removeLab(ctx.lab);
    },
  };
}
