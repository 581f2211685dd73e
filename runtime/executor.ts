// Carries out a plan, step by step, through the host port: the checks first
// (a failure applies nothing), then the changes, stopping at the first failure
// with everything needed to explain it: the step, its command, exit code, stderr.
// Neighbouring steps of a parallel phase run together.

import type { RenderedFile } from '../features/kit/feature.ts';
import type { RootLayout } from '../features/kit/layout.ts';
import { FIREWALL_ALONGSIDE, PARALLEL_PHASES, type Phase, type Plan, type Step, tmpDirToken } from '../features/kit/step.ts';
import { formatStep } from '../handlers/plan/format.ts';
import { checkSteps } from '../handlers/plan/plan.ts';
import type { HostPort } from './host/port.ts';
import type { Services } from './services.ts';
import { DaemonError } from './supervisor.ts';

export interface StepFailure {
  index: number;
  step: string;
  argv: string[];
  exitCode: number | null;
  stderr: string;
}

export class ApplyError extends Error {
  constructor(readonly failure: StepFailure) {
    super(`step ${failure.index} (${failure.step}) failed`);
  }
}

export interface CheckFailure {
  checker: string;
  argv: string[];
  exitCode: number | undefined;
  stderr: string;
}

/** The rendered files failed a daemon's own checker: nothing was applied. */
export class CheckError extends Error {
  constructor(readonly failures: CheckFailure[]) {
    super(`checks failed: ${failures.map((f) => f.checker).join(', ')}`);
  }
}

export interface ExecContext {
  host: HostPort;
  layout: RootLayout;
  services: Services;
}

export interface ExecStats {
  filesWritten: number;
  restarts: number;
  reloads: number;
  /** reloads owed rather than sent, throttled by their daemon's minReloadIntervalMs */
  deferredReloads: number;
  iptablesReloads: number;
  /** gratuitous ARPs to send once the apply has answered */
  announcements: Extract<Step, { kind: 'announce' }>[];
  /** wall time per phase, ms (where an apply spends its time) */
  phaseMs: Record<string, number>;
}

/** Short name of a step, for errors and logs. */
export function describe(step: Step): string {
  switch (step.kind) {
    case 'write-file':
      return `write-file ${step.path}`;
    case 'run':
      return `run ${step.reason}`;
    case 'daemon':
      return `daemon ${step.name} ${step.action}`;
    case 'signal':
      return `signal ${step.name} ${step.signal}`;
    case 'check':
      return `check ${step.checker}`;
    default:
      return formatStep(step);
  }
}

function fail(index: number, step: Step, argv: string[], exitCode: number | null, stderr: string): never {
  throw new ApplyError({ index, step: describe(step), argv, exitCode, stderr: stderr.trim().slice(0, 4000) });
}

/** Runs one check step in a fresh temporary directory; null when it passed. */
export async function runCheck(host: HostPort, tmpBase: string, step: Extract<Step, { kind: 'check' }>): Promise<CheckFailure | null> {
  const tmp = step.files?.length ? await host.tempDir(tmpBase) : null;
  try {
    for (const f of step.files ?? []) await host.writeFile(`${tmp?.dir}/${f.name}`, f.content, 0o600, { scratch: true });
    const argv = step.argv.map((a) => (tmp ? a.replaceAll(tmpDirToken, tmp.dir) : a));
    // at a lower CPU priority: a liveness probe's listing need not wait behind the checkers
    const r = await host.run(argv, { input: step.input, timeoutMs: 20_000, background: true });
    if (r.exitCode === 0) return null;
    return { checker: step.checker, argv, exitCode: r.exitCode, stderr: (r.stderr || r.stdout).slice(0, 4000) };
  } finally {
    await tmp?.remove();
  }
}

async function runStep(ctx: ExecContext, step: Step, index: number, stats: ExecStats): Promise<void> {
  const { host, layout, services } = ctx;
  switch (step.kind) {
    case 'check':
      return;
    case 'write-file':
      await host.writeFile(layout.file(step.path), step.content, step.mode);
      stats.filesWritten += 1;
      return;
    case 'sysctl':
      try {
        await host.writeSysctl(step.key, step.value);
      } catch (err) {
        fail(index, step, ['write', `/proc/sys/${step.key}`], null, (err as Error).message);
      }
      return;
    case 'hostname': {
      const r = await host.setHostname(step.name);
      if (r.exitCode !== 0) fail(index, step, r.argv, r.exitCode, r.stderr);
      return;
    }
    case 'run': {
      const r = await host.run(step.argv, { input: step.input, timeoutMs: 30_000 });
      const output = `${r.stdout}${r.stderr}`;
      const exitOk = step.okExit === 'any' || (step.okExit ?? [0]).includes(r.exitCode);
      if (!exitOk || (step.expect && !new RegExp(step.expect).test(output))) fail(index, step, step.argv, r.exitCode, r.stderr || r.stdout);
      if (step.counts === 'firewall') stats.iptablesReloads += 1;
      if (step.counts === 'reload') stats.reloads += 1;
      return;
    }
    case 'daemon': {
      const daemon = services.daemon(step.name);
      if (step.action === 'stop') await daemon.stop();
      else if (step.action === 'start') await daemon.start(step.argv);
      else await daemon.restart(step.argv);
      if (step.action !== 'stop') stats.restarts += 1;
      return;
    }
    case 'signal':
      // throttled by the daemon's minReloadIntervalMs: a deferred reload is owed, sent after the answer
      if (services.daemon(step.name).reload(step.signal) === 'deferred') stats.deferredReloads += 1;
      stats.reloads += 1;
      return;
    case 'metadata':
      await services.applyMetadata(step.table);
      stats.reloads += 1;
      return;
    case 'announce':
      // an announcement, not a change: sent after the answer, it cannot fail the apply
      stats.announcements.push(step);
      return;
  }
}

/** Every failure of a step, expected or not (disk full, a daemon gone), becomes an ApplyError naming it. */
async function runStepOrFail(ctx: ExecContext, step: Step, index: number, stats: ExecStats): Promise<void> {
  try {
    await runStep(ctx, step, index, stats);
  } catch (err) {
    if (err instanceof ApplyError) throw err;
    if (err instanceof DaemonError) fail(index, step, err.argv, null, `${err.reason}\n${err.stderr}`);
    fail(index, step, [], null, (err as Error)?.message ?? String(err));
  }
}

/** Neighbouring steps of one parallel phase, but never two actions on one service at once. */
function batches(steps: Step[]): { index: number; step: Step }[][] {
  const service = (s: Step) =>
    s.kind === 'daemon' || s.kind === 'signal'
      ? s.name
      : s.kind === 'metadata'
        ? 'metadata'
        : s.kind === 'run'
          ? (s.service ?? null)
          : null;
  const out: { index: number; step: Step }[][] = [];
  steps.forEach((step, index) => {
    const last = out.at(-1);
    const head = last?.[0]?.step;
    const name = service(step);
    const joins =
      head !== undefined &&
      head.phase === step.phase &&
      PARALLEL_PHASES.has(step.phase) &&
      (name === null || !last?.some((x) => service(x.step) === name));
    if (joins && last) last.push({ index, step });
    else out.push([{ index, step }]);
  });
  return out;
}

/** Runs the plan's checks, all together; throws CheckError when any failed. */
export async function runChecks(plan: Plan, host: HostPort, tmpBase: string): Promise<void> {
  const checks = plan.steps.filter((s): s is Extract<Step, { kind: 'check' }> => s.kind === 'check');
  const failures = (await Promise.all(checks.map((c) => runCheck(host, tmpBase, c)))).filter((f): f is CheckFailure => f !== null);
  if (failures.length) throw new CheckError(failures);
}

/** The plan's changes (its checks are run by runChecks, before). */
export async function execute(plan: Plan, ctx: ExecContext): Promise<ExecStats> {
  const stats: ExecStats = {
    filesWritten: 0,
    restarts: 0,
    reloads: 0,
    deferredReloads: 0,
    iptablesReloads: 0,
    announcements: [],
    phaseMs: {},
  };
  const runBatch = async (batch: Batch) => {
    const started = performance.now();
    const results = await Promise.allSettled(batch.map(({ index, step }) => runStepOrFail(ctx, step, index, stats)));
    const phase = batch[0]?.step.phase ?? '';
    stats.phaseMs[phase] = Math.round(((stats.phaseMs[phase] ?? 0) + performance.now() - started) * 10) / 10;
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  };
  for (const lanes of stages(batches(plan.steps))) {
    // each lane in order, the lanes side by side; every lane settles before the next stage
    const results = await Promise.allSettled(
      lanes.map(async (lane) => {
        for (const batch of lane) await runBatch(batch);
      }),
    );
    // the first failing step in plan order is the one reported
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    failures.sort((a, b) => (a instanceof ApplyError ? a.failure.index : 0) - (b instanceof ApplyError ? b.failure.index : 0));
    if (failures.length) throw failures[0];
  }
  return stats;
}

type Batch = { index: number; step: Step }[];

/** Batches grouped into stages of lanes: the firewall's batch alongside the links, addresses and routes before it. */
function stages(list: Batch[]): Batch[][][] {
  const out: Batch[][][] = [];
  const phase = (b: Batch) => b[0]?.step.phase as Phase;
  for (const b of list) {
    const last = out.at(-1);
    const lane = last?.length === 1 ? last[0] : undefined;
    const network = lane?.every((x) => FIREWALL_ALONGSIDE.has(phase(x))) === true;
    if (network && FIREWALL_ALONGSIDE.has(phase(b))) lane.push(b);
    else if (network && last && phase(b) === 'firewall') last.push([b]);
    else out.push([[b]]);
  }
  return out;
}

/** Every check of a rendered file set, as if all its files changed; the failures (empty when all passed). */
export async function checkRendered(host: HostPort, files: RenderedFile[], tmpBase: string): Promise<CheckFailure[]> {
  const plan = { steps: checkSteps(files, new Set(files.map((f) => f.path))) };
  try {
    await runChecks(plan, host, tmpBase);
    return [];
  } catch (err) {
    if (err instanceof CheckError) return err.failures;
    throw err;
  }
}
