// `appliance diff --from A.json --to B.json [--ifmap ...]`: what a change does,
// for review. A unified diff of every rendered file (the firewall's first),
// then the plan a router running A would run to get to B, computed against a
// simulated host (nothing on this machine is touched).
import { readFile } from 'node:fs/promises';
import { createTwoFilesPatch } from 'diff';
import type { RenderedFile } from '../features/kit/feature.ts';
import { renderAll } from '../features/render.ts';
import { createApi } from '../handlers/api.ts';
import type { InterfaceMap } from '../schema/normalise.ts';
import { parseConfiguration } from '../schema/parse.ts';
import { Agent } from './agent.ts';
import { FakeMetadata, fakeNic, FakeHost as SimulatedHost } from './host/simulated.ts';
import { silentLogger } from './log.ts';
import { parseIfmap } from './render-command.ts';

const ROOT = '/var/lib/appliance';

type Loaded = { text: string; files: RenderedFile[] } | { error: string };

async function load(file: string, ifmap: InterfaceMap): Promise<Loaded> {
  let text: string;
  let body: unknown;
  try {
    text = await readFile(file, 'utf8');
    body = JSON.parse(text);
  } catch (err) {
    return { error: `cannot read ${file}: ${(err as Error).message}` };
  }
  const parsed = parseConfiguration(body, ifmap);
  if (!parsed.ok) return { error: parsed.issues.map((i) => `${file}: ${i.path}: ${i.message}`).join('\n') };
  return { text, files: renderAll(parsed.model, ROOT) };
}

/** the firewall's files first, then the others in the order features render them */
function ordered(paths: Iterable<string>, feature: Map<string, string>): string[] {
  const all = [...new Set(paths)];
  const rank = (p: string) => (feature.get(p) === 'firewall' ? 0 : 1);
  return all
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
    .map(({ p }) => p);
}

export function fileDiffs(from: RenderedFile[], to: RenderedFile[]): string {
  const before = new Map(from.map((f) => [f.path, f.content]));
  const after = new Map(to.map((f) => [f.path, f.content]));
  const feature = new Map([...from, ...to].map((f) => [f.path, f.feature ?? '']));
  let out = '';
  for (const p of ordered([...before.keys(), ...after.keys()], feature)) {
    const a = before.get(p);
    const b = after.get(p);
    if (a === b) continue;
    out += createTwoFilesPatch(a === undefined ? '/dev/null' : `a/${p}`, b === undefined ? '/dev/null' : `b/${p}`, a ?? '', b ?? '');
  }
  return out;
}

/** the plan a PUT of `to` runs on a simulated router that applied `from` */
async function planBetween(from: string, to: string, ifmap: InterfaceMap): Promise<{ text: string } | { error: string }> {
  const highest = Math.max(0, ...[...`${from}${to}`.matchAll(/"ge(\d{1,4})"/g)].map((m) => Number(m[1])));
  const nics = Array.from({ length: highest + 1 }, (_, i) => fakeNic(i + 2, ifmap[`ge${i}`] ?? `eth${i}`));
  const agent = new Agent({ host: new SimulatedHost(nics), root: ROOT, log: silentLogger, metadata: new FakeMetadata() });
  await agent.start();
  const api = createApi(agent);
  const put = (body: string, query = '') =>
    api.fetch(
      new Request(`http://appliance/v1/system/config${query}`, {
        method: 'PUT',
        body,
        headers: { 'content-type': 'application/json', accept: 'text/plain' },
      }),
    );
  try {
    const first = await put(from);
    if (first.status !== 200) return { error: `the --from configuration could not be applied to a simulated host (${first.status})` };
    const res = await put(to, '?dry_run=1');
    if (res.status !== 200) return { error: `the --to configuration could not be planned (${res.status}): ${await res.text()}` };
    return { text: await res.text() };
  } finally {
    await agent.close();
  }
}

export async function diffCommand(opts: { from: string; to: string; ifmap?: string }): Promise<number> {
  const ifmap = parseIfmap(opts.ifmap);
  if (typeof ifmap === 'string') {
    process.stderr.write(`${ifmap}\n`);
    return 2;
  }
  const [a, b] = await Promise.all([load(opts.from, ifmap), load(opts.to, ifmap)]);
  for (const x of [a, b]) if ('error' in x) process.stderr.write(`${x.error}\n`);
  if ('error' in a || 'error' in b) return 2;
  const plan = await planBetween(a.text, b.text, ifmap);
  if ('error' in plan) {
    process.stderr.write(`${plan.error}\n`);
    return 1;
  }
  const files = fileDiffs(a.files, b.files);
  process.stdout.write(files || '# no rendered file changes\n');
  process.stdout.write(`\n# plan from ${opts.from} to ${opts.to}\n${plan.text || '# nothing to change\n'}`);
  return 0;
}
