// Shared helpers for the agent's integration tests (runtime/agent.test.ts,
// runtime/server.test.ts): a lab of network namespaces, the agent as a child
// process inside the router namespace, and an HTTP client (curl) that calls it
// from the management namespace, as the orchestrator would.
//
// Topology (namespace names unique to the test process, see test/netns.ts):
//
//   M (orchestrator)  m0 fdca:3ba5:a17a:acda::1/64  <->  eth0 (ge0) in R, management address
//   E (upstream)      e0 172.24.4.1/24, 2001:db8::2/64  <->  eth1 (ge1) in R, external
//   T (tenant VM)     t0 10.0.0.3/24  <->  eth2 (ge2) in R, internal
//
// The veths are created in that order inside R, so R's ifindex order is
// eth0 < eth1 < eth2 and the agent names them ge0, ge1, ge2. No traffic ever
// leaves these namespaces.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { uniqueName } from './netns.ts';

export const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The seed payloads' management address (networks[0].interface.addresses[0] of seed-example). */
export const MGMT_ADDR = 'fdca:3ba5:a17a:acda:f816:3eff:fefd:e6f1';
export const ORCH_ADDR = 'fdca:3ba5:a17a:acda::1';
export const EXT_GATEWAY_V4 = '172.24.4.1';
export const EXT_GATEWAY_V6 = '2001:db8::2';
export const VM_V4 = '10.0.0.3';

/** MACs of R's NICs, as the kernel reports them (lowercase). */
export const MACS = { eth0: 'fa:16:3e:fd:e6:f1', eth1: 'fa:16:3e:00:00:11', eth2: 'fa:16:3e:00:00:22' } as const;

// ---------------------------------------------------------------------------
// Small utilities

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until check() returns a truthy value; throws with `what` and the last value on timeout. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await sleep(intervalMs);
  }
}

/** A deep copy of a golden case's PUT body (test/cases/<name>/input.json). */
// biome-ignore lint/suspicious/noExplicitAny: payloads are edited freely by the tests
export function payload(name: string): any {
  return JSON.parse(readFileSync(path.join(REPO, 'test', 'cases', name, 'input.json'), 'utf8'));
}

export async function sh(argv: string[], input?: string) {
  return execa(argv[0] as string, argv.slice(1), { reject: false, input, stripFinalNewline: false, timeout: 30_000 });
}

/** Runs a command and throws with its stderr when it fails. */
export async function must(argv: string[], input?: string): Promise<string> {
  const r = await sh(argv, input);
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} failed (${r.exitCode}): ${String(r.stderr).trim()}`);
  return String(r.stdout);
}

// ---------------------------------------------------------------------------
// The lab

export interface Lab {
  /** router, orchestrator, external upstream, tenant namespaces */
  r: string;
  m: string;
  e: string;
  t: string;
  /** scratch directory for agent roots, logs and curl files */
  dir: string;
  /** runs argv inside a namespace */
  inNs(ns: string, argv: string[], input?: string): Promise<string>;
  /** removes everything: processes in the namespaces, namespaces, scratch directory */
  destroy(): Promise<void>;
}

async function killNamespacePids(ns: string): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const r = await sh(['ip', 'netns', 'pids', ns]);
    const pids = String(r.stdout)
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((p) => Number.isInteger(p) && p > 1 && p !== process.pid);
    if (pids.length === 0) return;
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

/** Namespaces of labs not destroyed yet, removed synchronously if the run is interrupted. */
const liveNamespaces = new Set<string>();
let signalHandlers = false;

function installSignalCleanup(): void {
  if (signalHandlers) return;
  signalHandlers = true;
  const cleanup = (signal: NodeJS.Signals) => {
    for (const ns of liveNamespaces) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
        for (const pid of pids) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone
          }
        }
        execFileSync('ip', ['netns', 'del', ns]);
      } catch {
        // best effort
      }
    }
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', cleanup);
  process.once('SIGTERM', cleanup);
}

export async function createLab(): Promise<Lab> {
  installSignalCleanup();
  const r = uniqueName('R');
  const m = uniqueName('M');
  const e = uniqueName('E');
  const t = uniqueName('T');
  const created: string[] = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agent-lab-'));
  const destroy = async () => {
    for (const ns of created) await killNamespacePids(ns);
    for (const ns of created) {
      await sh(['ip', 'netns', 'del', ns]);
      liveNamespaces.delete(ns);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const ns of [r, m, e, t]) {
      await must(['ip', 'netns', 'add', ns]);
      created.push(ns);
      liveNamespaces.add(ns);
      await must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const veth = async (ifname: string, mac: string, peer: string, peerNs: string) => {
      await must(['ip', '-n', r, 'link', 'add', ifname, 'address', mac, 'type', 'veth', 'peer', 'name', peer, 'netns', peerNs]);
      await must(['ip', '-n', peerNs, 'link', 'set', peer, 'up']);
    };
    await veth('eth0', MACS.eth0, 'm0', m);
    await veth('eth1', MACS.eth1, 'e0', e);
    await veth('eth2', MACS.eth2, 't0', t);
    // the management NIC works before any configuration (as after configure-management)
    await must(['ip', '-n', r, 'link', 'set', 'eth0', 'up']);
    await must(['ip', '-n', r, 'address', 'add', `${MGMT_ADDR}/64`, 'nodad', 'dev', 'eth0']);
    await must(['ip', '-n', m, 'address', 'add', `${ORCH_ADDR}/64`, 'nodad', 'dev', 'm0']);
    await must(['ip', '-n', e, 'address', 'add', `${EXT_GATEWAY_V4}/24`, 'dev', 'e0']);
    await must(['ip', '-n', e, 'address', 'add', `${EXT_GATEWAY_V6}/64`, 'nodad', 'dev', 'e0']);
    await must(['ip', '-n', t, 'address', 'add', `${VM_V4}/24`, 'dev', 't0']);
    await must(['ip', '-n', t, 'route', 'add', 'default', 'via', '10.0.0.1']);
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    r,
    m,
    e,
    t,
    dir,
    inNs: (ns, argv, input) => must(['ip', 'netns', 'exec', ns, ...argv], input),
    destroy,
  };
}

/** Creates a lab, runs fn, and always destroys the lab. */
export async function withLab<T>(fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await createLab();
  try {
    return await fn(lab);
  } finally {
    await lab.destroy();
  }
}

// ---------------------------------------------------------------------------
// The agent as a child process in R

export interface AgentProcess {
  root: string;
  port: number;
  logFile: string;
  pid: number;
  /** SIGTERM and wait (SIGKILL after 10 s) */
  stop(): Promise<void>;
  /** SIGKILL and wait */
  kill(): Promise<void>;
  /** the agent's log, for assertion messages */
  log(): string;
  exited(): boolean;
}

export interface StartOptions {
  /** an existing root to reuse (restart); a fresh mkdtemp directory otherwise */
  root?: string;
  port?: number;
  statusTargets?: string[];
  /** wait until GET /v1/ answers (default true) */
  waitReady?: boolean;
}

let agentCounter = 0;

export async function newRoot(lab: Lab): Promise<string> {
  return mkdtemp(path.join(lab.dir, 'root-'));
}

export async function startAgent(lab: Lab, opts: StartOptions = {}): Promise<AgentProcess> {
  const root = opts.root ?? (await newRoot(lab));
  const port = opts.port ?? 5000;
  agentCounter += 1;
  const logFile = path.join(lab.dir, `agent-${port}-${agentCounter}.log`);
  const fd = openSync(logFile, 'a');
  const args = ['netns', 'exec', lab.r, 'unshare', '--uts', process.execPath, 'scripts/appliance.mjs', 'serve'];
  args.push('--root', root, '--listen', `[${MGMT_ADDR}]:${port}`);
  for (const target of opts.statusTargets ?? []) args.push('--status-target', target);
  // execa's types only admit descriptors 3..9 by number; any open descriptor works at run time
  const out = fd as 3;
  const spawnAgent = () => {
    try {
      return execa('ip', args, { cwd: REPO, stdio: ['ignore', out, out], reject: false, cleanup: true });
    } finally {
      // the child has its own copy of the log's descriptor once spawned
      closeSync(fd);
    }
  };
  const child = spawnAgent();
  let done = false;
  const finished = child.then(() => {
    done = true;
  });
  const pid = child.pid as number;
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const waitExit = async (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    return done;
  };
  const agent: AgentProcess = {
    root,
    port,
    logFile,
    pid,
    log,
    exited: () => done,
    async stop() {
      if (done) return;
      child.kill('SIGTERM');
      if (!(await waitExit(10_000))) {
        child.kill('SIGKILL');
        await waitExit(5000);
      }
    },
    async kill() {
      if (done) return;
      child.kill('SIGKILL');
      await waitExit(5000);
    },
  };
  if (opts.waitReady !== false) {
    try {
      const state = await waitFor(
        `the agent on port ${port} to answer`,
        async () => {
          if (done) return 'exited';
          const r = await request(lab, 'GET', '/v1/', { port, timeoutS: 2 });
          return r.status === 200 ? 'ready' : null;
        },
        20_000,
        100,
      );
      if (state === 'exited') throw new Error('the agent exited during start-up');
    } catch (err) {
      await agent.kill();
      throw new Error(`${(err as Error).message}\n--- agent log ---\n${log().slice(-3000)}`);
    }
  }
  return agent;
}

// ---------------------------------------------------------------------------
// HTTP from the orchestrator's namespace

export interface Reply {
  status: number;
  /** lowercase names; the last response block (after any 100 Continue) */
  headers: Record<string, string>;
  body: string;
  /** seconds, as curl measured them */
  seconds: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected freely
  json(): any;
}

export interface RequestOptions {
  port?: number;
  /** request body (string or Buffer) */
  body?: string | Buffer;
  /** the Content-Type header; null sends none; default application/json when there is a body */
  contentType?: string | null;
  /** send the body chunked, without Content-Length */
  chunked?: boolean;
  timeoutS?: number;
}

let requestCounter = 0;

export async function request(lab: Lab, method: string, urlPath: string, opts: RequestOptions = {}): Promise<Reply> {
  requestCounter += 1;
  const base = path.join(lab.dir, `curl-${process.pid}-${requestCounter}`);
  const headerFile = `${base}.h`;
  const bodyFile = `${base}.b`;
  const args = ['netns', 'exec', lab.m, 'curl', '-sS', '-g', '--max-time', String(opts.timeoutS ?? 60)];
  // like the orchestrator's client: no Expect: 100-continue; HEAD reads no body
  args.push('-D', headerFile, '-o', method === 'HEAD' ? '/dev/null' : bodyFile, '-w', '%{http_code} %{time_total}', '-H', 'Expect:');
  if (method === 'HEAD') args.push('-I');
  else args.push('-X', method);
  if (opts.body !== undefined) {
    const inFile = `${base}.in`;
    await writeFile(inFile, opts.body);
    args.push('--data-binary', `@${inFile}`);
    const type = opts.contentType === undefined ? 'application/json' : opts.contentType;
    args.push('-H', type === null ? 'Content-Type:' : `Content-Type: ${type}`);
    if (opts.chunked) args.push('-H', 'Transfer-Encoding: chunked');
  } else if (opts.contentType) {
    args.push('-H', `Content-Type: ${opts.contentType}`);
  }
  args.push(`http://[${MGMT_ADDR}]:${opts.port ?? 5000}${urlPath}`);
  try {
    const r = await sh(['ip', ...args]);
    const [code, seconds] = String(r.stdout).trim().split(' ');
    const status = Number(code);
    if (r.exitCode !== 0 && !status) throw new Error(`curl ${method} ${urlPath} failed: ${String(r.stderr).trim()}`);
    const rawHeaders = existsSync(headerFile) ? await readFile(headerFile, 'latin1') : '';
    const blocks = rawHeaders.split(/\r?\n\r?\n/).filter((b) => b.trim());
    const headers: Record<string, string> = {};
    for (const line of (blocks[blocks.length - 1] ?? '').split(/\r?\n/).slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const body = existsSync(bodyFile) ? await readFile(bodyFile, 'utf8') : '';
    return {
      status,
      headers,
      body,
      seconds: Number(seconds),
      json: () => {
        try {
          return JSON.parse(body);
        } catch {
          throw new Error(`${method} ${urlPath} answered ${status} with a body that is not JSON: ${body.slice(0, 500)}`);
        }
      },
    };
  } finally {
    await Promise.all([headerFile, bodyFile, `${base}.in`].map((f) => rm(f, { force: true })));
  }
}

/** PUT /v1/system/config with a JSON body. */
export function putConfig(lab: Lab, body: unknown, opts: { port?: number; dryRun?: boolean } = {}): Promise<Reply> {
  const suffix = opts.dryRun ? '?dry_run=1' : '';
  return request(lab, 'PUT', `/v1/system/config${suffix}`, { port: opts.port, body: JSON.stringify(body) });
}

// ---------------------------------------------------------------------------
// Host state in R

interface IpAddr {
  ifname: string;
  addr_info?: { local: string; prefixlen: number; family: string }[];
  mtu: number;
  flags?: string[];
}

/** Global addresses (CIDR) of a link in R, sorted; link-local ones left out. */
export async function addresses(lab: Lab, ifname: string): Promise<string[]> {
  const links = JSON.parse(await must(['ip', '-n', lab.r, '-j', 'address', 'show', 'dev', ifname])) as IpAddr[];
  return (links[0]?.addr_info ?? [])
    .filter((a) => !a.local.startsWith('fe80:'))
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
}

export async function link(lab: Lab, ifname: string): Promise<{ mtu: number; up: boolean }> {
  const links = JSON.parse(await must(['ip', '-n', lab.r, '-j', 'link', 'show', 'dev', ifname])) as IpAddr[];
  const l = links[0] as IpAddr;
  return { mtu: l.mtu, up: (l.flags ?? []).includes('UP') };
}

/** Routes of R's main table as "dst via gw dev X proto P" strings, sorted. */
export async function routes(lab: Lab, family: 4 | 6): Promise<string[]> {
  const raw = JSON.parse(await must(['ip', '-n', lab.r, '-j', `-${family}`, 'route', 'show', 'table', 'main'])) as {
    dst: string;
    gateway?: string;
    dev?: string;
    protocol?: string;
  }[];
  return raw
    .map((x) =>
      [x.dst, x.gateway ? `via ${x.gateway}` : '', x.dev ? `dev ${x.dev}` : '', x.protocol ? `proto ${x.protocol}` : '']
        .filter(Boolean)
        .join(' '),
    )
    .sort();
}

/** pids of processes in R by command name (dnsmasq, bird6, node, ...). */
export async function processes(lab: Lab): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  const r = await sh(['ip', 'netns', 'pids', lab.r]);
  for (const text of String(r.stdout).split(/\s+/).filter(Boolean)) {
    const pid = Number(text);
    let comm: string;
    try {
      comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
      const st = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ')[0];
      if (st === 'Z') continue; // zombies are not running daemons
    } catch {
      continue;
    }
    const list = out[comm] ?? [];
    list.push(pid);
    out[comm] = list;
  }
  return out;
}

export async function daemonPids(lab: Lab): Promise<{ dnsmasq: number[]; bird6: number[] }> {
  const p = await processes(lab);
  return { dnsmasq: (p.dnsmasq ?? []).sort(), bird6: (p.bird6 ?? []).sort() };
}

export interface FileState {
  mtimeMs: number;
  sha256: string;
}

/** Every file under <root>/<sub> (default etc), relative to the root. */
export async function files(root: string, sub = 'etc'): Promise<Record<string, FileState>> {
  const out: Record<string, FileState> = {};
  const walk = async (dir: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        const st = await stat(full);
        const content = await readFile(full);
        out[path.relative(root, full)] = { mtimeMs: st.mtimeMs, sha256: createHash('sha256').update(content).digest('hex') };
      }
    }
  };
  await walk(path.join(root, sub));
  return out;
}

/** iptables-save / ip6tables-save output of R without comments and counters. */
export async function rules(lab: Lab, family: 4 | 6): Promise<string> {
  const out = await lab.inNs(lab.r, [family === 4 ? 'iptables-save' : 'ip6tables-save']);
  return out
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]$/, '[*]'))
    .join('\n');
}

/** Sum of the packet counters of every rule and chain policy of one family in R. */
export async function packetCount(lab: Lab, family: 4 | 6): Promise<number> {
  const out = await lab.inNs(lab.r, [family === 4 ? 'iptables-save' : 'ip6tables-save', '-c']);
  let total = 0;
  for (const m of out.matchAll(/^\[(\d+):\d+\]/gm)) total += Number(m[1]);
  return total;
}

// ---------------------------------------------------------------------------
// Test scaffolding

/** The agent's JSON log lines, parsed; lines that are not JSON (a crash trace) are kept as {raw}. */
export function logEvents(agent: AgentProcess): Record<string, unknown>[] {
  return agent
    .log()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { raw: l };
      }
    });
}

/** Appends the tail of the agent's log to an error's message, for a failing assertion. */
export function withLogTail(err: unknown, agent: AgentProcess | null): unknown {
  if (agent && err instanceof Error && !err.message.includes('--- agent log')) {
    err.message += `\n--- agent log (tail) ---\n${agent.log().slice(-2500)}`;
  }
  return err;
}

/** A lab with one agent started in it; both are removed afterwards, whatever happens. */
export async function withAgent<T>(opts: StartOptions, fn: (lab: Lab, agent: AgentProcess) => Promise<T>): Promise<T> {
  return withLab(async (lab) => {
    const agent = await startAgent(lab, opts);
    try {
      return await fn(lab, agent);
    } catch (err) {
      throw withLogTail(err, agent);
    } finally {
      await agent.stop();
    }
  });
}

/** Runs fn once, on first use; later callers share its promise (and its failure). */
export function lazy<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => {
    p ??= fn();
    return p;
  };
}
