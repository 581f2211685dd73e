// Carries out a plan, step by step, stopping at the first failure with
// everything needed to explain it: the step, its command, exit code, stderr.
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plan, Step } from '../handlers/plan.ts';
import type { Host } from './host.ts';
import type { Logger } from './log.ts';
import type { RootPaths } from './paths.ts';
import type { Services } from './services.ts';
import { DaemonError } from './supervisor.ts';

export interface StepFailure {
  index: number;
  step: string; // kind and a short description
  argv: string[];
  exitCode: number | null;
  stderr: string;
}

export class ApplyError extends Error {
  constructor(readonly failure: StepFailure) {
    super(`step ${failure.index} (${failure.step}) failed`);
  }
}

export interface ExecContext {
  host: Host;
  paths: RootPaths;
  services: Services;
  log: Logger;
}

export interface ExecStats {
  filesWritten: number;
  restarts: number;
  reloads: number;
  iptablesReloads: number;
  /** gratuitous ARPs to send once the apply has answered */
  announcements: { ifname: string; address: string }[];
}

/** Atomic and durable: temp file in the same directory, fsync, rename, fsync the directory. */
export async function writeFileAtomic(file: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
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

export function describe(step: Step): string {
  switch (step.kind) {
    case 'write-file':
      return `write-file ${step.path}`;
    case 'sysctl':
      return `sysctl ${step.key}=${step.value}`;
    case 'ip-batch':
      return `ip-batch ${step.reason}`;
    case 'iptables-restore':
      return `iptables-restore v${step.family}`;
    case 'conntrack-flush':
      return `conntrack-flush ${step.address}`;
    case 'service':
      return `service ${step.name} ${step.action}`;
    case 'garp':
      return `garp ${step.address} on ${step.ifname}`;
    case 'hostname':
      return `hostname ${step.name}`;
  }
}

/** A test hook: a file under the root naming a step ("ip-batch routes") makes that step fail, once. */
async function injectedFailure(paths: RootPaths, step: Step): Promise<boolean> {
  if (!existsSync(paths.injectFailure)) return false;
  const wanted = (await readFile(paths.injectFailure, 'utf8')).trim();
  if (wanted === '' || !describe(step).startsWith(wanted)) return false;
  await rm(paths.injectFailure, { force: true });
  return true;
}

function fail(index: number, step: Step, argv: string[], exitCode: number | null, stderr: string): never {
  throw new ApplyError({ index, step: describe(step), argv, exitCode, stderr: stderr.trim().slice(0, 4000) });
}

async function runStep(ctx: ExecContext, step: Step, index: number, stats: ExecStats): Promise<void> {
  const { host, paths } = ctx;
  const check = async (argv: string[], input?: string) => {
    const r = await host.run(argv, { input });
    if (r.exitCode !== 0) fail(index, step, argv, r.exitCode, r.stderr || r.stdout);
  };
  switch (step.kind) {
    case 'write-file':
      await writeFileAtomic(paths.file(step.path), step.content, step.mode);
      stats.filesWritten += 1;
      return;
    case 'sysctl':
      try {
        await writeFile(`/proc/sys/${step.key}`, step.value);
      } catch (err) {
        fail(index, step, ['write', `/proc/sys/${step.key}`], null, (err as Error).message);
      }
      return;
    case 'ip-batch': {
      const input = `${step.commands.join('\n')}\n`;
      if (step.tolerant) {
        await host.run(['ip', '-force', '-batch', '-'], { input });
        return;
      }
      await check(['ip', '-batch', '-'], input);
      return;
    }
    case 'iptables-restore':
      await check([step.family === 4 ? 'iptables-restore' : 'ip6tables-restore', '-w', '5', paths.file(step.path)]);
      stats.iptablesReloads += 1;
      return;
    case 'conntrack-flush':
      // exit status 1 only means there was nothing to delete
      await host.run(['conntrack', '-D', '-d', step.address]);
      await host.run(['conntrack', '-D', '-q', step.address]);
      return;
    case 'garp':
      // an announcement, not a change: sent after the answer, it cannot fail the apply
      stats.announcements.push({ ifname: step.ifname, address: step.address });
      return;
    case 'hostname':
      await check(['hostname', step.name]);
      return;
    case 'service':
      await serviceStep(ctx, step, index, stats);
      return;
  }
}

async function serviceStep(ctx: ExecContext, step: Extract<Step, { kind: 'service' }>, index: number, stats: ExecStats) {
  const { services } = ctx;
  try {
    if (step.name === 'metadata') {
      await services.applyMetadata();
      stats.reloads += 1;
      return;
    }
    const daemon = step.name === 'dnsmasq' ? services.dnsmasq : services.bird6;
    switch (step.action) {
      case 'start':
        await daemon.start();
        stats.restarts += 1;
        return;
      case 'restart':
        await daemon.restart();
        stats.restarts += 1;
        return;
      case 'stop':
        await daemon.stop();
        return;
      case 'reload':
        stats.reloads += 1;
        if (step.name === 'dnsmasq') {
          daemon.signal('SIGHUP');
          return;
        }
        {
          const r = await services.reconfigureBird6(ctx.host);
          if (!r.ok) fail(index, step, r.argv, r.exitCode, r.output);
        }
        return;
    }
  } catch (err) {
    if (err instanceof ApplyError) throw err;
    if (err instanceof DaemonError) fail(index, step, err.argv, null, `${err.reason}\n${err.stderr}`);
    fail(index, step, [], null, (err as Error).message);
  }
}

/**
 * Steps that touch independent things run together when they are next to each
 * other in the plan: file writes, sysctls, the two firewall families, conntrack
 * flushes, and the actions of different services. Order between kinds stays.
 */
function batches(steps: Step[]): { index: number; step: Step }[][] {
  const parallel = new Set(['write-file', 'sysctl', 'iptables-restore', 'conntrack-flush', 'service', 'garp']);
  const out: { index: number; step: Step }[][] = [];
  steps.forEach((step, index) => {
    const last = out.at(-1);
    const head = last?.[0]?.step;
    const joins =
      head !== undefined &&
      head.kind === step.kind &&
      parallel.has(step.kind) &&
      (step.kind !== 'service' || !last?.some((x) => x.step.kind === 'service' && x.step.name === step.name));
    if (joins && last) last.push({ index, step });
    else out.push([{ index, step }]);
  });
  return out;
}

/** Every failure of a step, expected or not (disk full, a daemon gone), becomes an ApplyError naming it. */
async function runStepOrFail(ctx: ExecContext, step: Step, index: number, stats: ExecStats): Promise<void> {
  try {
    await runStep(ctx, step, index, stats);
  } catch (err) {
    if (err instanceof ApplyError) throw err;
    fail(index, step, [], null, (err as Error)?.message ?? String(err));
  }
}

export async function execute(plan: Plan, ctx: ExecContext): Promise<ExecStats> {
  const stats: ExecStats = { filesWritten: 0, restarts: 0, reloads: 0, iptablesReloads: 0, announcements: [] };
  for (const batch of batches(plan.steps)) {
    for (const { index, step } of batch) {
      if (await injectedFailure(ctx.paths, step)) fail(index, step, [], null, 'failure injected for testing');
    }
    const results = await Promise.allSettled(batch.map(({ index, step }) => runStepOrFail(ctx, step, index, stats)));
    // the first failing step in plan order is the one reported
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
  return stats;
}
