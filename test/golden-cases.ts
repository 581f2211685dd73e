// The golden test cases under renderers/testdata, shared by the golden, checker and handler tests.
// A test helper: it reads files, so it lives outside the pure renderers/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAll } from '../renderers/index.ts';
import { defaultInterfaceMap, parseConfiguration } from '../schema/parse.ts';

export const GOLDEN_ROOT = '/var/lib/appliance';
export const testdataDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'renderers', 'testdata');

export function goldenCases(): string[] {
  return readdirSync(testdataDir)
    .filter((c) => existsSync(path.join(testdataDir, c, 'input.json')))
    .sort();
}

export function renderCase(name: string) {
  const input = JSON.parse(readFileSync(path.join(testdataDir, name, 'input.json'), 'utf8'));
  const parsed = parseConfiguration(input, defaultInterfaceMap());
  if (!parsed.ok) throw new Error(`${name}: ${JSON.stringify(parsed.issues)}`);
  return { parsed, files: renderAll(parsed.model, GOLDEN_ROOT) };
}
