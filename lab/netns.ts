// Commands, namespaces and veths for the lab. Everything runs as argv arrays,
// never through a shell; nothing touches the root namespace but the veths
// created there and moved away at once.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { execa } from 'execa';
import { REPO } from './paths.ts';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
  try {
    const r = await execa(argv[0] as string, argv.slice(1), {
      reject: false,
      input: opts.input,
      timeout: opts.timeoutMs ?? 30_000,
      stripFinalNewline: false,
    });
    return {
      exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1,
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? r.message ?? ''),
    };
  } catch (err) {
    return { exitCode: -1, stdout: '', stderr: `cannot run ${argv[0]}: ${(err as Error).message}` };
  }
}

/** Runs argv and answers its stdout; throws with its stderr when it fails. */
export async function must(argv: string[], input?: string): Promise<string> {
  const r = await run(argv, { input });
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} failed (${r.exitCode}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Runs argv inside a namespace. */
export function inNs(ns: string, argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
  return run(['ip', 'netns', 'exec', ns, ...argv], opts);
}

/** `ip -batch` in a namespace (null: the caller's own, for veths created there and moved at once). */
export async function ipBatch(ns: string | null, commands: string[]): Promise<void> {
  const argv = ns ? ['ip', '-n', ns, '-batch', '-'] : ['ip', '-batch', '-'];
  const r = await run(argv, { input: `${commands.join('\n')}\n` });
  if (r.exitCode !== 0) throw new Error(`ip -batch in ${ns ?? 'the root namespace'}: ${r.stderr.trim()}\n${commands.join('\n')}`);
}

export async function sysctlIn(ns: string, settings: Record<string, string>): Promise<void> {
  const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  const r = await inNs(ns, ['sysctl', '-q', '-w', ...args]);
  if (r.exitCode !== 0) throw new Error(`sysctl in ${ns}: ${r.stderr.trim()}`);
}

/** A new namespace with its loopback up. */
export async function addNamespace(ns: string): Promise<void> {
  const r = await run(['ip', 'netns', 'add', ns]);
  if (r.exitCode !== 0) throw new Error(`ip netns add ${ns}: ${r.stderr.trim()}`);
  await ipBatch(ns, ['link set lo up']);
}

/** A veth pair whose ends are born in two namespaces. */
export function veth(a: { ns: string; ifname: string; mac?: string }, b: { ns: string; ifname: string; mac?: string }): Promise<void> {
  const mac = (x: { mac?: string }) => (x.mac ? ` address ${x.mac}` : '');
  return ipBatch(null, [`link add ${a.ifname} netns ${a.ns}${mac(a)} type veth peer name ${b.ifname} netns ${b.ns}${mac(b)}`]);
}

/** A detached long-running process inside a namespace, its output appended to a log file. */
export async function spawnIn(ns: string, argv: string[], logFile: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const out = await open(logFile, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      stdio: ['ignore', out.fd, out.fd],
      detached: true,
      env: { ...process.env, ...env },
      cwd: REPO,
    });
    child.unref();
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    return child;
  } finally {
    await out.close();
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run(['ip', 'netns', 'pids', ns]);
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 1 && p !== process.pid);
}

/** Namespaces whose names start with `<prefix>-`. */
export async function namespacesOf(prefix: string): Promise<string[]> {
  const list = await run(['ip', 'netns', 'list']);
  return list.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${prefix}-`));
}

/** Everything running inside the namespaces, then the namespaces themselves. */
export async function removeNamespaces(names: string[]): Promise<void> {
  for (const ns of names) {
    for (let round = 0; round < 20; round++) {
      const pids = await namespacePids(ns);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await sleep(50);
    }
  }
  for (const ns of names) await run(['ip', 'netns', 'del', ns]);
}

// Labs of this process still up, removed synchronously if the process is interrupted.
const live = new Set<string>();
let handlers = false;

function removeNow(prefix: string): void {
  try {
    const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith(`${prefix}-`));
    for (const ns of names) {
      for (const pid of execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    for (const ns of names) execFileSync('ip', ['netns', 'del', ns]);
  } catch {
    // best effort
  }
}

/** Removes the lab's namespaces if this process gets SIGINT or SIGTERM before `forget`. */
export function removeOnSignal(prefix: string): void {
  live.add(prefix);
  if (handlers) return;
  handlers = true;
  const cleanup = (signal: NodeJS.Signals) => {
    for (const p of live) removeNow(p);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', cleanup);
  process.once('SIGTERM', cleanup);
}

export function forget(prefix: string): void {
  live.delete(prefix);
}
