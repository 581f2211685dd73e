// A long-lived `ip -j ... -force -batch -` that answers read-only queries
// (`address show`, `route show table main`) without a process per query.
// Every query is sent to ip when it is asked, never answered from a cache, so
// the facts are those of the moment (a link changed behind the agent's back is
// seen by the next query). Queries asked while ip is still busy with earlier
// one, and identical waiting queries share one answer: it is sent after all of
// them arrived. ip prints one JSON line per command and flushes it; a command
// that fails prints nothing on stdout and "Command failed" on stderr. One
// command is outstanding at a time, so a line always belongs to the command
// sent; a failure, a silence or an exit ends the session: its queries are
// rejected (the caller then spawns an `ip` of its own) and the next query
// starts a fresh process.
import { type ChildProcess, spawn } from 'node:child_process';

interface Pending {
  command: string;
  resolve: (line: string) => void;
  reject: (err: Error) => void;
  /** more callers of the same command, joined while it waited */
  joined: { resolve: (line: string) => void; reject: (err: Error) => void }[];
}

export class IpBatch {
  private child: ChildProcess | null = null;
  private buffer = '';
  /** written to ip, waiting for its line */
  private sent: Pending[] = [];
  /** not yet written: ip is busy with `sent` */
  private waiting: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** processes started, for the host's spawn counter */
  starts = 0;

  /** @param argv the whole command line, e.g. ['ip', '-j', '-d', '-force', '-batch', '-'] */
  constructor(
    private readonly argv: string[],
    private readonly timeoutMs = 3000,
  ) {}

  /** One batch command ('address show'); resolves to its stdout line. */
  query(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const same = this.waiting.find((p) => p.command === command);
      if (same) same.joined.push({ resolve, reject });
      else this.waiting.push({ command, resolve, reject, joined: [] });
      this.pump();
    });
  }

  private pump(): void {
    if (this.sent.length > 0 || this.waiting.length === 0) return;
    let child: ChildProcess;
    try {
      child = this.child ?? this.startChild();
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.sent = this.waiting.splice(0, 1);
    child.stdin?.write(`${this.sent[0]?.command}\n`);
    this.hold(true);
    this.timer = setTimeout(() => this.fail(new Error(`${this.argv.join(' ')}: no answer in ${this.timeoutMs} ms`)), this.timeoutMs);
  }

  private startChild(): ChildProcess {
    const child = spawn(this.argv[0] as string, this.argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.starts += 1;
    this.child = child;
    this.buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.onData(child, chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (this.child === child && chunk.includes('Command failed')) this.fail(new Error(chunk.trim().slice(0, 500)));
    });
    child.stdin?.on('error', () => {});
    child.once('error', (err) => {
      if (this.child === child) this.fail(err);
    });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.fail(new Error(`${this.argv[0]} exited (${code ?? signal})`));
    });
    return child;
  }

  private onData(child: ChildProcess, chunk: string): void {
    if (this.child !== child) return;
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const p = this.sent.shift();
      if (!p) continue;
      p.resolve(line);
      for (const j of p.joined) j.resolve(line);
    }
    if (this.sent.length === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.hold(false);
      this.pump();
    }
  }

  /** the process keeps the event loop alive only while it owes an answer */
  private hold(on: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const s of [c.stdin, c.stdout, c.stderr] as { ref?: () => void; unref?: () => void }[]) (on ? s?.ref : s?.unref)?.call(s);
    if (on) c.ref();
    else c.unref();
  }

  /** Ends the session: its queries are rejected and the next query starts a new process. */
  private fail(err: Error): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const child = this.child;
    this.child = null;
    if (child) {
      child.stdin?.destroy();
      child.kill('SIGKILL');
      child.unref();
    }
    const all = [...this.sent, ...this.waiting];
    this.sent = [];
    this.waiting = [];
    for (const p of all) {
      p.reject(err);
      for (const j of p.joined) j.reject(err);
    }
  }

  close(): void {
    this.fail(new Error('closed'));
  }
}
