// The HostPort of the machine the agent runs on.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, watch, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sha256 } from '../../features/kit/digest.ts';
import type { LinkFact, RouteFact } from '../../features/kit/facts.ts';
import { IpBatch } from './ip-batch.ts';
import { type IpLink, type IpRoute, parseLinks, parseRoutes } from './ip-json.ts';
import type { CommandResult, DaemonProcess, HostPort, RunOptions } from './port.ts';
import { runHere } from './run-here.ts';
import { Spawner } from './spawner.ts';

export class RealHost implements HostPort {
  private runs = 0;
  /** long-lived `ip -j -batch -` readers, one per set of global options: facts without a process per query */
  private readonly ipReaders = new Map<string, IpBatch>();
  /** digests by file identity (inode, size, mtime): unchanged files are not read again */
  private readonly digests = new Map<string, { stamp: string; digest: string }>();
  /** the last links listing and its facts (shared by callers: nothing changes facts in place) */
  private lastLinks: { text: string; links: LinkFact[] } | null = null;

  /** commands are forked by a small helper process, not by the agent (see spawner.ts) */
  private readonly spawner: Spawner;

  /**
   * @param wrap an argv prefix (ip netns exec NAME) so the agent can drive another namespace
   * @param helper a command helper already started (runtime/host/early.ts)
   */
  constructor(
    readonly wrap: string[] = [],
    helper: ChildProcess | null = null,
  ) {
    this.spawner = new Spawner(helper);
  }

  /** commands run, and the fact readers' processes */
  get spawns(): number {
    let n = this.runs;
    for (const r of this.ipReaders.values()) n += r.starts;
    return n;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    const full = [...this.wrap, ...argv];
    this.runs += 1;
    if (this.spawner.available) {
      const r = await this.spawner.run(full, opts);
      return { ...r, argv };
    }
    return runHere(full, argv, opts);
  }

  async writeFile(file: string, content: string, mode: number, opts: { scratch?: boolean } = {}): Promise<void> {
    if (opts.scratch) return writeFile(file, content, { mode });
    await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    const tmp = `${file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.chmod(mode);
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    const dir = await open(path.dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async readFile(file: string): Promise<string | null> {
    try {
      return await readFile(file, 'utf8');
    } catch {
      return null;
    }
  }

  async fileDigest(file: string): Promise<string | null> {
    try {
      const st = await stat(file, { bigint: true });
      const stamp = `${st.ino}/${st.size}/${st.mtimeNs}/${st.ctimeNs}`;
      const cached = this.digests.get(file);
      if (cached?.stamp === stamp) return cached.digest;
      const digest = sha256(await readFile(file, 'utf8'));
      this.digests.set(file, { stamp, digest });
      return digest;
    } catch {
      this.digests.delete(file);
      return null;
    }
  }

  async fileSize(file: string): Promise<number | null> {
    return stat(file).then(
      (st) => st.size,
      () => null,
    );
  }

  whenExists(file: string, timeoutMs: number, abort?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (found: boolean) => {
        if (done) return;
        done = true;
        watcher?.close();
        clearTimeout(timer);
        clearInterval(poll);
        abort?.removeEventListener('abort', onAbort);
        resolve(found);
      };
      const onAbort = () => finish(false);
      const check = () => {
        stat(file).then(
          () => finish(true),
          () => {},
        );
      };
      let watcher: ReturnType<typeof watch> | null = null;
      try {
        // inotify on the directory: the daemon's pid file or socket appears without a poll's delay
        watcher = watch(path.dirname(file), { persistent: false }, check);
        watcher.on('error', () => {});
      } catch {
        watcher = null;
      }
      // a slow poll as well, for file systems that do not report
      const poll = setInterval(check, watcher ? 100 : 10);
      const timer = setTimeout(() => finish(false), timeoutMs);
      abort?.addEventListener('abort', onAbort);
      if (abort?.aborted) finish(false);
      check();
    });
  }

  async removeFile(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  async makeDir(dir: string, mode: number): Promise<void> {
    await mkdir(dir, { recursive: true, mode });
    await chmod(dir, mode);
  }

  async tempDir(base: string): Promise<{ dir: string; remove: () => Promise<void> }> {
    await mkdir(base, { recursive: true, mode: 0o700 }).catch(() => {});
    const dir = await mkdtemp(path.join(base || os.tmpdir(), 'appliance-'));
    return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
  }

  // /proc/sys reads and writes never wait for a disk: done in place they cost microseconds, where the
  // thread pool's round trips made the 66 sysctls of a large router cost 10-20 ms per push
  async readSysctl(key: string): Promise<string | null> {
    try {
      return readFileSync(`/proc/sys/${key}`, 'utf8').trim();
    } catch {
      return null;
    }
  }

  async writeSysctl(key: string, value: string): Promise<void> {
    writeFileSync(`/proc/sys/${key}`, value);
  }

  /** `ip -j OPTIONS COMMAND` through the long-lived reader for OPTIONS; one process of its own if the reader fails */
  private async ipJson<T>(options: string[], command: string[]): Promise<T[]> {
    const text = await this.ipText(options, command);
    return text ? (JSON.parse(text) as T[]) : [];
  }

  /** the JSON text of `ip -j OPTIONS COMMAND` */
  private async ipText(options: string[], command: string[]): Promise<string> {
    const key = options.join(' ');
    let reader = this.ipReaders.get(key);
    if (!reader) {
      reader = new IpBatch([...this.wrap, 'ip', '-j', ...options, '-force', '-batch', '-']);
      this.ipReaders.set(key, reader);
    }
    let text: string;
    try {
      text = await reader.query(command.join(' '));
    } catch {
      const r = await this.run(['ip', '-j', ...options, ...command], { timeoutMs: 5000 });
      if (r.exitCode !== 0) throw new Error(`ip ${[...options, ...command].join(' ')} failed: ${r.stderr.trim()}`);
      text = r.stdout;
    }
    return text.trim();
  }

  async links(): Promise<LinkFact[]> {
    const text = await this.ipText(['-d'], ['address', 'show']);
    // callers joined on one query (ip-batch.ts), or an unchanged host, get the facts parsed
    // once: 50 clients of GET /v1/system/interfaces do not each hold a parse of every link
    if (this.lastLinks?.text === text) return this.lastLinks.links;
    const links = parseLinks(text ? (JSON.parse(text) as IpLink[]) : []);
    this.lastLinks = { text, links };
    return links;
  }

  async routes(): Promise<RouteFact[]> {
    const [v4, v6] = await Promise.all([
      this.ipJson<IpRoute>(['-4'], ['route', 'show', 'table', 'main']),
      this.ipJson<IpRoute>(['-6'], ['route', 'show', 'table', 'main']),
    ]);
    return [...parseRoutes(v4, 4), ...parseRoutes(v6, 6)];
  }

  /** starts the command helper now, so its start-up overlaps the agent's own rather than delaying the first command */
  warm(): void {
    this.spawner.warm();
  }

  /** ends the fact readers and the command helper (they hold no event loop open while idle) */
  close(): void {
    this.spawner.close();
    for (const r of this.ipReaders.values()) r.close();
    this.ipReaders.clear();
  }

  async hostname(): Promise<string> {
    return os.hostname();
  }

  /** the kernel's hostname of the agent's UTS namespace, as `hostname NAME` sets it, without a process */
  async setHostname(name: string): Promise<CommandResult> {
    const argv = ['write', '/proc/sys/kernel/hostname', name];
    try {
      await writeFile('/proc/sys/kernel/hostname', name);
      return { argv, exitCode: 0, stdout: '', stderr: '', timedOut: false };
    } catch (err) {
      return { argv, exitCode: 1, stdout: '', stderr: (err as Error).message, timedOut: false };
    }
  }

  async spawnDaemon(argv: string[], logFile: string): Promise<DaemonProcess> {
    const out = await open(logFile, 'a', 0o640);
    try {
      // own process group: a signal to the agent's group must not take the daemons down
      const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', out.fd, out.fd], detached: true });
      const exited = new Promise<{ code: number | null; signal: string | null; error?: string }>((resolve) => {
        child.once('error', (err) => resolve({ code: null, signal: null, error: err.message }));
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      return { pid: child.pid ?? -1, exited, unref: () => child.unref() };
    } finally {
      await out.close();
    }
  }

  signal(pid: number, signal: NodeJS.Signals | 0): boolean {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  async commandLine(pid: number): Promise<string> {
    try {
      return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
    } catch {
      return '';
    }
  }

  now(): number {
    return Date.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }
}
