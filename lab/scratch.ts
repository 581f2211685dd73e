// Throwaway labs for the test suites: a prefix unique to this process, removed
// afterwards whatever happens (and on SIGINT/SIGTERM). By default the router
// of seed-example with one VM and no host services, nothing pushed, the
// management address put on directly: what a suite about the agent needs.
import { readFileSync } from 'node:fs';
import { type AgentProcess, withLogTail } from './agent.ts';
import { type Lab, type LabUpOptions, labDown, labUp } from './lab.ts';
import { forget, removeOnSignal } from './netns.ts';
import { testdataPayload } from './paths.ts';

let counter = 0;

/** 1-8 characters: s, this process's pid, a counter (labs of one run never collide, leftovers are removed first). */
export function uniquePrefix(): string {
  counter += 1;
  return `s${process.pid.toString(36)}${counter.toString(36)}`.slice(0, 8);
}

/** A deep copy of a golden case's PUT body (test/cases/<name>/input.json). */
// biome-ignore lint/suspicious/noExplicitAny: payloads are edited freely by the tests
export function payload(name: string): any {
  return JSON.parse(readFileSync(testdataPayload(name), 'utf8'));
}

export async function scratchLab(opts: LabUpOptions = {}): Promise<Lab> {
  const prefix = opts.prefix ?? uniquePrefix();
  removeOnSignal(prefix);
  try {
    return await labUp({
      payload: testdataPayload('seed-example'),
      push: false,
      dhcp: false,
      services: false,
      configureManagement: false,
      maxVmsPerNetwork: 1,
      ...opts,
      prefix,
    });
  } catch (err) {
    await removeLab(prefix);
    throw err;
  }
}

/** Stops the lab's agent gracefully (SIGTERM), then removes everything. */
export async function removeLab(target: Lab | string): Promise<void> {
  const prefix = typeof target === 'string' ? target : target.topo.prefix;
  if (typeof target !== 'string') await target.agent?.stop();
  await labDown(prefix);
  forget(prefix);
}

/** A scratch lab with its agent running for fn; both removed afterwards, the agent's log added to a failure. */
export async function withLab<T>(fn: (lab: Lab, agent: AgentProcess) => Promise<T>, opts: LabUpOptions = {}): Promise<T> {
  const lab = await scratchLab(opts);
  try {
    return await fn(lab, lab.agent as AgentProcess);
  } catch (err) {
    throw withLogTail(err, lab.agent);
  } finally {
    await removeLab(lab);
  }
}

/** Runs fn once, on first use; later callers share its promise (and its failure). */
export function lazy<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => {
    p ??= fn();
    return p;
  };
}
