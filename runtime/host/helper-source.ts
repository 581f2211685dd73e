// The command helper's program (spawner.ts explains why there is one) and how
// it is started. Kept apart with no imports of the agent's own, so that
// runtime/main.ts can start the helper before loading anything else.
import { type ChildProcess, spawn } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';

/** one command, as the agent sends it to the helper */
export interface HelperCommand {
  id: number;
  argv: string[];
  input?: string;
  timeoutMs: number;
  /** added to the niceness of the command (0: the agent's own; below 0 only where the agent may raise priorities) */
  nice: number;
}

/** its answer; `id` 0 is the helper saying it is ready */
export interface HelperReply {
  id: number;
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunTools {
  spawn: typeof spawn;
  getPriority: typeof getPriority;
  setPriority: typeof setPriority;
}

/**
 * Runs one command and answers once: argv only (no shell), a timeout, output as text.
 * It uses nothing but its arguments: its source is also the helper's (HELPER), and the
 * agent runs it itself while the helper is still booting.
 */
export function runCommand(tools: RunTools, cmd: HelperCommand, reply: (r: HelperReply) => void): void {
  const { id, argv, input, timeoutMs, nice } = cmd;
  const program = argv[0] ?? '';
  let out = '';
  let err = '';
  let timedOut = false;
  let done = false;
  let child: ChildProcess;
  try {
    child = tools.spawn(program, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    reply({ id, exitCode: -1, stdout: '', stderr: `cannot run ${program}: ${(e as Error).message}`, timedOut: false });
    return;
  }
  if (nice && child.pid) {
    try {
      tools.setPriority(child.pid, Math.max(-20, Math.min(19, tools.getPriority() + nice)));
    } catch {}
  }
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const finish = (r: HelperReply) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    reply(r);
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  child.stdin?.on('error', () => {});
  child.stdin?.end(input ?? '');
  child.on('error', (e) => finish({ id, exitCode: -1, stdout: out, stderr: err || `cannot run ${program}: ${e.message}`, timedOut }));
  child.on('close', (code) => finish({ id, exitCode: typeof code === 'number' ? code : -1, stdout: out, stderr: err, timedOut }));
}

/**
 * The helper: one command per line on stdin, one answer per line on stdout, `{"id":0}` once
 * it is ready. (`__name` is what a TypeScript loader may wrap the function's inner names in.)
 */
export const HELPER = `
const tools = { spawn: require('node:child_process').spawn, ...require('node:os') };
const __name = (f) => f;
const runCommand = ${runCommand.toString()};
const reply = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  for (let nl = buf.indexOf('\\n'); nl >= 0; nl = buf.indexOf('\\n')) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    if (line) runCommand(tools, JSON.parse(line), reply);
  }
});
process.stdin.on('end', () => process.exit(0));
// the agent is gone: nothing to answer
process.stdout.on('error', () => process.exit(0));
reply({ id: 0 });
`;

/** the agent's own tools: for the commands it runs while its helper boots */
export const HERE: RunTools = { spawn, getPriority, setPriority };

/** a new helper process: commands on its stdin, answers on its stdout, its errors to the agent's stderr */
export function spawnHelper(): ChildProcess {
  return spawn(process.execPath, ['-e', HELPER], { stdio: ['pipe', 'pipe', 'inherit'] });
}
