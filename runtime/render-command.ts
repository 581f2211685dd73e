// `appliance render`: validate a payload and write every rendered file under a directory.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderAll } from '../features/render.ts';
import { validateConfiguration } from '../features/validate.ts';
import type { InterfaceMap } from '../schema/normalise.ts';
import { defaultInterfaceMap } from '../schema/parse.ts';
import { GENERIC_IFNAME, HOST_IFNAME } from '../schema/syntax.ts';

export function parseIfmap(text: string | undefined): InterfaceMap | string {
  if (!text) return defaultInterfaceMap();
  const map: InterfaceMap = {};
  for (const pair of text.split(',').filter(Boolean)) {
    const [generic = '', host = ''] = pair.trim().split('=');
    if (!GENERIC_IFNAME.test(generic) || !HOST_IFNAME.test(host) || pair.split('=').length !== 2)
      return `bad --ifmap entry ${JSON.stringify(pair)}: expected geN=hostname such as ge0=eth0`;
    map[generic] = host;
  }
  return map;
}

export async function renderCommand(opts: { config?: string; out?: string; ifmap?: string }): Promise<number> {
  if (!opts.config || !opts.out) {
    process.stderr.write('usage: appliance render --config FILE --out DIR [--ifmap ge0=eth0,...]\n');
    return 2;
  }
  const ifmap = parseIfmap(opts.ifmap);
  if (typeof ifmap === 'string') {
    process.stderr.write(`${ifmap}\n`);
    return 2;
  }
  let body: unknown;
  try {
    body = JSON.parse(await readFile(opts.config, 'utf8'));
  } catch (err) {
    process.stderr.write(`cannot read ${opts.config}: ${(err as Error).message}\n`);
    return 2;
  }
  const parsed = validateConfiguration(body, ifmap);
  if (!parsed.ok) {
    for (const issue of parsed.issues) process.stderr.write(`${issue.path}: ${issue.message}\n`);
    return 2;
  }
  const out = path.resolve(opts.out);
  const files = renderAll(parsed.model, out);
  for (const f of files) {
    const target = path.join(out, f.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(`${target}.tmp`, f.content, { mode: f.mode });
    await rename(`${target}.tmp`, target);
  }
  process.stdout.write(
    `${JSON.stringify(
      files.map((f) => ({ path: path.join(out, f.path), feature: f.feature })),
      null,
      1,
    )}\n`,
  );
  return 0;
}
