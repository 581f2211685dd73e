// Metrics in the Prometheus text format (GET /metrics). prom-client is loaded
// on first use, not at start-up. The agent's counters come from its own log
// lines (docs/logging.md): a tap on the logger turns `apply`, `daemon.*` and
// `metadata.*` lines into metrics, so the code that logs needs no second call.
import type { LogFields, Logger } from './log.ts';

type Prom = typeof import('prom-client');
type Recorder = (m: Instruments) => void;

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type DaemonSource = () => Record<string, { running: boolean }>;

function instruments(prom: Prom, daemons: { source: DaemonSource }) {
  const register = new prom.Registry();
  prom.collectDefaultMetrics({ register, eventLoopMonitoringPrecision: 20 });
  const on = { registers: [register] };
  const counter = (name: string, help: string, labelNames: string[] = []) => new prom.Counter({ name, help, labelNames, ...on });
  const histogram = (name: string, help: string, labelNames: string[], buckets = SECONDS) =>
    new prom.Histogram({ name, help, labelNames, buckets, ...on });
  const lastSuccess = { at: 0 };
  new prom.Gauge({
    name: 'appliance_seconds_since_last_successful_apply',
    help: 'seconds since the last apply answered 200 (-1: none since start)',
    ...on,
    collect() {
      this.set(lastSuccess.at ? (Date.now() - lastSuccess.at) / 1000 : -1);
    },
  });
  new prom.Gauge({
    name: 'appliance_daemon_up',
    help: 'whether each supervised service runs (1) or not (0)',
    labelNames: ['daemon'],
    ...on,
    collect() {
      this.reset();
      for (const [daemon, fact] of Object.entries(daemons.source())) this.set({ daemon }, fact.running ? 1 : 0);
    },
  });
  return {
    register,
    lastSuccess,
    applies: counter('appliance_apply_total', 'applies by outcome (ok, invalid, check_failed, step_failed, internal)', ['outcome']),
    applySeconds: histogram('appliance_apply_duration_seconds', 'apply duration by outcome', ['outcome']),
    planSteps: counter('appliance_plan_steps_total', 'steps of the plans applied, by step kind', ['kind']),
    filesWritten: counter('appliance_files_written_total', 'files written by applies'),
    restarts: counter('appliance_daemon_restarts_total', 'daemon starts and restarts by daemon (plans and the supervisor)', ['daemon']),
    reloads: counter('appliance_daemon_reloads_total', 'daemon reloads (signals, reconfigure) by daemon', ['daemon']),
    exits: counter('appliance_daemon_exits_total', 'daemons that exited on their own, by daemon', ['daemon']),
    requests: counter('appliance_http_requests_total', 'API requests by route, method and status', ['route', 'method', 'status']),
    requestSeconds: histogram('appliance_http_request_duration_seconds', 'API request latency by route and method', ['route', 'method']),
    metadataRequests: counter('appliance_metadata_requests_total', 'metadata proxy requests by status', ['status']),
    metadataSeconds: histogram('appliance_metadata_request_duration_seconds', 'metadata proxy request latency (upstream included)', []),
    metadataPressure: counter('appliance_metadata_connection_pressure_total', 'periods of metadata connection pressure', []),
  };
}

type Instruments = ReturnType<typeof instruments>;

const outcomeOf = (f: LogFields) =>
  f.status === 200
    ? 'ok'
    : f.status === 422
      ? 'invalid'
      : f.failure === 'check'
        ? 'check_failed'
        : f.failure === 'step'
          ? 'step_failed'
          : 'internal';

export class Metrics {
  private loaded: Instruments | null = null;
  private loading: Promise<Instruments> | null = null;
  /** observations made before prom-client is loaded, replayed once it is */
  private pending: Recorder[] = [];
  /** the services whose up/down state appliance_daemon_up reports (set by the agent) */
  readonly daemons: { source: DaemonSource } = { source: () => ({}) };

  private load(): Promise<Instruments> {
    this.loading ??= import('prom-client').then((mod) => {
      // a CommonJS module: the bundle's chunk (scripts/build.mjs) exports it as the default only
      const prom = ((mod as { default?: Prom }).default ?? mod) as Prom;
      const m = instruments(prom, this.daemons);
      for (const r of this.pending) r(m);
      this.pending = [];
      this.loaded = m;
      return m;
    });
    return this.loading;
  }

  private record(r: Recorder): void {
    if (this.loaded) {
      r(this.loaded);
      return;
    }
    if (this.pending.length < 10_000) this.pending.push(r);
    void this.load();
  }

  async text(): Promise<string> {
    return (await this.load()).register.metrics();
  }

  request(route: string, method: string, status: number, seconds: number): void {
    this.record((m) => {
      m.requests.inc({ route, method, status: String(status) });
      m.requestSeconds.observe({ route, method }, seconds);
    });
  }

  /** a line of the agent's log, as metrics */
  observe(event: string, f: LogFields): void {
    const daemon = typeof f.daemon === 'string' ? f.daemon : 'unknown';
    const recorders: Record<string, Recorder> = {
      apply: (m) => this.applied(m, f),
      'daemon.started': (m) => m.restarts.inc({ daemon }),
      'daemon.exited': (m) => m.exits.inc({ daemon }),
      'metadata.request': (m) => {
        m.metadataRequests.inc({ status: String(f.status) });
        if (typeof f.duration_ms === 'number') m.metadataSeconds.observe(f.duration_ms / 1000);
      },
      'metadata.connections_pressure': (m) => m.metadataPressure.inc(),
    };
    const r = Object.hasOwn(recorders, event) ? recorders[event] : undefined;
    if (r) this.record(r);
  }

  private applied(m: Instruments, f: LogFields): void {
    const outcome = outcomeOf(f);
    m.applies.inc({ outcome });
    if (typeof f.duration_ms === 'number') m.applySeconds.observe({ outcome }, f.duration_ms / 1000);
    if (outcome === 'ok') m.lastSuccess.at = Date.now();
    if (typeof f.filesWritten === 'number') m.filesWritten.inc(f.filesWritten);
    // plan keys: write-file, run:<what>, daemon:<name>:<action>, signal:<name> (handlers/plan/plan.ts summarise)
    for (const [key, n] of Object.entries((f.plan ?? {}) as Record<string, number>)) {
      const [kind = key, name = 'unknown', action] = key.split(':');
      m.planSteps.inc({ kind }, n);
      if (outcome !== 'ok') continue;
      if (kind === 'signal' || (kind === 'daemon' && action === 'reload')) m.reloads.inc({ daemon: name }, n);
      if (kind === 'run' && name === 'bird6') m.reloads.inc({ daemon: 'bird6' }, n);
    }
  }

  /** the same logger, its lines also counted */
  tap(log: Logger): Logger {
    const seen =
      (level: keyof Logger) =>
      (event: string, fields: LogFields = {}) => {
        log[level](event, fields);
        this.observe(event, fields);
      };
    return { info: seen('info'), warn: seen('warn'), error: seen('error') };
  }
}
