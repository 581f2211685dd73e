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
    const r = await execa(full[0] as string, full.slice(1), {
      input: opts.input,
      reject: false,
      timeout: opts.timeoutMs ?? 30_000,
      stripFinalNewline: false,
    });
    return {
      argv,
      exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1,
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? r.message ?? ''),
      timedOut: r.timedOut === true,
    };
  }
}
