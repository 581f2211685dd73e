// The agent: the runtime behind the API. It hands handlers a snapshot of its
// state and the host facts, runs one apply at a time (the newest waiting body
// wins), checks before it changes anything, rolls back to the last good
// configuration on failure and persists the applied one only after success.

import type { Facts } from '../features/kit/facts.ts';
import { type RootLayout, rootLayout } from '../features/kit/layout.ts';
import { finishPaused } from '../features/kit/staged.ts';
import type { Step } from '../features/kit/step.ts';
import { FEATURES } from '../features/registry.ts';
import type {
  AgentState,
  ApiRequest,
  ApiRuntime,
  ApplyFailure,
  ApplyOutcome,
  Context,
  Need,
  Outcome,
  QueryResult,
  RenderMemo,
  Route,
} from '../handlers/context.ts';
import { fetchClasses } from '../handlers/fetch.ts';
import { errorResponse } from '../handlers/http.ts';
import { summarise } from '../handlers/plan/plan.ts';
import { ROUTES } from '../handlers/routes.ts';
import { Announcer } from './announcer.ts';
import { Coalescer } from './coalescer.ts';
import { gatherContext } from './context.ts';
import { ApplyError, CheckError, type ExecStats, execute, runChecks } from './executor.ts';
import { gatherFacts } from './facts.ts';
import type { HostPort } from './host/port.ts';
import type { Logger } from './log.ts';
import { LoopDelay, nextTurn } from './loop-delay.ts';
import { Metrics } from './metrics.ts';
import { assertReachable, SharedQueries } from './queries.ts';
import { rollBack } from './rollback.ts';
import { loadSchemaKit, type WarmAfter, warmer } from './schema-load.ts';
import { type MetadataService, Services } from './services.ts';
import { StateFile } from './state-file.ts';

export interface AgentOptions {
  host: HostPort;
  root: string;
  log: Logger;
  metadata: MetadataService;
  statusTargets?: string[];
  /** counts the agent's log lines as metrics; a fresh one when none is given */
  metrics?: Metrics;
}

type Job = { req: ApiRequest; route: Route };
type JobResult = { job: Job; response: Response };

export class Agent implements ApiRuntime {
  readonly layout: RootLayout;
  readonly host: HostPort;
  readonly services: Services;
  readonly state: AgentState;
  private memo: RenderMemo | null = null;
  private readonly queue: Coalescer<Job, JobResult>;
  /** PUTs wait for start-up convergence, or it would undo them */
  private readonly startGate: Promise<void>;
  private openGate: () => void = () => {};
  private readonly announcer: Announcer;
  /** identical read-only commands in flight are shared: 50 liveness probes need not start 100 processes */
  private readonly queries: SharedQueries;
  readonly metrics: Metrics;
  readonly log: Logger;
  private readonly loopDelay = new LoopDelay();
  private readonly stateFile: StateFile;

  constructor(opts: AgentOptions) {
    this.host = opts.host;
    this.metrics = opts.metrics ?? new Metrics();
    this.log = this.metrics.tap(opts.log);
    this.layout = rootLayout(opts.root);
    this.stateFile = new StateFile(opts.host, this.layout.state, this.log);
    this.services = new Services(FEATURES, this.layout, opts.host, this.log, opts.metadata);
    this.metrics.daemons.source = () => this.services.facts();
    this.announcer = new Announcer(opts.host, this.log);
    this.queries = new SharedQueries(opts.host, this.log);
    this.state = {
      root: this.layout.root,
      applied: null,
      saved: null,
      dirty: true,
      touched: null,
      statusTargets: opts.statusTargets ?? [],
      apiAddresses: [],
    };
    this.queue = new Coalescer((job) => this.runJob(job));
    this.startGate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  get model() {
    return this.state.applied?.model ?? null;
  }

  /** Root layout, daemons left by an earlier run, then convergence to the persisted configuration. */
  async start(): Promise<void> {
    const { root, runDir, logDir, varDir, tmpDir } = this.layout;
    // dnsmasq drops privileges and re-reads its hosts file as nobody
    for (const dir of [root, runDir, logDir, varDir, tmpDir]) await this.host.makeDir(dir, 0o755);
    await this.services.adopt();
    const saved = await this.restore();
    try {
      if (saved) {
        this.log.info('agent.converge', { reason: 'persisted configuration found' });
        const route = ROUTES.find((r) => r.exclusive && r.method === 'PUT') as Route;
        const { response } = await this.queue.submit({
          req: { method: 'PUT', params: {}, query: {}, headers: new (fetchClasses().Headers)(), body: saved },
          route,
        });
        if (response.status !== 200) this.log.error('agent.converge_failed', { status: response.status, body: await response.text() });
      }
    } finally {
      this.openGate();
    }
    this.warmSchema('start');
  }

  /** The persisted configuration, read once: GET answers it from the first request, before convergence. */
  async restore(): Promise<Record<string, unknown> | null> {
    this.restored ??= this.stateFile.load().then((saved) => {
      this.state.saved = saved;
      return saved;
    });
    return this.restored;
  }

  private restored: Promise<Record<string, unknown> | null> | null = null;

  async facts(): Promise<Facts> {
    return gatherFacts(this.host, this.layout, this.services.facts());
  }

  context(needs: readonly Need[]): Promise<Context> {
    const { host, layout, state, memo, metrics } = this;
    return gatherContext(needs, { host, layout, state, memo, metrics, services: () => this.services.facts(), facts: () => this.facts() });
  }

  query(steps: Step[]): Promise<QueryResult[]> {
    return this.queries.run(steps);
  }

  parsed(text: string): unknown {
    const memo = this.memo;
    const at = memo?.source?.textAt;
    if (!memo || at === undefined || memo.key.length - at !== text.length) return undefined;
    return memo.key.endsWith(text) ? memo.source?.raw : undefined;
  }

  /** an answer went out (runtime/front.ts) */
  answered(): void {
    this.warmSchema('answer');
  }

  /** the schema kit and the fact readers, once the agent has answered or a while after start-up */
  private readonly warm = warmer(() => Promise.all([loadSchemaKit(), this.facts()]));
  private warmSchema(after: WarmAfter): void {
    this.warm(after, (err) => this.log.warn('agent.warm_failed', { error: String(err) }));
  }

  async exclusive(req: ApiRequest, route: Route): Promise<Response> {
    await this.startGate;
    const job: Job = { req, route };
    const result = await this.queue.submit(job);
    if (result.job === job) return result.response;
    // a newer body was applied in this one's place: its answer, marked as such
    return this.supersededAnswer(result);
  }

  private supersededAnswer(result: JobResult & { outcome?: ApplyOutcome }): Response {
    const outcome = (result as { outcome?: ApplyOutcome }).outcome;
    if (outcome && result.response.status === 200) {
      this.log.info('apply.superseded', { status: 200 });
      return outcome.respond({ superseded: true });
    }
    return result.response.clone();
  }

  internalError(err: unknown): void {
    this.log.error('http.internal_error', { error: String(err), stack: (err as Error)?.stack });
  }

  private async runJob(job: Job): Promise<JobResult & { outcome?: ApplyOutcome }> {
    const started = performance.now();
    const spawnsBefore = this.host.spawns;
    // the whole job, facts and render included, is what a liveness probe waits behind
    this.loopDelay.start();
    const ctx = await this.context(job.route.needs).catch((err): null => {
      this.internalError(err);
      return null;
    });
    if (!ctx) return { job, response: errorResponse(500, 'gathering host facts failed') };
    // before the plan: the facts and the schema kit, then validation, render and planning
    const contextMs = ms(started);
    const prepared: Record<string, number> = { context: contextMs };
    let outcome: Outcome;
    try {
      // between the stages of a large render, the probes and GETs that came meanwhile are answered
      outcome = await finishPaused(job.route.handler(job.req, ctx), nextTurn);
      prepared.handler = Math.round((ms(started) - contextMs) * 10) / 10;
    } catch (err) {
      this.internalError(err);
      return { job, response: errorResponse(500, 'internal error') };
    }
    if (outcome.kind !== 'apply') {
      this.loopDelay.stop();
      const response = outcome.kind === 'response' ? outcome.response : outcome.respond(await this.query(outcome.steps));
      if (job.req.body !== undefined && response.status === 422)
        this.log.info('apply', { request_id: requestId(job.req), status: 422, duration_ms: ms(started) });
      return { job, response };
    }
    this.memo = outcome.memo;
    const forced = this.state.dirty;
    const { response, stats, failure } = await this.apply(outcome);
    const loop = this.loopDelay.stop();
    this.log.info('apply', {
      request_id: requestId(job.req),
      status: response.status,
      duration_ms: ms(started),
      forced,
      plan: summarise(outcome.plan),
      spawns: this.host.spawns - spawnsBefore,
      ...loop,
      ...(failure ? { failure: failure.kind } : {}),
      ...(stats ? { ...stats, announcements: stats.announcements.length, phaseMs: { ...prepared, ...stats.phaseMs } } : {}),
    });
    if (stats?.announcements.length) this.announcer.announce(stats.announcements);
    return { job, response, outcome };
  }

  private async apply(outcome: ApplyOutcome): Promise<{ response: Response; stats?: ExecStats; failure?: ApplyFailure }> {
    let configuration: string | null = null;
    try {
      // the render memo hands an identical body back as the same object: nothing to serialise again
      configuration = this.stateFile.serialise(outcome.body);
    } catch {
      return {
        response: errorResponse(422, 'the configuration is invalid', [{ path: '(body)', message: 'is nested too deeply to be stored' }]),
      };
    }
    const checksStarted = performance.now();
    let checkMs = 0;
    try {
      await runChecks(outcome.plan, this.host, this.layout.tmpDir);
      checkMs = ms(checksStarted);
    } catch (err) {
      if (!(err instanceof CheckError)) throw err;
      this.log.error('apply.check_failed', { failures: err.failures });
      const failure: ApplyFailure = { kind: 'check', checks: err.failures };
      return { response: outcome.fail(failure), failure };
    }
    // from here the host may change: until a success, the next apply reloads everything
    this.state.dirty = true;
    this.state.touched = outcome.model;
    let stats: ExecStats;
    try {
      stats = await execute(outcome.plan, this.execContext());
      // only a plan that changes addresses can take the API's away: others cost no extra look
      if (outcome.plan.steps.some((s) => s.phase === 'addresses')) await assertReachable(this.host, this.state.apiAddresses);
      await this.stateFile.save(outcome.body, configuration);
    } catch (err) {
      if (!(err instanceof ApplyError)) {
        this.internalError(err);
        const failure: ApplyFailure = { kind: 'internal' };
        return { response: outcome.fail(failure), failure };
      }
      this.log.error('apply.step_failed', { ...err.failure });
      const failure: ApplyFailure = { kind: 'step', step: err.failure, rolledBack: await this.rollback() };
      return { response: outcome.fail(failure), failure };
    }
    this.state.applied = { body: outcome.body, model: outcome.model };
    this.state.dirty = false;
    if (outcome.plan.steps.some((s) => s.kind === 'check')) stats.phaseMs = { ...stats.phaseMs, check: checkMs };
    return { response: outcome.respond({ superseded: false }), stats };
  }

  private execContext() {
    return { host: this.host, layout: this.layout, services: this.services };
  }

  /** Back to the last good configuration (runtime/rollback.ts). */
  private rollback(): Promise<boolean> {
    return rollBack({ state: this.state, log: this.log, context: (needs) => this.context(needs), exec: this.execContext() });
  }

  async close(): Promise<void> {
    await this.services.close();
  }
}

/** set by runtime/request-id.ts; none for the start-up convergence */
const requestId = (req: ApiRequest) => req.headers.get('x-request-id') ?? undefined;
const ms = (since: number) => Math.round((performance.now() - since) * 10) / 10;
