// The architecture boundary check: the pure layers (schema, features,
// handlers) turn a request into a plan and touch nothing of the host.
//  - imports: dependency-cruiser with the rules in .dependency-cruiser.mjs
//    (layer direction, no host module, no package but a short list);
//  - globals: the TypeScript checker finds every identifier that resolves to a
//    global (not a local, an import or a property) and bans the host, the clock,
//    randomness, timers, module loading and ways around the ban.
// `node --import tsx test/boundary.ts [ROOT]` prints the violations (npm run lint:boundary).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { scanGlobals } from './boundary-globals.ts';

export const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const CONFIG_FILE = '.dependency-cruiser.mjs';

/** What .dependency-cruiser.mjs exports besides the rule set. */
export interface BoundaryConfig {
  default: IConfiguration;
  LAYERS: { name: string; folders: string[]; pure: boolean }[];
  REQUIRED_FOLDERS: string[];
  KNOWN_LEAKS: string[];
  TEST_FILE: string;
}

export interface BoundaryReport {
  /** one line per leak, `file imports module [rule]` or `file:line uses what` */
  violations: string[];
  /** the pure source files scanned for globals (tests excluded), relative to the root */
  pureFiles: string[];
  /** every module dependency-cruiser looked at, relative to the root */
  cruised: string[];
}

const SOURCE = /\.(?:[cm]?[jt]sx?)$/;

export async function loadConfig(root: string): Promise<BoundaryConfig> {
  return (await import(pathToFileURL(path.join(root, CONFIG_FILE)).href)) as BoundaryConfig;
}

/** Source files under dir (dot folders and nested node_modules included: nothing hides). */
function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(path.join(root, rel)).isDirectory());
    if (isDir) out.push(...sourceFiles(root, rel));
    else if (SOURCE.test(entry.name)) out.push(rel);
  }
  return out;
}

export async function checkBoundary(root: string): Promise<BoundaryReport> {
  const config = await loadConfig(root);
  const testFile = new RegExp(config.TEST_FILE);
  const violations: string[] = [];
  const pureFolders = config.LAYERS.filter((l) => l.pure).flatMap((l) => l.folders);
  const present = (f: string) => existsSync(path.join(root, f)) && statSync(path.join(root, f)).isDirectory();
  for (const f of config.REQUIRED_FOLDERS) if (!present(f)) violations.push(`${f}/ is missing (a required pure folder)`);

  const pureFiles: string[] = [];
  for (const f of pureFolders.filter(present)) {
    const files = sourceFiles(root, f).filter((file) => !testFile.test(file));
    if (files.length === 0) violations.push(`${f}/ holds no source file (edit LAYERS in ${CONFIG_FILE})`);
    pureFiles.push(...files);
  }
  pureFiles.sort();

  const stackFolders = config.LAYERS.flatMap((l) => l.folders).filter(present);
  if (pureFiles.length === 0) return { violations, pureFiles, cruised: [] };
  const { violations: importViolations, cruised } = await cruiseImports(root, config.default, stackFolders);
  violations.push(...importViolations);
  violations.push(...scanGlobals(root, pureFiles));
  return { violations, pureFiles, cruised };
}

async function cruiseImports(root: string, ruleSet: IConfiguration, folders: string[]) {
  const tsConfig = path.join(root, 'tsconfig.json');
  const options = { ...ruleSet.options, tsConfig: { fileName: tsConfig } };
  const { output } = await cruise(
    folders,
    { ...options, validate: true, ruleSet: { forbidden: ruleSet.forbidden ?? [] }, baseDir: root, outputType: 'json' },
    {},
    { tsConfig: extractTSConfig(tsConfig) },
  );
  const result: ICruiseResult = typeof output === 'string' ? JSON.parse(output) : output;
  const specifier = new Map<string, string>();
  for (const m of result.modules) {
    for (const d of m.dependencies) {
      specifier.set(`${m.source}\0${d.resolved}`, d.coreModule && !d.module.startsWith('node:') ? `node:${d.module}` : d.module);
    }
  }
  const violations = result.summary.violations.map((v) => {
    const module = specifier.get(`${v.from}\0${v.to}`) ?? v.to;
    const shown = module === v.to || module === `node:${v.to}` ? module : `${module} (${v.to})`;
    return `${v.from} imports ${shown} [${v.rule.name}]`;
  });
  return { violations, cruised: result.modules.map((m) => m.source) };
}

/** Splits violations into those KNOWN_LEAKS expects and the rest; lists known leaks that no longer occur. */
export function againstKnown(violations: string[], known: string[]) {
  return {
    unexpected: violations.filter((v) => !known.includes(v)),
    stale: known.filter((k) => !violations.includes(k)),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(process.argv[2] ?? REPO);
  const report = await checkBoundary(root);
  const { unexpected, stale } = againstKnown(report.violations, (await loadConfig(root)).KNOWN_LEAKS);
  for (const v of unexpected) console.log(v);
  for (const s of stale) console.log(`fixed, remove from KNOWN_LEAKS: ${s}`);
  const known = report.violations.length - unexpected.length;
  console.log(
    `${report.pureFiles.length} pure files, ${report.cruised.length} modules: ${unexpected.length} violations, ${known} known, ${stale.length} stale`,
  );
  process.exitCode = unexpected.length + stale.length > 0 ? 1 : 0;
}
