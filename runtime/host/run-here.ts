// A command run from the agent's own process, with execa (imported only when
// first needed): the path when the command helper (spawner.ts) is unavailable.
import os from 'node:os';
import { type CommandResult, niceOf, type RunOptions } from './port.ts';

/** @param full the argv as run (with the host's wrap); `argv` the one reported */
export async function runHere(full: string[], argv: string[], opts: RunOptions): Promise<CommandResult> {
  const { execa } = await import('execa');
  let r: Awaited<ReturnType<typeof execa>>;
  try {
    const child = execa(full[0] as string, full.slice(1), {
      input: opts.input,
      reject: false,
      timeout: opts.timeoutMs ?? 30_000,
      stripFinalNewline: false,
    });
    const nice = niceOf(opts);
    if (nice && child.pid) renice(child.pid, nice);
    r = await child;
  } catch (err) {
    // a spawn that cannot even start (out of file descriptors, memory) is a failed command, not a crash
    return { argv, exitCode: -1, stdout: '', stderr: `cannot run ${argv[0]}: ${(err as Error).message}`, timedOut: false };
  }
  return {
    argv,
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? r.message ?? ''),
    timedOut: r.timedOut === true,
  };
}

/** a `background` or `urgent` command's niceness; a process already gone, or no right to raise it, is no error */
function renice(pid: number, nice: number): void {
  try {
    os.setPriority(pid, Math.max(-20, Math.min(19, os.getPriority() + nice)));
  } catch {}
}
