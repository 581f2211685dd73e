// The agent as the lab runs it: `appliance serve` inside the router namespace,
// in a UTS namespace of its own (and the mount namespace `ip netns exec`
// gives it), detached so that it outlives `appliance lab up`. `ip netns exec`
// and `unshare` exec into node, so the pid is the agent's.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { alive, sleep, spawnIn } from './netns.ts';
import { APPLIANCE } from './paths.ts';

export interface AgentOptions {
  /** the agent's root; default the lab's (<lab dir>/root) */
  root?: string;
  /** listen on [management address]:PORT; default: the agent follows the management address itself (port 5000) */
  port?: number;
  /** --status-target addresses; default the upstream router's addresses */
  statusTargets?: string[];
  /** extra environment */
  env?: Record<string, string>;
  /** the entry script: scripts/appliance.mjs (sources through tsx, the default) or dist/appliance.mjs (the bundle) */
  entry?: string;
  /** wait until GET /v1/ answers 200 (default true) */
  waitReady?: boolean;
}

export interface AgentSite {
  routerNs: string;
  dir: string;
  /** the lab's own root: its agent's pid goes to <dir>/agent.pid, its log to <dir>/agent.log */
  root: string;
  managementAddress: string | null;
  defaultStatusTargets: string[];
  defaultEntry?: string;
  /** GET path on the agent's port, from the management side: the status, 0 when unreachable */
  probe(path: string, port: number): Promise<number>;
}

export class AgentProcess {
  private done = false;

  constructor(
    readonly pid: number,
    readonly root: string,
    readonly port: number,
    readonly logFile: string,
    /** where this agent's lines start in a log file earlier agents of the same root wrote to */
    private readonly logOffset: number,
    child: ChildProcess | null,
  ) {
    child?.once('exit', () => {
      this.done = true;
    });
  }

  exited(): boolean {
    return this.done || !alive(this.pid);
  }

  /** This agent's log, for assertion messages. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile).subarray(this.logOffset).toString('utf8') : '';
  }

  /** The JSON log lines, parsed; lines that are not JSON (a crash trace) are kept as {raw}. */
  events(): Record<string, unknown>[] {
    return this.log()
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { raw: l };
        }
      });
  }

  private async waitExit(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.exited() && Date.now() < deadline) await sleep(20);
    return this.exited();
  }

  signal(signal: NodeJS.Signals): void {
    try {
      process.kill(this.pid, signal);
    } catch {
      // gone already
    }
  }

  /** SIGTERM and wait (SIGKILL after 10 s). The daemons live on. */
  async stop(): Promise<void> {
    if (this.exited()) return;
    this.signal('SIGTERM');
    if (!(await this.waitExit(10_000))) {
      this.signal('SIGKILL');
      await this.waitExit(5000);
    }
  }

  /** SIGKILL (or another signal) and wait. The daemons live on. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.exited()) return;
    this.signal(signal);
    await this.waitExit(5000);
  }
}

/** Appends the tail of the agent's log to an error's message, for a failing assertion. */
export function withLogTail(err: unknown, agent: AgentProcess | null | undefined): unknown {
  if (agent && err instanceof Error && !err.message.includes('--- agent log')) {
    err.message += `\n--- agent log (tail) ---\n${agent.log().slice(-2500)}`;
  }
  return err;
}

/** node flags the agent runs with in production: a small young generation (RSS) */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--heap-growing-percent=10'];

/** the environment the image's unit sets for the agent: glibc's malloc kept compact (RSS) */
export const AGENT_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' };

export async function startAgent(site: AgentSite, opts: AgentOptions = {}): Promise<AgentProcess> {
  const root = opts.root ?? site.root;
  const own = root === site.root;
  const logFile = path.join(site.dir, own ? 'agent.log' : `agent-${path.basename(root)}.log`);
  const offset = existsSync(logFile) ? statSync(logFile).size : 0;
  // the node flags of the image's unit (image/deb/lib/systemd/system/appliance-agent.service)
  const argv = [
    'unshare',
    '--uts',
    '--',
    process.execPath,
    ...AGENT_NODE_FLAGS,
    opts.entry ?? site.defaultEntry ?? APPLIANCE,
    'serve',
    '--root',
    root,
  ];
  if (opts.port !== undefined) {
    if (!site.managementAddress) throw new Error('the payload has no management network to listen on');
    argv.push('--listen', `[${site.managementAddress}]:${opts.port}`);
  }
  for (const target of opts.statusTargets ?? site.defaultStatusTargets) argv.push('--status-target', target);
  const child = await spawnIn(site.routerNs, argv, logFile, { ...AGENT_ENV, ...opts.env });
  const agent = new AgentProcess(child.pid as number, root, opts.port ?? 5000, logFile, offset, child);
  if (own) await writeFile(path.join(site.dir, 'agent.pid'), `${agent.pid}\n`);
  if (opts.waitReady === false) return agent;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (agent.exited()) throw new Error(`the agent exited during start-up\n--- agent log ---\n${agent.log().slice(-3000)}`);
    if ((await site.probe('/v1/', agent.port).catch(() => 0)) === 200) return agent;
    if (Date.now() > deadline) {
      await agent.kill();
      throw new Error(`timed out after 30000 ms waiting for the agent API\n--- agent log ---\n${agent.log().slice(-3000)}`);
    }
    await sleep(100);
  }
}
