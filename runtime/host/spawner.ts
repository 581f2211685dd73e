// Commands run by a small helper process instead of the agent itself. Starting
// a process forks the process that starts it, and forking the agent (100 MB
// and more after a large push) stalls its event loop for 20-40 ms per command
// on a small VM: liveness probes wait behind every checker, restore and
// arping. The helper is a bare node (about 40 MB) started once; it forks the
// commands and sends back their exit code and output, one JSON line each, and
// the agent's event loop only reads that line. It ends when the agent does
// (its stdin closes). Without it (it cannot start, or died and cannot be
// restarted) commands run from the agent directly, and so do the commands
// sent while it boots (about 100 ms on a small VM, alongside the agent's own
// start: the first liveness probe does not wait for it).
import type { ChildProcess } from 'node:child_process';
import { HERE, type HelperCommand, type HelperReply as Reply, runCommand, spawnHelper } from './helper-source.ts';
import { type CommandResult, niceOf, type RunOptions } from './port.ts';

/** helpers in a row that may end before they are ready before the agent stops starting them */
const MAX_BOOT_FAILURES = 3;

export class Spawner {
  private child: ChildProcess | null = null;
  /** a helper started before the agent's modules loaded (early.ts), taken on first use */
  private adopted: ChildProcess | null;
  private nextId = 1;
  private readonly pending = new Map<number, (r: Reply) => void>();
  /** the helper could not be started: commands run from the agent */
  private broken = false;
  /** the running helper has said it is ready (until then the agent runs commands itself) */
  private ready = false;
  private readonly readyWaiters: (() => void)[] = [];
  /** helpers in a row that ended before they were ready */
  private bootFailures = 0;
  /** helper processes started */
  starts = 0;

  /**
   * @param early a helper already started (runtime/main.ts starts it first thing)
   * @param make how a new helper is started (tests hand in a broken one)
   */
  constructor(
    early: ChildProcess | null = null,
    private readonly make: () => ChildProcess = spawnHelper,
  ) {
    this.adopted = early;
  }

  /** false when the helper is unavailable: the caller runs the command itself */
  get available(): boolean {
    return !this.broken;
  }

  /** starts the helper if it is not running (it holds no event loop open while idle) */
  warm(): void {
    if (!this.child && !this.broken) this.start();
  }

  /** resolves once a helper is up and has said it is ready, or has gone (could not start, or died) */
  whenReady(): Promise<void> {
    this.warm();
    if (this.ready || this.broken) return Promise.resolve();
    // the wait holds the event loop open, as a command in flight does
    this.hold(true);
    return new Promise((resolve) =>
      this.readyWaiters.push(() => {
        if (this.pending.size === 0) this.hold(false);
        resolve();
      }),
    );
  }

  run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    const child = this.child ?? this.start();
    const cmd: HelperCommand = {
      id: this.nextId++,
      argv,
      input: opts.input,
      timeoutMs: opts.timeoutMs ?? 30_000,
      nice: niceOf(opts),
    };
    return new Promise((resolve) => {
      const done = (r: Reply) => resolve({ argv, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut });
      // while the helper boots, the agent forks the command itself (the same code the helper runs)
      if (!this.ready) return runCommand(HERE, cmd, done);
      this.pending.set(cmd.id, done);
      if (this.pending.size === 1) this.hold(true);
      child.stdin?.write(`${JSON.stringify(cmd)}\n`);
    });
  }

  private start(): ChildProcess {
    const early = this.adopted;
    this.adopted = null;
    // one that already exited, or could not start, is replaced
    const usable = early && early.exitCode === null && early.signalCode === null && early.pid !== undefined;
    if (early && !usable) early.kill();
    const child = usable ? early : this.make();
    this.starts += 1;
    this.child = child;
    this.ready = false;
    // this helper's own: the tail of a dead helper's output never mixes with the next one's
    let buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (this.child !== child) return;
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let reply: Reply;
        try {
          reply = JSON.parse(line) as Reply;
        } catch {
          // not the helper's protocol: it is no longer trusted with commands
          gone('answered with something other than a reply');
          child.kill('SIGKILL');
          return;
        }
        if (reply.id === 0) {
          this.ready = true;
          this.bootFailures = 0;
          for (const w of this.readyWaiters.splice(0)) w();
          continue;
        }
        const done = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        done?.(reply);
      }
      if (this.pending.size === 0) this.hold(false);
    });
    child.stdin?.on('error', () => {});
    const gone = (why: string) => {
      if (this.child !== child) return;
      this.child = null;
      // a helper that keeps dying before it is ready is given up on: commands run from the agent
      if (!this.ready && ++this.bootFailures >= MAX_BOOT_FAILURES) this.broken = true;
      this.ready = false;
      // a command may have run: it is answered as failed, never run twice
      for (const [id, done] of this.pending) done({ id, exitCode: -1, stdout: '', stderr: `the command runner ${why}`, timedOut: false });
      this.pending.clear();
      for (const w of this.readyWaiters.splice(0)) w();
    };
    child.once('error', (err) => {
      this.broken = true;
      gone(`could not start: ${err.message}`);
    });
    // once its output is read to the end: replies it sent before it died still count
    child.once('close', (code, signal) => gone(`exited (${code ?? signal})`));
    this.hold(false);
    return child;
  }

  /** the helper holds the agent's event loop open only while it owes answers */
  private hold(on: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const s of [c.stdin, c.stdout] as { ref?: () => void; unref?: () => void }[]) (on ? s?.ref : s?.unref)?.call(s);
    if (on) c.ref();
    else c.unref();
  }

  close(): void {
    const c = this.child;
    this.child = null;
    c?.stdin?.end();
    c?.unref();
  }
}
