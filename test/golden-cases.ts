// The golden test cases: inputs under test/cases/<case>/input.json, expected
// files in the folder of the feature that renders them
// (features/<feature>/golden/<case>/<file name>). Shared by the golden,
// checker, plan and handler tests. A test helper: it reads files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAll } from '../features/render.ts';
import { defaultInterfaceMap, parseConfiguration } from '../schema/parse.ts';

export const GOLDEN_ROOT = '/var/lib/appliance';
const here = path.dirname(fileURLToPath(import.meta.url));
export const testdataDir = path.join(here, 'cases');

/** Where a feature's expected file of a case lives. */
export function goldenFile(feature: string, name: string, file: string): string {
  return path.join(here, '..', 'features', feature, 'golden', name, path.basename(file));
}

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
