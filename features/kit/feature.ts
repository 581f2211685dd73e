// What a feature is: one folder that declares its files, their checker, its
// part of the plan, the addresses it owns and the daemon it runs. The agent,
// the executor, the checkers, the facts and the dry run all iterate over the
// registry (features/registry.ts) instead of knowing any daemon by name.
import type { Issue, PathOf } from '../../schema/issues.ts';
import type { Family, Model } from '../../schema/model.ts';
import type { Entry } from '../firewall/entries.ts';
import type { Facts, LinkFact } from './facts.ts';
import type { RootLayout } from './layout.ts';
import type { Phase, StepBody } from './step.ts';

export interface RenderedFile {
  /** relative to the agent's root */
  path: string;
  content: string;
  mode: number;
  /** sha256 of content, hex: computed once per render */
  digest: string;
  /** the feature that rendered it */
  feature: string;
}

/** An address on a link, as the model wants it. */
export interface OwnedAddress {
  ifname: string;
  address: string;
  prefixLength: number;
  family: Family;
}

/** What planning one configuration knows; features publish what later ones need in `shared`. */
export interface PlanInput {
  model: Model;
  facts: Facts;
  layout: RootLayout;
  /** reload rules and services even if their files are unchanged (start-up, after a failure) */
  force: boolean;
  /** the configuration last applied or tried: what it may have put on NICs the new one drops */
  previous: Model | null;
  files: readonly RenderedFile[];
  /** paths (relative to the root) of the files this plan writes */
  changed: ReadonlySet<string>;
  links: ReadonlyMap<string, LinkFact>;
  /** addresses some feature manages itself (a VRRP daemon): the address planner leaves them alone */
  foreign: ReadonlySet<string>;
  shared: PlanShared;
}

/** Results of earlier features in the same planning pass. */
export interface PlanShared {
  /** "ifname/family" of links losing an address: the kernel may flush routes through them */
  shakenLinks: Set<string>;
  /** addresses the router no longer holds: their connections are flushed */
  removedAddresses: string[];
}

export type PhasedStep = StepBody & { phase: Phase };

/** A long-running daemon the agent supervises: everything is a path under the root. */
export interface DaemonSpec {
  name: string;
  argv: string[];
  pidFile: string;
  logFile: string;
  /** exists once the daemon is ready to take signals or commands */
  readyFile: string;
  /** left behind by a killed daemon, removed before a start (a control socket) */
  staleFiles: string[];
  /** a string its command line carries, so a pid file's owner can be recognised after a restart */
  marker: string;
  /** the daemon writes no pid file of its own (conntrackd, charon-systemd): the supervisor writes the spawned pid to pidFile */
  supervisorWritesPid?: boolean;
  /**
   * Reloads (signal steps) closer together than this are throttled: one within the
   * interval of the previous load (a reload or a start) is sent once the interval has
   * passed, and reloads asked for while one waits collapse into it. Never dropped: the
   * delayed signal makes the daemon read its files as they are when it is sent.
   */
  minReloadIntervalMs?: number;
  /**
   * Commands (argv arrays, run through the host port) once the daemon is ready after a
   * restart the supervisor makes on its own (it died): what the plan does after its own
   * start (charon-systemd loads no connections itself). A start or restart the plan asks
   * for carries these as its own steps instead, visible in the plan.
   */
  afterRestart?: string[][];
}

export interface CheckSpec {
  checker: string;
  argv: string[];
  input?: string;
  files?: { name: string; content: string }[];
}

export interface Feature {
  name: string;
  /** its own rules on a valid model (what its daemon would refuse), as issues at the body's JSON paths */
  validate?(model: Model, pathOf: PathOf): Issue[];
  /** the files it may write, relative to the root: their digests are part of the facts */
  paths: readonly string[];
  render?(model: Model, layout: RootLayout): Omit<RenderedFile, 'digest' | 'feature'>[];
  /** the daemon's own checks of the changed ones among this feature's rendered files (contents by path) */
  checks?(files: ReadonlyMap<string, string>, changed: ReadonlySet<string>): CheckSpec[];
  /** addresses it manages itself, outside the address planner */
  ownedAddresses?(model: Model): OwnedAddress[];
  /** /proc/sys keys it manages, for the facts to read */
  sysctlKeys?(ifnames: readonly string[]): string[];
  daemon?(layout: RootLayout): DaemonSpec;
  plan?(input: PlanInput): PhasedStep[];
  /**
   * Firewall rules its daemon needs (openings, NAT exemptions), appended to each
   * table after the firewall feature's own rules. INPUT and FORWARD drop by policy
   * and hold no catch-all DROP rule, so an appended ACCEPT takes effect; the
   * firewall's own DROPs (management isolation) come first and still win.
   */
  firewall?(model: Model): Entry[];
}
