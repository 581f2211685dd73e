// The one door to the host. Everything the agent does to or learns from the
// machine goes through a HostPort: commands (argv arrays, never a shell),
// files, sysctls, links and routes, the hostname, daemons and signals, time.
// runtime/host/real.ts is the machine; test/fake-host/ is a recording fake
// that keeps a small simulated host and prints its state as text.
import type { LinkFact, RouteFact } from '../../features/kit/facts.ts';

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
  /** work nobody waits for at once (checkers, announcements): run at a lower CPU priority (10 nicer than the agent), so
   *  the API's own commands (the liveness probe's listing) go first when the CPUs are busy */
  background?: boolean;
  /** a command a client waits for (an API read: the liveness probe's listing): run ahead of the apply's own commands
   *  (URGENT_NICE; as root only, elsewhere at the agent's priority) */
  urgent?: boolean;
}

/** how much nicer than the agent a `background` command runs */
export const BACKGROUND_NICE = 10;
/** how much nicer than the agent an `urgent` command runs: less nice, so it goes first when the CPUs are busy */
export const URGENT_NICE = -5;

/** the niceness added to a command run with these options */
export const niceOf = (opts: RunOptions): number => (opts.background ? BACKGROUND_NICE : opts.urgent ? URGENT_NICE : 0);

export interface DaemonProcess {
  pid: number;
  /** settles when the process ends (or could not start: then `error` is set) */
  exited: Promise<{ code: number | null; signal: string | null; error?: string }>;
  /** stop holding the agent's event loop open for it */
  unref(): void;
}

export interface HostPort {
  /** commands spawned so far, for the per-apply statistics */
  readonly spawns: number;
  run(argv: string[], opts?: RunOptions): Promise<CommandResult>;

  /** atomic and durable: temp file, fsync, rename, fsync the directory; `scratch` (a checker's copy in a
   *  fresh temporary directory) is written plainly, without the renames and fsyncs */
  writeFile(file: string, content: string, mode: number, opts?: { scratch?: boolean }): Promise<void>;
  readFile(file: string): Promise<string | null>;
  /** sha256 of a file's content, null when absent */
  fileDigest(file: string): Promise<string | null>;
  fileSize(file: string): Promise<number | null>;
  /** true once the file exists (watched, not polled), false after timeoutMs or when `abort` fires */
  whenExists(file: string, timeoutMs: number, abort?: AbortSignal): Promise<boolean>;
  removeFile(file: string): Promise<void>;
  makeDir(dir: string, mode: number): Promise<void>;
  /** a fresh directory under `base`, and a function that removes it */
  tempDir(base: string): Promise<{ dir: string; remove: () => Promise<void> }>;

  readSysctl(key: string): Promise<string | null>;
  writeSysctl(key: string, value: string): Promise<void>;
  links(): Promise<LinkFact[]>;
  routes(): Promise<RouteFact[]>;
  hostname(): Promise<string>;
  setHostname(name: string): Promise<CommandResult>;

  /** starts a daemon in its own process group, stdout and stderr appended to logFile */
  spawnDaemon(argv: string[], logFile: string): Promise<DaemonProcess>;
  /** false when there is no such process */
  signal(pid: number, signal: NodeJS.Signals | 0): boolean;
  /** the process's command line, space separated; '' when it is gone */
  commandLine(pid: number): Promise<string>;

  now(): number;
  sleep(ms: number): Promise<void>;
}
