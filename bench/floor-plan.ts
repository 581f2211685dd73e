// The floor of a change: the planner's own steps between two configurations,
// turned into the fewest direct commands (one bash script, timed inside the
// router namespace with $EPOCHREALTIME), minus what the floor never runs: the
// daemons' checks, the agent's in-process metadata proxy, and the gratuitous
// ARPs it sends after answering. Pure: no process, no file; bench/floor-change.ts
// runs the script in a lab.
import type { DaemonSpec, Feature } from '../features/kit/feature.ts';
import type { RootLayout } from '../features/kit/layout.ts';
import type { Plan, Step } from '../features/kit/step.ts';
import { FEATURES } from '../features/registry.ts';

export interface FloorCommands {
  /** bash; prints one "label epoch-seconds" line per command, after a "start" line */
  script: string;
  /** the changed files, written before the script runs (the cold floor writes its files untimed too) */
  files: { path: string; content: string; mode: number }[];
  /** standard input of the commands that read it, by file name under the script's directory */
  inputs: { name: string; content: string }[];
  /** what the script runs, one label per command, in order */
  ran: string[];
  /** plan steps the floor does not run, by kind */
  skipped: Record<string, number>;
  /** processes the script starts (kill, read and echo are bash builtins) */
  spawns: number;
  ipCommands: number;
}

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const isIpBatch = (s: Step): s is Extract<Step, { kind: 'run' }> =>
  s.kind === 'run' && s.argv[0] === 'ip' && s.argv.at(-1) === '-' && s.argv.at(-2) === '-batch';

/** Neighbouring `ip [-force] -batch -` steps with the same argv and exit rule become one batch, in plan order. */
export function mergeIpBatches(steps: readonly Step[]): Step[] {
  const out: Step[] = [];
  for (const s of steps) {
    const last = out.at(-1);
    if (
      last &&
      isIpBatch(last) &&
      isIpBatch(s) &&
      last.argv.join(' ') === s.argv.join(' ') &&
      JSON.stringify(last.okExit) === JSON.stringify(s.okExit)
    ) {
      out[out.length - 1] = { ...last, reason: `${last.reason} + ${s.reason}`, input: `${last.input ?? ''}${s.input ?? ''}` };
    } else out.push(s);
  }
  return out;
}

function daemonSpec(features: readonly Feature[], name: string, layout: RootLayout): DaemonSpec {
  const spec = features.find((f) => f.daemon?.(layout).name === name)?.daemon?.(layout);
  if (!spec) throw new Error(`no feature declares the daemon ${name}`);
  return spec;
}

/** The floor's script for a plan made against the floor namespace's facts. */
export function floorCommands(plan: Plan, layout: RootLayout, dir: string, features: readonly Feature[] = FEATURES): FloorCommands {
  const body: string[] = [];
  const out: FloorCommands = { script: '', files: [], inputs: [], ran: [], skipped: {}, spawns: 0, ipCommands: 0 };
  const skip = (kind: string) => {
    out.skipped[kind] = (out.skipped[kind] ?? 0) + 1;
  };
  let polls = false;
  const command = (label: string, lines: string[], spawns: number) => {
    const code = 20 + out.ran.length;
    body.push(...lines.map((l) => l.replaceAll('{fail}', `exit ${code}`)), `echo ${q(label)} $EPOCHREALTIME`);
    out.ran.push(label);
    out.spawns += spawns;
  };
  const start = (spec: DaemonSpec) => [
    `rm -f ${[spec.readyFile, ...spec.staleFiles].map(q).join(' ')}`,
    `${spec.argv.map(q).join(' ')} >>${q(spec.logFile)} 2>&1 </dev/null &`,
    'pid=$!',
    `until [ -e ${q(spec.readyFile)} ]; do nap; kill -0 $pid 2>/dev/null || {fail}; done`,
  ];
  const stop = (spec: DaemonSpec) => [
    `read -r old <${q(spec.pidFile)} || {fail}`,
    'kill "$old" || {fail}',
    'while kill -0 "$old" 2>/dev/null; do nap; done',
  ];

  for (const step of mergeIpBatches(plan.steps)) {
    switch (step.kind) {
      case 'check': // the agent's safety net, not the change
      case 'metadata': // the agent's own in-process proxy
      case 'announce': // sent after the answer
        skip(step.kind);
        break;
      case 'write-file':
        out.files.push({ path: step.path, content: step.content, mode: step.mode });
        break;
      case 'hostname':
        // the floor namespace shares the machine's UTS namespace: never set its hostname
        throw new Error(`the floor cannot set the hostname (${step.name})`);
      case 'sysctl':
        // only a network namespace's own sysctls: the script runs inside it
        if (!step.key.startsWith('net/')) throw new Error(`the floor writes only net/ sysctls, not ${step.key}`);
        command(`sysctl ${step.key}`, [`echo ${q(step.value)} >/proc/sys/${step.key} || {fail}`], 0);
        break;
      case 'run': {
        const argv = step.argv.map(q).join(' ');
        let redirect = '';
        if (step.input !== undefined) {
          const name = `input-${out.inputs.length}`;
          out.inputs.push({ name, content: step.input });
          redirect = ` <${q(`${dir}/${name}`)}`;
        }
        if (isIpBatch(step)) out.ipCommands += (step.input ?? '').split('\n').filter((l) => l.trim()).length;
        const ok = step.okExit ?? [0];
        const lines = step.expect
          ? [`out=$(${argv}${redirect} 2>&1) || {fail}`, `re=${q(step.expect)}`, '[[ $out =~ $re ]] || {fail}']
          : ok === 'any'
            ? [`${argv}${redirect} || true`]
            : [`${argv}${redirect}`, `case $? in ${ok.join('|')}) ;; *) {fail} ;; esac`];
        command(`${step.argv[0]} (${step.reason})`, lines, 1);
        break;
      }
      case 'signal': {
        const spec = daemonSpec(features, step.name, layout);
        command(
          `kill -${step.signal.replace('SIG', '')} ${step.name}`,
          [`read -r pid <${q(spec.pidFile)} || {fail}`, `kill -${step.signal} "$pid" || {fail}`],
          0,
        );
        break;
      }
      case 'daemon': {
        const spec = daemonSpec(features, step.name, layout);
        polls ||= step.action !== 'stop';
        const lines = step.action === 'start' ? start(spec) : step.action === 'stop' ? stop(spec) : [...stop(spec), ...start(spec)];
        command(`${step.name} ${step.action}`, lines, step.action === 'stop' ? 0 : 1);
        break;
      }
    }
  }
  out.script = [
    '#!/bin/bash',
    '# the floor of a change: the planner\u2019s steps as direct commands',
    'set -u',
    // polling without a process: read -t on a descriptor nothing ever writes
    ...(polls ? ['exec {sfd}<> <(:)', 'nap() { read -r -t 0.002 -u "$sfd" || true; }'] : []),
    'echo start $EPOCHREALTIME',
    ...body,
    '',
  ].join('\n');
  return out;
}

/** Per-command times (ms) and the total from the script's output. */
export function floorTimes(stdout: string): { total_ms: number; parts: { label: string; ms: number }[] } {
  const marks = stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const at = line.lastIndexOf(' ');
      return { label: line.slice(0, at), t: Number(line.slice(at + 1)) * 1000 };
    });
  if (marks[0]?.label !== 'start' || marks.some((m) => !Number.isFinite(m.t))) {
    throw new Error(`unexpected floor output: ${stdout.slice(0, 500)}`);
  }
  const t = (i: number) => marks[i]?.t ?? Number.NaN;
  const parts = marks.slice(1).map((m, i) => ({ label: m.label, ms: m.t - t(i) }));
  return { total_ms: t(marks.length - 1) - t(0), parts };
}
