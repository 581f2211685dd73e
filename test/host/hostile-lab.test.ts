// Hostile input through the real API of a real agent in a namespace lab: a few
// hundred mutated seed-example bodies (the same fast-check mutations as the
// in-process property, test/hostile/mutate.ts) PUT from the management host,
// with a fingerprint of the router after each: addresses, routes, both
// firewalls without counters, the files under the agent's root with their
// digests, daemon pids. A refused body ({error, issues} naming a path of the
// body, no stack trace) leaves the fingerprint as it was; an accepted one
// carried no injected line into a file. HOSTILE_LAB_RUNS (default 80) and
// HOSTILE_SEED repeat a run (fixed by default; HOSTILE_SEED=random explores). Needs root.
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import * as assert from 'uvu/assert';
import { MAX_BODY_BYTES } from '../../handlers/http.ts';
import type { Lab } from '../../lab/lab.ts';
import { daemonPids, links, routes, rules } from '../../lab/router-state.ts';
import { payload, withLab } from '../../lab/scratch.ts';
import { rootSuite } from '../../lab/suite.ts';
import { applyMutations, mutations, shapeOf } from '../hostile/mutate.ts';
import { hostileSeed } from '../hostile/seed.ts';
import { injectableLines, injectedLine, refusalProblem } from '../hostile/verdict.ts';
import { applyOk } from './agent-checks.ts';

const RUNS = Number(process.env.HOSTILE_LAB_RUNS ?? 80);
const SEED = hostileSeed();

const test = rootSuite('hostile bodies through the real API, with a fingerprint of the router');

/** Regular files under the root (logs aside: daemons append to them), with their contents. */
async function rootFiles(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string) => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory() && !(dir === root && e.name === 'log')) await walk(full);
      else if (e.isFile()) out.set(path.relative(root, full), await readFile(full, 'utf8').catch(() => '(unreadable)'));
    }
  };
  await walk(root);
  return out;
}

interface Fingerprint {
  text: string;
  files: Map<string, string>;
}

/** The router as text, one fact a line: addresses, routes, rules without counters, files and digests, daemon pids. */
async function fingerprint(lab: Lab): Promise<Fingerprint> {
  const ns = lab.topo.routerNs;
  const files = await rootFiles(lab.root);
  const lines: string[] = [];
  for (const [ifname, l] of Object.entries(await links(ns)))
    lines.push(`link ${ifname} ${l.up ? 'up' : 'down'} mtu ${l.mtu} ${l.addrs.join(' ')}`);
  for (const f of [4, 6] as const) for (const r of await routes(ns, f)) lines.push(`route v${f} ${r}`);
  for (const f of [4, 6] as const) lines.push(`rules v${f}\n${await rules(ns, f)}`);
  for (const [p, c] of [...files].sort()) lines.push(`file ${p} ${createHash('sha256').update(c).digest('hex').slice(0, 12)}`);
  lines.push(`daemons ${JSON.stringify(await daemonPids(ns))}`);
  return { text: lines.join('\n'), files };
}

function diff(before: string, after: string): string {
  const a = new Set(before.split('\n'));
  const b = new Set(after.split('\n'));
  return [...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`), ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`)].join('\n');
}

test(`${RUNS} mutated bodies: refused ones leave the router's fingerprint unchanged, accepted ones inject nothing`, () =>
  withLab(async (lab, agent) => {
    console.log(`hostile lab: ${RUNS} bodies, seed ${SEED} (HOSTILE_LAB_RUNS=${RUNS} HOSTILE_SEED=${SEED} repeats it)`);
    const seed = payload('seed-example');
    const shape = shapeOf(seed);
    await applyOk(lab, seed);
    let fp = await fingerprint(lab);
    const counts = new Map<number, number>();
    const started = Date.now();
    for (const [i, muts] of fc.sample(mutations, { seed: SEED, numRuns: RUNS }).entries()) {
      const m = applyMutations(seed, shape, muts);
      const where = `body ${i}: ${m.applied.join('; ')}`;
      const r = await lab.push(m.text);
      counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
      if (r.status >= 400 && r.status < 500) {
        const problem = refusalProblem(r.status, r.body, m.body, Buffer.byteLength(m.text), MAX_BODY_BYTES);
        assert.not.ok(problem, `${r.status} ${problem}\n${where}\n${r.body.slice(0, 600)}`);
        const after = await fingerprint(lab);
        assert.is(after.text, fp.text, `a refused body changed the router:\n${diff(fp.text, after.text)}\n${where}`);
        continue;
      }
      assert.is(r.status, 200, `status ${r.status}\n${where}\n${(r.error ?? r.body).slice(0, 600)}`);
      const after = await fingerprint(lab);
      const injectable = injectableLines(m.written);
      for (const [file, content] of after.files) {
        const line = injectedLine(content, fp.files.get(file) ?? '', injectable);
        assert.not.ok(line, `an injected line reached ${file}: ${JSON.stringify(line)}\n${where}`);
      }
      // back to the seed for the next body
      await applyOk(lab, seed);
      fp = await fingerprint(lab);
    }
    assert.not.ok(agent.exited(), 'the agent is still running');
    const internal = agent.events().filter((e) => e.event === 'http.internal_error');
    assert.is(internal.length, 0, JSON.stringify(internal.slice(0, 2)));
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`hostile lab: ${RUNS} bodies in ${seconds} s: ${[...counts].map(([s, n]) => `${n} × ${s}`).join(', ')}`);
  }));

test.run();
