// Commands of the image build: argv arrays; long steps stream their output to
// a log file, and a failure carries the last lines of it.
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The repository root (image/ lives directly under it). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const IMAGE_DIR = path.join(REPO, 'image');

export type Say = (line: string) => void;

export interface RunOptions {
  input?: string | Buffer;
  cwd?: string;
  env?: Record<string, string>;
  /** stdout and stderr go (appended) here instead of being returned */
  logFile?: string;
  timeoutMs?: number;
}

export class CommandError extends Error {}

const tail = (text: string) => text.split('\n').slice(-25).join('\n');

export async function run(argv: string[], opts: RunOptions = {}): Promise<string> {
  const [file, ...args] = argv as [string, ...string[]];
  const common = {
    input: opts.input,
    cwd: opts.cwd,
    env: { LC_ALL: 'C.UTF-8', ...opts.env },
    reject: false,
    timeout: opts.timeoutMs ?? 30 * 60_000,
    maxBuffer: 256 * 1024 * 1024,
  } as const;
  let r: { exitCode?: number; failed: boolean; timedOut: boolean; stdout: unknown; all?: unknown };
  let out = '';
  if (opts.logFile) {
    await appendFile(opts.logFile, `$ ${argv.join(' ')}\n`);
    const log = { file: opts.logFile, append: true };
    r = await execa(file, args, { ...common, stdout: log, stderr: log });
    if (r.exitCode !== 0 || r.failed) out = await readFile(opts.logFile, 'utf8');
  } else {
    r = await execa(file, args, { ...common, all: true });
    out = typeof r.all === 'string' ? r.all : '';
  }
  if (r.exitCode !== 0 || r.failed) {
    const why = r.timedOut ? 'timed out' : r.exitCode === undefined ? 'failed' : `exit ${r.exitCode}`;
    const where = opts.logFile ? ` (log: ${opts.logFile})` : '';
    throw new CommandError(`${argv.slice(0, 4).join(' ')}${argv.length > 4 ? ' ...' : ''}: ${why}${where}\n${tail(out)}`);
  }
  return typeof r.stdout === 'string' ? r.stdout : '';
}

/** Seconds since t0, one decimal. */
export function since(t0: number): string {
  return ((Date.now() - t0) / 1000).toFixed(1);
}
