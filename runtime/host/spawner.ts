// Commands run by a small helper process instead of the agent itself. Starting
// a process forks the process that starts it, and forking the agent (100 MB
// and more after a large push) stalls its event loop for 20-40 ms per command
// on a small VM: liveness probes wait behind every checker, restore and
// arping. The helper is a bare node (about 40 MB) started once; it forks the
// commands and sends back their exit code and output, one JSON line each, and
// the agent's event loop only reads that line. It ends when the agent does
// (its stdin closes). Without it (it cannot start, or died and cannot be
// restarted) commands run from the agent directly.
import { type ChildProcess, spawn } from 'node:child_process';
import { BACKGROUND_NICE, type CommandResult, type RunOptions } from './port.ts';

/** The helper: argv arrays only (no shell), a timeout per command, output as text. */
const HELPER = `
const { spawn } = require('node:child_process');
const { getPriority, setPriority } = require('node:os');
const reply = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  for (let nl = buf.indexOf('\\n'); nl >= 0; nl = buf.indexOf('\\n')) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    if (line) run(JSON.parse(line));
  }
});
process.stdin.on('end', () => process.exit(0));
function run({ id, argv, input, timeoutMs, nice }) {
  let out = '', err = '', timedOut = false, done = false;
  let child;
  try {
    child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    return reply({ id, exitCode: -1, stdout: '', stderr: 'cannot run ' + argv[0] + ': ' + e.message, timedOut: false });
  }
  if (nice && child.pid) try { setPriority(child.pid, Math.min(19, getPriority() + nice)); } catch {}
  const finish = (m) => { if (!done) { done = true; clearTimeout(timer); reply(m); } };
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
  child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
  child.stdin.on('error', () => {});
  child.stdin.end(input ?? '');
  child.on('error', (e) => finish({ id, exitCode: -1, stdout: out, stderr: err || 'cannot run ' + argv[0] + ': ' + e.message, timedOut }));
  child.on('close', (code) => finish({ id, exitCode: typeof code === 'number' ? code : -1, stdout: out, stderr: err, timedOut }));
}
`;

interface Reply {
  id: number;
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class Spawner {
  private child: ChildProcess | null = null;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, (r: Reply) => void>();
  /** the helper could not be started: commands run from the agent */
  private broken = false;
  /** helper processes started */
  starts = 0;

  /** false when the helper is unavailable: the caller runs the command itself */
  get available(): boolean {
    return !this.broken;
  }

  /** starts the helper if it is not running (it holds no event loop open while idle) */
  warm(): void {
    if (!this.child && !this.broken) this.start();
  }

  run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (r) => resolve({ argv, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut }));
      if (this.pending.size === 1) this.hold(true);
      const nice = opts.background ? BACKGROUND_NICE : 0;
      child.stdin?.write(`${JSON.stringify({ id, argv, input: opts.input, timeoutMs: opts.timeoutMs ?? 30_000, nice })}\n`);
    });
  }

  private start(): ChildProcess {
    const child = spawn(process.execPath, ['-e', HELPER], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.starts += 1;
    this.child = child;
    this.buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const reply = JSON.parse(this.buffer.slice(0, nl)) as Reply;
        this.buffer = this.buffer.slice(nl + 1);
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
      // a command may have run: it is answered as failed, never run twice
      for (const [id, done] of this.pending) done({ id, exitCode: -1, stdout: '', stderr: `the command runner ${why}`, timedOut: false });
      this.pending.clear();
    };
    child.once('error', (err) => {
      this.broken = true;
      gone(`could not start: ${err.message}`);
    });
    child.once('exit', (code, signal) => gone(`exited (${code ?? signal})`));
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
