// The plan's unit: plain data carrying everything it needs (file contents,
// argv), so a dry run, the executor and the text dump show the same thing.
import type { MetadataTable } from '../../schema/model.ts';

/**
 * Where a step runs in the plan. The planner orders steps by phase (stable
 * within one), and the executor runs neighbouring steps of a parallel phase
 * together.
 */
export const PHASES = [
  'check', // the daemons' own checkers on the rendered files: a failure applies nothing
  'files',
  'system', // hostname
  'sysctl',
  'addresses', // links and addresses, deletes before adds
  'stale-routes',
  'routes',
  'firewall',
  'conntrack',
  'services',
  'announce', // sent after the answer, never failing the apply
] as const;
export type Phase = (typeof PHASES)[number];

/**
 * The firewall touches neither links, addresses nor routes: it loads while they change (the executor runs
 * the firewall phase alongside the run of these phases just before it), so new addresses wait less for
 * their rules. The conntrack flush and the services still come after both.
 */
export const FIREWALL_ALONGSIDE: ReadonlySet<Phase> = new Set(['addresses', 'stale-routes', 'routes']);

/** Phases whose neighbouring steps touch independent things. */
export const PARALLEL_PHASES: ReadonlySet<Phase> = new Set(['check', 'files', 'sysctl', 'firewall', 'conntrack', 'services', 'announce']);

/** A file a checker reads, written to a fresh temporary directory; "{tmp}" in argv names that directory. */
export interface TempFile {
  name: string;
  content: string;
}

export type StepBody =
  | { kind: 'check'; checker: string; argv: string[]; input?: string; files?: TempFile[] }
  | { kind: 'write-file'; path: string; content: string; mode: number; digest: string }
  | { kind: 'hostname'; name: string }
  | { kind: 'sysctl'; key: string; value: string }
  | {
      kind: 'run';
      reason: string;
      argv: string[];
      input?: string;
      /** exit codes that count as success (default [0]); 'any' for best-effort commands */
      okExit?: number[] | 'any';
      /** a pattern the output must match for success (birdc6 answers 0 even when it refused) */
      expect?: string;
      /** what the run counts as in the apply's statistics */
      counts?: 'reload' | 'firewall';
      /** the daemon this command talks to: it never runs together with an action on that daemon */
      service?: string;
    }
  | { kind: 'daemon'; name: string; action: 'start' | 'restart' | 'stop'; argv: string[] }
  | { kind: 'signal'; name: string; signal: 'SIGHUP' }
  | { kind: 'metadata'; table: MetadataTable }
  | { kind: 'announce'; ifname: string; address: string; argv: string[] };

export type Step = StepBody & { phase: Phase };

export interface Plan {
  steps: Step[];
}

export const tmpDirToken = '{tmp}';
