// The plan as text, one line per step: what a dry run answers with
// `Accept: text/plain`, what `appliance plan` prints and what the logs and
// tests compare. Every command appears as the argv the executor will run.
import type { Plan, Step } from '../../features/kit/step.ts';

const quote = (arg: string) => (/^[\w@%+=:,./{}-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
export const argvText = (argv: readonly string[]) => argv.map(quote).join(' ');
const inputText = (input: string) => input.trimEnd().split('\n').join('; ');

export function formatStep(s: Step): string {
  switch (s.kind) {
    case 'check':
      return `check ${s.checker}: ${argvText(s.argv)}${s.input !== undefined ? ` < (${Buffer.byteLength(s.input)} bytes)` : ''}`;
    case 'write-file':
      return `write ${s.path} mode ${s.mode.toString(8).padStart(4, '0')} (${Buffer.byteLength(s.content)} bytes, sha256 ${s.digest.slice(0, 12)})`;
    case 'hostname':
      return `hostname ${s.name}`;
    case 'sysctl':
      return `sysctl ${s.key}=${s.value}`;
    case 'run':
      return `run ${s.reason}: ${argvText(s.argv)}${s.input !== undefined ? ` <<< ${inputText(s.input)}` : ''}`;
    case 'daemon':
      return `daemon ${s.name} ${s.action}${s.action === 'stop' ? '' : `: ${argvText(s.argv)}`}`;
    case 'signal':
      return `signal ${s.name} ${s.signal}`;
    case 'metadata':
      return `metadata listeners ${s.table.listeners.map((l) => `${l.ifname}=${l.listen_address}:${l.listen_port}`).join(' ') || '(none)'}`;
    case 'announce':
      return `announce ${argvText(s.argv)}`;
  }
}

export function formatPlan(plan: Plan): string {
  return plan.steps.map((s) => `${s.phase.padEnd(12)} ${formatStep(s)}\n`).join('');
}

/** A plan as a JSON dry run shows it: file contents replaced by their size. */
export function printablePlan(plan: Plan) {
  return plan.steps.map((s) => {
    if (s.kind === 'write-file') return { phase: s.phase, kind: s.kind, path: s.path, bytes: Buffer.byteLength(s.content), mode: s.mode };
    if (s.kind === 'check') {
      return {
        ...s,
        input: s.input === undefined ? undefined : { bytes: Buffer.byteLength(s.input) },
        files: s.files?.map((f) => ({ name: f.name, bytes: Buffer.byteLength(f.content) })),
      };
    }
    return s;
  });
}
