// The architecture boundary, import half (the globals half is test/boundary-globals.ts;
// test/boundary.ts runs both, npm run lint:boundary prints what they find).
//
// Layers, bottom first. A pure layer may import its own folders, the pure
// layers below it, PURE_BUILTINS and PURE_PACKAGES, and nothing else: not
// runtime/, lab/, bench/, test/, image/, scripts/, a new top-level folder, an
// unresolvable path or any other package. runtime/ (the one impure layer) may
// import anything. Folders outside the stack (lab/, bench/, test/, scripts/,
// image/) may import anything.
//
// Test files (*.test.ts) in any folder stand outside the stack: they may read
// fixtures with node:fs and import test/ helpers or runtime/ (a renderer's test
// runs the daemon's own checker). In exchange nothing but another test, test/,
// lab/ or bench/ may import a test file or a test/ helper.
//
// Edit LAYERS when folders move; test/boundary.test.ts fails when a required
// folder is missing or a listed pure folder exists but holds no source file.

/** Bottom first. `folders`: top-level folders of the layer (missing ones are skipped). */
export const LAYERS = [
  { name: 'schema', folders: ['schema'], pure: true },
  { name: 'features', folders: ['features'], pure: true },
  { name: 'handlers', folders: ['handlers'], pure: true },
  { name: 'runtime', folders: ['runtime'], pure: false },
];

/** Pure folders that must exist and hold source files. */
export const REQUIRED_FOLDERS = ['schema', 'features', 'handlers'];

/** Node built-ins a pure layer may import (with or without `node:`): hashing and POSIX path arithmetic. */
export const PURE_BUILTINS = ['crypto', 'path/posix'];

/** Packages a pure layer may import, as patterns over the resolved path. eta: only its core, which has no file loader. */
export const PURE_PACKAGES = {
  zod: '^node_modules/zod/',
  'itty-router': '^node_modules/itty-router/',
  'eta/core': '^node_modules/eta/dist/core\\.',
};

/**
 * Leaks the tree still has, one line each as the boundary check prints them.
 * Each must still occur (a fixed leak fails the test until its line goes).
 */
export const KNOWN_LEAKS = [];

/** Test suites (*.test.ts) and their fixtures (test-*.ts beside them) are test code. */
export const TEST_FILE = '(?:\\.test\\.[cm]?[jt]sx?|/test-[\\w-]+\\.[cm]?[jt]sx?)$';

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const folderPattern = (folders) => `^(?:${folders.map(escapeRe).join('|')})/`;
const builtins = `^(?:node:)?(?:${PURE_BUILTINS.map(escapeRe).join('|')})$`;

const pureRules = LAYERS.flatMap((layer, i) => {
  if (!layer.pure) return [];
  const allowed = LAYERS.slice(0, i + 1).flatMap((l) => l.folders);
  return [
    {
      name: 'pure-imports-only-pure',
      comment: `${layer.name} may import only ${allowed.join('/, ')}/, ${PURE_BUILTINS.join(', ')} and ${Object.keys(PURE_PACKAGES).join(', ')}`,
      severity: 'error',
      from: { path: folderPattern(layer.folders), pathNot: TEST_FILE },
      to: { pathNot: [folderPattern(allowed), builtins, ...Object.values(PURE_PACKAGES)] },
    },
    {
      name: 'pure-unresolvable',
      comment: `${layer.name} imports a module that does not resolve`,
      severity: 'error',
      from: { path: folderPattern(layer.folders), pathNot: TEST_FILE },
      to: { couldNotResolve: true },
    },
  ];
});

const stackFolders = LAYERS.flatMap((l) => l.folders);

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...pureRules,
    {
      name: 'no-test-code-in-production',
      comment: 'only tests, test/, lab/ and bench/ may import a test file or a test/ helper',
      severity: 'error',
      from: { path: folderPattern(stackFolders), pathNot: TEST_FILE },
      to: { path: [TEST_FILE, '^(?:test|bench)/'] },
    },
  ],
  options: {
    doNotFollow: { path: '^node_modules/' },
    tsPreCompilationDeps: true,
    preserveSymlinks: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      mainFields: ['module', 'main'],
    },
  },
};
