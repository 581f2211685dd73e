// Supervised daemons (dnsmasq, bird6): started with explicit paths under the
// agent's root, restarted with backoff when they die, adopted from their pid
// file when the agent itself restarts (so tenants keep DHCP and routing while
// the agent is down).
import { type ChildProcess, spawn } from 'node:child_process';
import { open, readFile, rm, stat } from 'node:fs/promises';
import type { ServiceFact } from '../handlers/facts.ts';
import type { Logger } from './log.ts';

export interface DaemonSpec {
  name: string;
  argv: () => string[];
  pidFile: string;
  /** stdout and stderr go here: a pipe would kill the daemon with SIGPIPE once the agent is gone */
  logFile: string;
  /** a string the daemon's command line contains, to recognise it when adopting */
  marker: string;
  /** left behind by a daemon that was killed, and would make it look ready at once */
  staleFiles?: string[];
  /** resolves true once the daemon serves */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a process exists (signal 0 probes without signalling). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function cmdline(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

export class Daemon {
  private child: ChildProcess | null = null;
  private adoptedPid: number | null = null;
  private wanted = false;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  starts = 0;

  constructor(
    private readonly spec: DaemonSpec,
    private readonly log: Logger,
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? this.adoptedPid;
  }

  fact(): ServiceFact {
    const pid = this.pid;
    return { running: pid !== null && alive(pid), pid };
  }

  /** Take over a daemon left running by an earlier agent process. */
  async adopt(): Promise<boolean> {
    let pid: number;
    try {
      pid = Number((await readFile(this.spec.pidFile, 'utf8')).trim());
    } catch {
      return false;
    }
    if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return false;
    if (!(await cmdline(pid)).includes(this.spec.marker)) return false;
    this.adoptedPid = pid;
    this.wanted = true;
    this.watchAdopted();
    this.log.info('daemon.adopted', { daemon: this.spec.name, pid });
    return true;
  }

  private watchAdopted(): void {
    this.watchTimer = setInterval(() => {
      if (this.adoptedPid !== null && !alive(this.adoptedPid)) {
        this.log.warn('daemon.exited', { daemon: this.spec.name, pid: this.adoptedPid, adopted: true });
        this.clearAdopted();
        if (this.wanted) this.scheduleRestart();
      }
    }, 1000);
    this.watchTimer.unref();
  }

  private clearAdopted(): void {
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = null;
    this.adoptedPid = null;
  }

  private spawning: Promise<void> | null = null;

  async start(): Promise<void> {
    this.wanted = true;
    if (this.spawning) await this.spawning.catch(() => {});
    if (this.fact().running) return;
    await this.spawnOnce();
  }

  /** One spawn at a time: a backoff restart and an explicit start must not both start a daemon. */
  private spawnOnce(): Promise<void> {
    if (!this.spawning) {
      this.spawning = this.spawnNow().finally(() => {
        this.spawning = null;
      });
    }
    return this.spawning;
  }

  private async spawnNow(): Promise<void> {
    const argv = this.spec.argv();
    await rm(this.spec.pidFile, { force: true });
    for (const f of this.spec.staleFiles ?? []) await rm(f, { force: true });
    const logStart = await stat(this.spec.logFile).then(
      (st) => st.size,
      () => 0,
    );
    const out = await open(this.spec.logFile, 'a', 0o640);
    let child: ChildProcess;
    try {
      // own process group: a signal to the agent's group must not take the daemons down
      child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', out.fd, out.fd], detached: true });
    } finally {
      await out.close();
    }
    this.child = child;
    this.starts += 1;
    let exited = false;
    let spawnError: Error | null = null;
    child.on('error', (err) => {
      spawnError = err;
      exited = true;
    });
    child.on('exit', (code, signal) => {
      exited = true;
      if (this.child !== child) return;
      this.child = null;
      this.log.warn('daemon.exited', { daemon: this.spec.name, pid: child.pid, code, signal });
      if (this.wanted) this.scheduleRestart();
    });
    const deadline = Date.now() + (this.spec.readyTimeoutMs ?? 5000);
    while (Date.now() < deadline) {
      if (exited) break;
      if (await this.spec.ready()) {
        this.log.info('daemon.started', { daemon: this.spec.name, pid: child.pid });
        this.failures = 0;
        return;
      }
      await sleep(20);
    }
    const reason = spawnError ? (spawnError as Error).message : exited ? 'exited during start-up' : 'not ready in time';
    if (!exited) child.kill('SIGKILL');
    throw new DaemonError(this.spec.name, argv, reason, await this.logSince(logStart));
  }

  private async logSince(offset: number): Promise<string> {
    try {
      const text = (await readFile(this.spec.logFile, 'utf8')).slice(offset);
      return text.slice(-2000);
    } catch {
      return '';
    }
  }

  private scheduleRestart(): void {
    if (this.restartTimer) return;
    this.failures += 1;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7));
    this.log.info('daemon.restart_scheduled', { daemon: this.spec.name, delay_ms: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.wanted || this.spawning || this.fact().running) return;
      this.spawnOnce().catch((err) => this.log.error('daemon.restart_failed', { daemon: this.spec.name, error: String(err) }));
    }, delay);
    this.restartTimer.unref();
  }

  async stop(): Promise<void> {
    this.wanted = false;
    if (this.spawning) await this.spawning.catch(() => {});
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const pid = this.pid;
    const child = this.child;
    this.child = null;
    this.clearAdopted();
    if (pid === null || !alive(pid)) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 150 && alive(pid); i++) {
      await sleep(20);
      // a child of ours stays a zombie until reaped; the exit event reaps it
      if (child && child.exitCode !== null) break;
    }
    if (alive(pid) && !(child && child.exitCode !== null)) process.kill(pid, 'SIGKILL');
  }

  async restart(): Promise<void> {
    if (this.spawning) await this.spawning.catch(() => {});
    await this.stop();
    this.wanted = true;
    await this.spawnOnce();
  }

  signal(sig: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === null || !alive(pid)) throw new DaemonError(this.spec.name, [], `not running, cannot send ${sig}`, '');
    process.kill(pid, sig);
  }

  /** Leave the daemon running for the next agent process. */
  detach(): void {
    this.wanted = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.clearAdopted();
    this.child?.unref();
  }
}

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
