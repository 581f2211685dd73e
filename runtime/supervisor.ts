// Supervised daemons (dnsmasq, bird6, ...): started with explicit paths under
// the agent's root, restarted with backoff when they die, adopted from their
// pid file when the agent itself restarts (so tenants keep DHCP and routing
// while the agent is down). Everything goes through the host port.
import type { ServiceFact } from '../features/kit/facts.ts';
import type { DaemonSpec } from '../features/kit/feature.ts';
import type { DaemonProcess, HostPort } from './host/port.ts';
import type { Logger } from './log.ts';

export class DaemonError extends Error {
  constructor(
    readonly daemon: string,
    readonly argv: string[],
    readonly reason: string,
    readonly stderr: string,
  ) {
    super(`${daemon}: ${reason}`);
  }
}

export class Daemon {
  private child: DaemonProcess | null = null;
  private adoptedPid: number | null = null;
  private wanted = false;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private spawning: Promise<void> | null = null;
  /** performance.now() of the last load of its files: a reload sent or a spawn */
  private lastLoadAt = Number.NEGATIVE_INFINITY;
  private pendingReload: { timer: NodeJS.Timeout; signal: NodeJS.Signals } | null = null;
  starts = 0;

  constructor(
    private spec: DaemonSpec,
    private readonly host: HostPort,
    private readonly log: Logger,
    private readonly readyTimeoutMs = 5000,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | null {
    return this.child?.pid ?? this.adoptedPid;
  }

  fact(): ServiceFact {
    const pid = this.pid;
    return { running: pid !== null && this.host.signal(pid, 0), pid };
  }

  /** Take over a daemon left running by an earlier agent process. */
  async adopt(): Promise<boolean> {
    const pid = Number((await this.host.readFile(this.spec.pidFile))?.trim());
    if (!Number.isInteger(pid) || pid <= 1 || !this.host.signal(pid, 0)) return false;
    if (!(await this.host.commandLine(pid)).includes(this.spec.marker)) return false;
    this.adoptedPid = pid;
    this.wanted = true;
    this.watchTimer = setInterval(() => {
      if (this.adoptedPid !== null && !this.host.signal(this.adoptedPid, 0)) {
        this.log.warn('daemon.exited', { daemon: this.spec.name, pid: this.adoptedPid, adopted: true });
        this.clearAdopted();
        if (this.wanted) this.scheduleRestart();
      }
    }, 1000);
    this.watchTimer.unref();
    this.log.info('daemon.adopted', { daemon: this.spec.name, pid });
    return true;
  }

  private clearAdopted(): void {
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = null;
    this.adoptedPid = null;
  }

  /** @param argv the command line the plan says, when it carries one */
  async start(argv?: string[]): Promise<void> {
    if (argv?.length) this.spec = { ...this.spec, argv };
    this.wanted = true;
    if (this.spawning) await this.spawning.catch(() => {});
    if (this.fact().running) return;
    await this.spawnOnce();
  }

  /** One spawn at a time: a backoff restart and an explicit start must not both start a daemon. */
  private spawnOnce(): Promise<void> {
    this.spawning ??= this.spawnNow().finally(() => {
      this.spawning = null;
    });
    return this.spawning;
  }

  private async spawnNow(): Promise<void> {
    const { argv, pidFile, logFile, readyFile, staleFiles } = this.spec;
    // a new process reads its files as they are now: a reload owed to the old one is moot
    this.cancelReload();
    this.lastLoadAt = performance.now();
    for (const f of [pidFile, ...staleFiles]) await this.host.removeFile(f);
    const logStart = (await this.host.fileSize(logFile)) ?? 0;
    const child = await this.host.spawnDaemon(argv, logFile);
    this.child = child;
    this.starts += 1;
    if (this.spec.supervisorWritesPid) await this.host.writeFile(pidFile, `${child.pid}\n`, 0o644);
    let ended: { code: number | null; signal: string | null; error?: string } | null = null;
    void child.exited.then((how) => {
      ended = how;
      if (this.child !== child) return;
      this.child = null;
      this.log.warn('daemon.exited', { daemon: this.spec.name, pid: child.pid, code: how.code, signal: how.signal });
      if (this.wanted) this.scheduleRestart();
    });
    // ready when its pid file or socket appears (watched), unless it ends first
    const gone = new AbortController();
    void child.exited.then(() => gone.abort());
    const ready = await this.host.whenExists(readyFile, this.readyTimeoutMs, gone.signal);
    gone.abort();
    if (ready && !ended) {
      this.log.info('daemon.started', { daemon: this.spec.name, pid: child.pid });
      this.failures = 0;
      this.lastLoadAt = performance.now();
      return;
    }
    const how = ended as { error?: string } | null;
    const reason = how?.error ?? (how ? 'exited during start-up' : 'not ready in time');
    if (!how) this.host.signal(child.pid, 'SIGKILL');
    throw new DaemonError(this.spec.name, argv, reason, ((await this.host.readFile(logFile)) ?? '').slice(logStart).slice(-2000));
  }

  private scheduleRestart(): void {
    if (this.restartTimer) return;
    this.failures += 1;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7));
    this.log.info('daemon.restart_scheduled', { daemon: this.spec.name, delay_ms: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.wanted || this.spawning || this.fact().running) return;
      this.spawnOnce()
        .then(() => this.afterRestart())
        .catch((err) => this.log.error('daemon.restart_failed', { daemon: this.spec.name, error: String(err) }));
    }, delay);
    this.restartTimer.unref();
  }

  /** The spec's afterRestart commands, in order, once a restart of the supervisor's own is ready. */
  private async afterRestart(): Promise<void> {
    for (const argv of this.spec.afterRestart ?? []) {
      const r = await this.host.run(argv, { timeoutMs: 30_000 });
      const fields = { daemon: this.spec.name, argv, exit_code: r.exitCode };
      if (r.exitCode === 0) this.log.info('daemon.after_restart', fields);
      else this.log.error('daemon.after_restart_failed', { ...fields, stderr: (r.stderr || r.stdout).slice(-2000) });
    }
  }

  async stop(): Promise<void> {
    this.wanted = false;
    this.cancelReload();
    if (this.spawning) await this.spawning.catch(() => {});
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const pid = this.pid;
    const child = this.child;
    this.child = null;
    this.clearAdopted();
    if (pid === null || !this.host.signal(pid, 'SIGTERM')) return;
    let gone = false;
    void child?.exited.then(() => {
      gone = true;
    });
    // a child of ours stays a zombie until reaped: its exit event says it is gone
    for (let i = 0; i < 300 && !gone && this.host.signal(pid, 0); i++) await this.host.sleep(10);
    if (!gone && this.host.signal(pid, 0)) this.host.signal(pid, 'SIGKILL');
  }

  async restart(argv?: string[]): Promise<void> {
    if (this.spawning) await this.spawning.catch(() => {});
    await this.stop();
    await this.start(argv);
  }

  /**
   * A reload: the signal now, or, within the spec's minReloadIntervalMs of the last load,
   * once the interval has passed; reloads asked for while one waits collapse into it.
   * Returns whether the signal was sent or is owed (it is never dropped).
   */
  reload(sig: NodeJS.Signals): 'sent' | 'deferred' {
    // a daemon gone is a failed step, owed reload or not
    if (!this.fact().running) throw new DaemonError(this.spec.name, [], `not running, cannot send ${sig}`, '');
    if (this.pendingReload) return 'deferred';
    const wait = this.lastLoadAt + (this.spec.minReloadIntervalMs ?? 0) - performance.now();
    if (wait <= 0) {
      this.signal(sig);
      this.lastLoadAt = performance.now();
      return 'sent';
    }
    this.log.info('daemon.reload_deferred', { daemon: this.spec.name, delay_ms: Math.ceil(wait) });
    const timer = setTimeout(() => this.flushReload(), wait);
    timer.unref();
    this.pendingReload = { timer, signal: sig };
    return 'deferred';
  }

  /** Sends the owed reload, if any. */
  private flushReload(): void {
    const owed = this.pendingReload;
    if (!owed) return;
    this.cancelReload();
    try {
      this.signal(owed.signal);
      this.lastLoadAt = performance.now();
      this.log.info('daemon.reloaded', { daemon: this.spec.name, deferred: true });
    } catch (err) {
      // gone meanwhile: the restart that follows reads the files as they are
      this.log.warn('daemon.reload_failed', { daemon: this.spec.name, error: String(err) });
    }
  }

  private cancelReload(): void {
    if (this.pendingReload) clearTimeout(this.pendingReload.timer);
    this.pendingReload = null;
  }

  signal(sig: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === null || !this.host.signal(pid, sig)) throw new DaemonError(this.spec.name, [], `not running, cannot send ${sig}`, '');
  }

  /** Leave the daemon running for the next agent process. */
  detach(): void {
    // the next agent adopts the daemon and cannot know it owes a reload: send it now
    this.flushReload();
    this.wanted = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.clearAdopted();
    this.child?.unref();
  }
}
