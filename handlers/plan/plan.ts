// The plan: ordered steps that bring the host from what the facts say to what
// the model wants, and nothing more. Each feature contributes its part; the
// checks of changed files come first, then steps in phase order.
import type { Facts } from '../../features/kit/facts.ts';
import type { CheckSpec, Feature, PlanInput, RenderedFile } from '../../features/kit/feature.ts';
import { type RootLayout, rootLayout } from '../../features/kit/layout.ts';
import { PHASES, type Plan, type Step } from '../../features/kit/step.ts';
import { FEATURES } from '../../features/registry.ts';
import type { Model } from '../../schema/model.ts';

export type { Plan, Step } from '../../features/kit/step.ts';

export interface PlanOptions {
  /** re-load rules and services even if their files are unchanged (start-up convergence, after a failure) */
  force?: boolean;
  /** the configuration the agent last applied or tried to: what it may have put on NICs the new one drops */
  previous?: Model | null;
  /** the agent's root, for the paths in argv (default: the production root) */
  root?: string | RootLayout;
  features?: readonly Feature[];
}

export const DEFAULT_ROOT = '/var/lib/appliance';

/** The daemons' checks of the changed files, as plan steps. */
export function checkSteps(files: readonly RenderedFile[], changed: ReadonlySet<string>, features: readonly Feature[] = FEATURES): Step[] {
  const out: Step[] = [];
  for (const f of features) {
    if (!f.checks || !f.paths.some((p) => changed.has(p))) continue;
    const own = new Map(files.filter((x) => x.feature === f.name).map((x) => [x.path, x.content]));
    out.push(...f.checks(own, changed).map((c: CheckSpec): Step => ({ phase: 'check', kind: 'check', ...c })));
  }
  return out;
}

export function planConfiguration(model: Model, files: readonly RenderedFile[], facts: Facts, options: PlanOptions = {}): Plan {
  const features = options.features ?? FEATURES;
  const layout = typeof options.root === 'object' ? options.root : rootLayout(options.root ?? DEFAULT_ROOT);
  const changed = new Set(files.filter((f) => facts.files[f.path] !== f.digest).map((f) => f.path));
  const foreign = new Set(features.flatMap((f) => f.ownedAddresses?.(model) ?? []).map((a) => a.address));
  const input: PlanInput = {
    model,
    facts,
    layout,
    force: options.force === true,
    previous: options.previous ?? null,
    files,
    changed,
    links: new Map(facts.links.map((l) => [l.ifname, l])),
    foreign,
    shared: { shakenLinks: new Set(), removedAddresses: [] },
  };
  const steps: Step[] = [
    ...checkSteps(files, changed, features),
    ...files
      .filter((f) => changed.has(f.path))
      .map((f): Step => ({ phase: 'files', kind: 'write-file', path: f.path, content: f.content, mode: f.mode, digest: f.digest })),
  ];
  for (const f of features) steps.push(...(f.plan?.(input) ?? []));
  const rank = new Map(PHASES.map((p, i) => [p, i]));
  // a stable sort: order within a phase is the features' order
  steps.sort((a, b) => (rank.get(a.phase) ?? 0) - (rank.get(b.phase) ?? 0));
  return { steps: fuseIpBatches(steps) };
}

type RunStep = Extract<Step, { kind: 'run' }>;

/** a plain `ip -batch -`: it stops at the first line that fails, and that fails the step */
const strictIpBatch = (s: Step): s is RunStep =>
  s.kind === 'run' &&
  s.argv.length === 3 &&
  s.argv.join(' ') === 'ip -batch -' &&
  s.okExit === undefined &&
  s.expect === undefined &&
  s.counts === undefined &&
  s.service === undefined;

/**
 * Neighbouring strict `ip -batch -` runs (the links and addresses, then the routes that need them)
 * are one process: ip runs the lines in order and stops at the first that fails, as the two runs
 * would, and a failure fails the step either way (the apply is rolled back). The host pays for one
 * process instead of two. The step keeps the first one's phase.
 */
export function fuseIpBatches(steps: readonly Step[]): Step[] {
  const out: Step[] = [];
  for (const s of steps) {
    const prev = out.at(-1);
    if (prev && strictIpBatch(prev) && strictIpBatch(s)) {
      const first = prev.input ?? '';
      const joined = first === '' || first.endsWith('\n') ? first : `${first}\n`;
      out[out.length - 1] = { ...prev, reason: `${prev.reason} + ${s.reason}`, input: `${joined}${s.input ?? ''}` };
    } else out.push(s);
  }
  return out;
}

export function summarise(plan: Plan): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of plan.steps) {
    const key =
      s.kind === 'daemon'
        ? `daemon:${s.name}:${s.action}`
        : s.kind === 'signal'
          ? `signal:${s.name}`
          : s.kind === 'run'
            ? `run:${s.reason.split(' ')[0]}`
            : s.kind;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
