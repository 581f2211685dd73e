// Render: JSON.parse, parseConfiguration (zod schema + normalisation) and
// renderAll of each shared payload, in this process, as the agent does for
// every PUT. The first run of each case is reported apart ("cold"): a freshly
// started agent pays it on its first push.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { renderAll } from '../features/render.ts';
import { REPO } from '../lab/paths.ts';
import { defaultInterfaceMap, parseConfiguration } from '../schema/parse.ts';
import { round, type Summary, summarize } from './stats.ts';

export const RENDER_CASES = ['large-scale', 'seed-example', 'floating-ips', 'ipv6-only', 'no-external', 'legacy-2015-seed'] as const;

export interface RenderCase {
  bytes: number;
  files: number;
  rendered_bytes: number;
  /** first run of the case in this process */
  cold_ms: number;
  json_ms: Summary;
  parse_ms: Summary;
  render_ms: Summary;
  total_ms: Summary;
}

export interface RenderBench {
  iterations: Record<string, number>;
  cases: Record<string, RenderCase>;
}

export function payloadPath(name: string): string {
  return path.join(REPO, 'test', 'cases', name, 'input.json');
}

function once(text: string) {
  const t0 = performance.now();
  const raw = JSON.parse(text) as unknown;
  const t1 = performance.now();
  const parsed = parseConfiguration(raw, defaultInterfaceMap());
  const t2 = performance.now();
  if (!parsed.ok) throw new Error(`invalid payload: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const files = renderAll(parsed.model, '/var/lib/appliance');
  const t3 = performance.now();
  return { json: t1 - t0, parse: t2 - t1, render: t3 - t2, total: t3 - t0, files };
}

export async function benchRender(opts: { quick?: boolean } = {}): Promise<RenderBench> {
  const cases: Record<string, RenderCase> = {};
  const iterations: Record<string, number> = {};
  for (const name of RENDER_CASES) {
    const text = await readFile(payloadPath(name), 'utf8');
    const big = text.length > 100_000;
    const n = opts.quick ? (big ? 10 : 50) : big ? 40 : 300;
    const warm = big ? 5 : 30;
    iterations[name] = n;
    const cold = once(text);
    for (let i = 0; i < warm; i++) once(text);
    const samples = { json: [] as number[], parse: [] as number[], render: [] as number[], total: [] as number[] };
    for (let i = 0; i < n; i++) {
      const r = once(text);
      samples.json.push(r.json);
      samples.parse.push(r.parse);
      samples.render.push(r.render);
      samples.total.push(r.total);
    }
    cases[name] = {
      bytes: Buffer.byteLength(text),
      files: cold.files.length,
      rendered_bytes: cold.files.reduce((s, f) => s + Buffer.byteLength(f.content), 0),
      cold_ms: round(cold.total, 2),
      json_ms: summarize(samples.json, 3),
      parse_ms: summarize(samples.parse, 3),
      render_ms: summarize(samples.render, 3),
      total_ms: summarize(samples.total, 3),
    };
  }
  return { iterations, cases };
}
