// The agent: host facts, one apply at a time, rollback to the last good
// configuration on failure, and the applied configuration persisted only after
// success.
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { HttpError } from '../handlers/errors.ts';
import type { Facts } from '../handlers/facts.ts';
import { interfaceMap } from '../handlers/facts.ts';
import { type Plan, planConfiguration, summarise } from '../handlers/plan.ts';
import { type Prepared, prepareConfig, type Rendered, renderConfig } from '../handlers/v1/config.ts';
import { FILES } from '../renderers/index.ts';
import type { Model } from '../schema/model.ts';
import { Announcer } from './announcer.ts';
import { ALL_CHECKS, type CheckGroup, checkAll, renderedSet } from './checkers.ts';
import { Coalescer } from './coalescer.ts';
import { ApplyError, type ExecStats, execute, writeFileAtomic } from './executor.ts';
import { gatherFacts, linkFacts } from './facts.ts';
import { Host } from './host.ts';
import type { Logger } from './log.ts';
import type { MetadataProxyOptions } from './metadata/proxy.ts';
import { type RootPaths, rootPaths } from './paths.ts';
import { Services } from './services.ts';

export interface AgentOptions {
  root: string;
  log: Logger;
  statusTargets?: string[];
  metadata?: Partial<MetadataProxyOptions>;
}

interface Applied {
  body: Record<string, unknown>;
  model: Model;
}

export interface ApplyOutcome {
  status: number;
  body: unknown;
  plan?: Plan;
  stats?: ExecStats;
}

interface ApplyJob {
  raw: unknown;
  /** the body's text when known: it keys the render cache */
  text?: string;
  force: boolean;
}

const CHECKED_FILES: Record<CheckGroup, string[]> = {
  'iptables-v4': [FILES.rulesV4],
  'iptables-v6': [FILES.rulesV6],
  dnsmasq: [FILES.dnsmasqConf, FILES.dnsmasqHosts, FILES.dnsmasqOpts],
  bird6: [FILES.bird6],
};

/** A plan as a dry run shows it: file contents replaced by their size. */
function printable(plan: Plan) {
  return plan.steps.map((s) =>
    s.kind === 'write-file' ? { kind: s.kind, path: s.path, bytes: Buffer.byteLength(s.content), mode: s.mode } : s,
  );
}

export class Agent {
  readonly paths: RootPaths;
  readonly host = new Host();
  readonly services: Services;
  readonly statusTargets: string[];
  private applied: Applied | null = null;
  /** the persisted configuration, answered by GET until convergence replaces it */
  private saved: Record<string, unknown> | null = null;
  private readonly queue: Coalescer<ApplyJob, ApplyOutcome>;
  private converged = false;
  /** PUTs wait for start-up convergence, or it would undo them */
  private readonly startGate: Promise<void>;
  private openGate: () => void = () => {};
  /**
   * Whether the host may differ from the files on disk: at start (the kernel may
   * have lost rules and daemons) and after an apply that failed while changing it. Files are compared by
   * digest, so until a success the next apply reloads everything regardless.
   */
  private dirty = true;
  /** the model of the last apply that changed the host, successful or not */
  private touched: Model | null = null;
  private readonly announcer: Announcer;
  /** the last body validated and rendered, by its text and the interface map: a re-push skips both */
  private memo: { key: string; rendered: Rendered } | null = null;

  constructor(private readonly opts: AgentOptions) {
    this.paths = rootPaths(opts.root);
    this.services = new Services(this.paths, opts.log, opts.metadata);
    this.announcer = new Announcer(new Host(), opts.log);
    this.statusTargets = opts.statusTargets ?? [];
    // a forced job (convergence) stays forced when a newer body replaces it
    this.queue = new Coalescer(
      (job) => this.applyNow(job),
      (waiting, newer) => ({ ...newer, force: waiting.force || newer.force }),
    );
    this.startGate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  get log(): Logger {
    return this.opts.log;
  }

  get model(): Model | null {
    return this.applied?.model ?? null;
  }

  get appliedBody(): Record<string, unknown> | null {
    return this.applied?.body ?? this.saved;
  }

  get isConverged(): boolean {
    return this.converged;
  }

  /** Root layout, daemons left by an earlier run, then convergence to the persisted configuration. */
  async start(): Promise<void> {
    for (const dir of [this.paths.root, this.paths.runDir, this.paths.logDir, this.paths.varDir, this.paths.tmpDir]) {
      await mkdir(dir, { recursive: true, mode: 0o755 });
    }
    // dnsmasq drops privileges and re-reads its hosts file as nobody
    await chmod(this.paths.root, 0o755);
    await this.services.adopt();
    const saved = await this.loadState();
    this.saved = saved;
    try {
      if (saved) {
        this.log.info('agent.converge', { reason: 'persisted configuration found' });
        const outcome = await this.queue.submit({ raw: saved, force: true });
        if (outcome.status !== 200) this.log.error('agent.converge_failed', { status: outcome.status, body: outcome.body });
      }
    } finally {
      this.converged = true;
      this.openGate();
    }
  }

  private async loadState(): Promise<Record<string, unknown> | null> {
    try {
      const state = JSON.parse(await readFile(this.paths.state, 'utf8')) as { configuration?: Record<string, unknown> };
      return state.configuration ?? null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.error('agent.state_unreadable', { error: String(err) });
      return null;
    }
  }

  async facts(): Promise<Facts> {
    return gatherFacts(this.host, this.paths.root, this.services.facts());
  }

  async links() {
    return linkFacts(this.host);
  }

  descriptions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const n of this.model?.networks ?? []) if (n.description) out[n.generic] = n.description;
    return out;
  }

  /** PUT: a dry run plans without the lock; a real one waits its turn, and coalesces with newer ones. */
  async put(raw: unknown, dryRun: boolean, text?: string): Promise<ApplyOutcome> {
    if (dryRun) {
      const prepared = prepareConfig(raw, await this.facts(), this.paths.root);
      return { status: 200, body: { dry_run: true, plan: printable(prepared.plan), summary: summarise(prepared.plan) } };
    }
    await this.startGate;
    return this.queue.submit({ raw, text, force: false });
  }

  private prepare(job: ApplyJob, facts: Facts): Prepared {
    const key = `${JSON.stringify(interfaceMap(facts))}\n${job.text ?? JSON.stringify(job.raw)}`;
    const rendered = this.memo?.key === key ? this.memo.rendered : renderConfig(job.raw, facts, this.paths.root);
    this.memo = { key, rendered };
    return {
      ...rendered,
      plan: planConfiguration(rendered.model, rendered.files, facts, { force: job.force, previous: this.touched ?? this.applied?.model }),
    };
  }

  private async applyNow(job: ApplyJob): Promise<ApplyOutcome> {
    const started = performance.now();
    // a Host of its own, so the spawns counted are this apply's
    const host = new Host();
    let prepared: Prepared | null = null;
    let outcome: ApplyOutcome;
    const force = job.force || this.dirty;
    try {
      prepared = this.prepare({ ...job, force }, await gatherFacts(host, this.paths.root, this.services.facts()));
      outcome = await this.execute(prepared, host);
    } catch (err) {
      outcome = err instanceof HttpError ? { status: err.status, body: err.toJSON() } : this.internalError(err);
    }
    // a refused body changed nothing; anything else but success may have changed something
    if (outcome.status === 200) this.dirty = false;
    this.log.info('apply', {
      status: outcome.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      forced: force,
      plan: prepared ? summarise(prepared.plan) : null,
      spawns: host.spawns,
      ...(outcome.stats ? { ...outcome.stats, announcements: outcome.stats.announcements.length } : {}),
    });
    if (outcome.stats?.announcements.length) this.announcer.announce(outcome.stats.announcements);
    return { ...outcome, plan: prepared?.plan };
  }

  private internalError(err: unknown): ApplyOutcome {
    this.log.error('apply.internal_error', { error: String(err), stack: (err as Error)?.stack });
    return { status: 500, body: { error: 'internal error while applying the configuration', issues: [] } };
  }

  private async execute(prepared: Prepared, host: Host): Promise<ApplyOutcome> {
    let state: string;
    try {
      state = `${JSON.stringify({ configuration: prepared.body, applied_at: new Date().toISOString() })}\n`;
    } catch {
      throw new HttpError(422, 'the configuration is invalid', [{ path: '(body)', message: 'is nested too deeply to be stored' }]);
    }
    const written = new Set(prepared.plan.steps.flatMap((s) => (s.kind === 'write-file' ? [s.path] : [])));
    // only what changes is checked; a failed check leaves everything as it was
    const groups = ALL_CHECKS.filter((g) => CHECKED_FILES[g].some((f) => written.has(f)));
    if (groups.length > 0) {
      const failures = await checkAll(renderedSet(prepared.files), { tmpDir: this.paths.tmpDir, host }, groups);
      if (failures.length > 0) {
        this.log.error('apply.check_failed', { failures });
        return {
          status: 500,
          body: { error: 'the rendered files failed the daemons\u2019 checks; nothing was applied', issues: [], checks: failures },
        };
      }
    }
    let stats: ExecStats;
    // from here the host may change: until a success, the next apply reloads everything
    this.dirty = true;
    this.touched = prepared.model;
    try {
      stats = await execute(prepared.plan, this.execContext(host));
    } catch (err) {
      if (!(err instanceof ApplyError)) throw err;
      this.log.error('apply.step_failed', { ...err.failure });
      const rolledBack = await this.rollback(host);
      return {
        status: 500,
        body: {
          error: `applying the configuration failed at step ${err.failure.index} (${err.failure.step})`,
          issues: [],
          step: err.failure,
          rolled_back: rolledBack,
        },
      };
    }
    await writeFileAtomic(this.paths.state, state, 0o600);
    this.applied = { body: prepared.body, model: prepared.model };
    return { status: 200, body: { configuration: prepared.body }, stats };
  }

  private execContext(host: Host) {
    return { host, paths: this.paths, services: this.services, log: this.log };
  }

  /** Back to the last good configuration, from whatever state the failed step left. */
  private async rollback(host: Host): Promise<boolean> {
    if (!this.applied) {
      this.log.warn('apply.no_rollback', { reason: 'no configuration was applied before' });
      return false;
    }
    try {
      const prepared = prepareConfig(this.applied.body, await gatherFacts(host, this.paths.root, this.services.facts()), this.paths.root, {
        force: true,
        previous: this.touched,
      });
      await execute(prepared.plan, this.execContext(host));
      this.log.info('apply.rolled_back', { steps: prepared.plan.steps.length });
      return true;
    } catch (err) {
      this.log.error('apply.rollback_failed', { error: err instanceof ApplyError ? err.failure : String(err) });
      return false;
    }
  }

  async close(): Promise<void> {
    await this.services.close();
  }
}
