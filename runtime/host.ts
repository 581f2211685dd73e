// The one place commands are spawned: argv arrays, never a shell, with a
// count of spawns for the benchmarks and an optional argv prefix so the
// agent can drive another network namespace.
import { execa } from 'execa';

export interface CommandResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
}

export class Host {
  spawns = 0;
  constructor(readonly wrap: string[] = []) {}

  async run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    const full = [...this.wrap, ...argv];
    this.spawns += 1;
    let r: Awaited<ReturnType<typeof execa>>;
    try {
      r = await execa(full[0] as string, full.slice(1), {
        input: opts.input,
        reject: false,
        timeout: opts.timeoutMs ?? 30_000,
        stripFinalNewline: false,
      });
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
}
