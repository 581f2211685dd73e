// `appliance plan --config FILE [--state DIR]`: the plan a PUT of FILE would
// run, as text (the same text a dry run answers with Accept: text/plain). The
// host is simulated: NICs eth0..ethN in the order of their generic names, and
// with --state, the state an agent rooted at DIR saved, converged first, so
// the plan shows what changes from there. Nothing on this machine is touched.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createApi } from '../handlers/api.ts';
import { Agent } from './agent.ts';
import { FakeMetadata, fakeNic, FakeHost as SimulatedHost } from './host/simulated.ts';
import { silentLogger } from './log.ts';

const ROOT = '/var/lib/appliance';

export async function planCommand(opts: { config?: string; state?: string; root?: string }): Promise<number> {
  if (!opts.config) {
    process.stderr.write('usage: appliance plan --config FILE [--state DIR] [--root DIR]\n');
    return 2;
  }
  let text: string;
  let saved: string | null = null;
  try {
    text = await readFile(opts.config, 'utf8');
    if (opts.state) saved = await readFile(path.join(opts.state, 'state', 'config.json'), 'utf8');
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const highest = Math.max(0, ...[...`${text}${saved ?? ''}`.matchAll(/"ge(\d{1,4})"/g)].map((m) => Number(m[1])));
  const host = new SimulatedHost(Array.from({ length: highest + 1 }, (_, i) => fakeNic(i + 2, `eth${i}`)));
  const root = opts.root ?? ROOT;
  if (saved !== null) await host.writeFile(`${root}/state/config.json`, saved, 0o600);
  const agent = new Agent({ host, root, log: silentLogger, metadata: new FakeMetadata() });
  await agent.start();
  if (saved !== null && agent.state.dirty) {
    process.stderr.write(`the saved configuration under ${opts.state} could not be applied to a simulated host\n`);
    return 1;
  }
  const api = createApi(agent);
  const res = await api.fetch(
    new Request('http://appliance/v1/system/config?dry_run=1', {
      method: 'PUT',
      body: text,
      headers: { 'content-type': 'application/json', accept: 'text/plain' },
    }),
  );
  if (res.status !== 200) {
    const body = (await res.json()) as { error: string; issues: { path: string; message: string }[] };
    process.stderr.write(`${body.error}\n`);
    for (const i of body.issues) process.stderr.write(`${i.path}: ${i.message}\n`);
    return 2;
  }
  process.stdout.write((await res.text()) || '# nothing to change\n');
  return 0;
}
