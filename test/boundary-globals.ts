// The globals half of the boundary check. The TypeScript checker resolves each
// identifier in the pure files: one that resolves only to declarations in .d.ts
// files (lib, @types/node) or to nothing is a global. Locals, imports and
// property names (`options.process`) never count.
//
// Decisions:
//  - banned outright: the host (process, require, module loading, console),
//    timers and scheduling (setTimeout & co, queueMicrotask), the network
//    (fetch, WebSocket), the clock and randomness (performance, the global
//    crypto), and ways around the ban (globalThis, eval, Function, WebAssembly);
//  - guarded: Date, Math and AbortSignal are fine except Date.now, Date() and
//    new Date() without arguments, Math.random and AbortSignal.timeout; using
//    them as a plain value (aliasing, destructuring, passing) is refused, since
//    that hides which member is used;
//  - import.meta (where the file lies on disk), dynamic import() and `.constructor`
//    (the road from any function to Function) are refused in pure code;
//  - node:crypto's hashing is allowed by the import rules; its random functions
//    are imports, not globals: they are refused below by name. node:path/posix
//    is allowed except resolve() and relative(), which read the working directory.
// This stops honest mistakes and the obvious bypasses, not deliberate
// obfuscation through computed property names on arbitrary objects.
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TS from 'typescript';

// required, not imported: the CommonJS path loads the compiler several times faster
// under tsx, and dependency-cruiser shares the same instance
const ts: typeof TS = createRequire(import.meta.url)('typescript');

export const BANNED_GLOBALS = new Set([
  'process',
  'require',
  'module',
  'exports',
  '__dirname',
  '__filename',
  'console',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'queueMicrotask',
  'fetch',
  'WebSocket',
  'EventSource',
  'XMLHttpRequest',
  'navigator',
  'performance',
  'crypto',
  'globalThis',
  'global',
  'eval',
  'Function',
  'WebAssembly',
  'Worker',
  'BroadcastChannel',
  'MessageChannel',
  'Atomics',
]);

/** Globals that are pure except for the listed members; `newNeedsArgs`: `new X()` reads the clock. */
export const GUARDED_GLOBALS: Record<string, { members: string[]; newNeedsArgs?: boolean }> = {
  Date: { members: ['now'], newNeedsArgs: true },
  Math: { members: ['random'] },
  AbortSignal: { members: ['timeout'] },
};

/** Named imports refused whatever the module (node:crypto's randomness). */
const BANNED_IMPORT_NAMES = new Set(['randomUUID', 'randomBytes', 'randomInt', 'randomFill', 'randomFillSync', 'getRandomValues']);

/** Members of an allowed module that still touch the host: resolve() and relative() read the working directory. */
export const MODULE_MEMBER_BANS: Record<string, string[]> = { 'path/posix': ['resolve', 'relative'] };

function bannedMember(moduleName: string | undefined, member: string): boolean {
  return moduleName !== undefined && (MODULE_MEMBER_BANS[moduleName.replace(/^node:/, '')] ?? []).includes(member);
}

/** The module of `import { x } from 'm'` / `export { x } from 'm'`. */
function specifierModule(spec: TS.ImportSpecifier | TS.ExportSpecifier): string | undefined {
  const decl = ts.isImportSpecifier(spec) ? spec.parent.parent.parent : spec.parent.parent;
  return decl.moduleSpecifier && ts.isStringLiteral(decl.moduleSpecifier) ? decl.moduleSpecifier.text : undefined;
}

/** The module a default or namespace import binding comes from. */
function importSource(checker: TS.TypeChecker, id: TS.Expression): string | undefined {
  if (!ts.isIdentifier(id)) return undefined;
  const symbol = checker.getSymbolAtLocation(id);
  if (!symbol || !(symbol.flags & ts.SymbolFlags.Alias)) return undefined;
  let n: TS.Node | undefined = symbol.declarations?.[0];
  while (n && !ts.isImportDeclaration(n)) n = n.parent;
  return n && ts.isStringLiteral(n.moduleSpecifier) ? n.moduleSpecifier.text : undefined;
}

/**
 * No lib, no @types, no import resolution: only the pure files are parsed, and
 * an identifier that resolves to nothing is a global, so the scan does not
 * depend on which globals the type definitions happen to declare (and is fast).
 */
const OPTIONS: TS.CompilerOptions = {
  noLib: true,
  types: [],
  noResolve: true,
  allowJs: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
};

/** A declaration that makes a global: in a .d.ts, in `declare global`, or at the top of a script (non-module) file. */
function declaresGlobal(decl: TS.Declaration): boolean {
  const sf = decl.getSourceFile();
  if (sf.isDeclarationFile) return true;
  for (let n: TS.Node = decl.parent; n; n = n.parent) {
    if (ts.isModuleDeclaration(n) && n.name.getText(sf) === 'global') return true;
    if (ts.isSourceFile(n)) return !ts.isExternalModule(n);
    if (ts.isFunctionLike(n) || ts.isBlock(n) || ts.isClassLike(n) || ts.isModuleBlock(n) || ts.isCaseBlock(n)) return false;
    if (ts.isForStatement(n) || ts.isForInStatement(n) || ts.isForOfStatement(n) || ts.isCatchClause(n)) return false;
  }
  return false;
}

/** Identifiers that name something rather than refer to it. */
function isNameOnly(id: TS.Identifier): boolean {
  const p = id.parent;
  if ((ts.isPropertyAccessExpression(p) || ts.isPropertyAccessChain(p)) && p.name === id) return true;
  if (ts.isQualifiedName(p) && p.right === id) return true;
  if ((ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isBindingElement(p)) && p.propertyName === id) return true;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return true;
  if (ts.isMetaProperty(p)) return true;
  return false;
}

function inTypePosition(node: TS.Node): boolean {
  let n: TS.Node = node;
  while (ts.isQualifiedName(n.parent) || ts.isPropertyAccessExpression(n.parent)) n = n.parent;
  const p = n.parent;
  return ts.isTypeReferenceNode(p) || ts.isTypeQueryNode(p) || (ts.isExpressionWithTypeArguments(p) && ts.isHeritageClause(p.parent));
}

function memberName(p: TS.Node, id: TS.Identifier): string | null | undefined {
  if (ts.isPropertyAccessExpression(p) && p.expression === id) return p.name.text;
  if (ts.isElementAccessExpression(p) && p.expression === id) {
    return ts.isStringLiteralLike(p.argumentExpression) ? p.argumentExpression.text : null;
  }
  return undefined;
}

/** Why a use of a guarded global is refused, or null when it is fine. */
function guardedUse(id: TS.Identifier, name: string): string | null {
  const rule = GUARDED_GLOBALS[name]!;
  const p = id.parent;
  const member = memberName(p, id);
  if (member === null) return `${name}[computed]`;
  if (member !== undefined) return rule.members.includes(member) ? `${name}.${member}` : null;
  if (ts.isNewExpression(p) && p.expression === id) {
    return rule.newNeedsArgs && (p.arguments?.length ?? 0) === 0 ? `new ${name}() (the clock)` : null;
  }
  if (ts.isCallExpression(p) && p.expression === id) return `${name}() as a function`;
  if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.InstanceOfKeyword && p.right === id) return null;
  if (inTypePosition(id)) return null;
  return `${name} as a value (only ${name}.member${rule.newNeedsArgs ? `, new ${name}(x)` : ''} and instanceof)`;
}

/** Violations `file:line uses what` in the given pure files (relative to root). */
export function scanGlobals(root: string, files: string[]): string[] {
  if (files.length === 0) return [];
  const program = ts.createProgram(
    files.map((f) => path.join(root, f)),
    OPTIONS,
  );
  const checker = program.getTypeChecker();
  const out = new Set<string>();
  for (const rel of files) {
    const sf = program.getSourceFile(path.join(root, rel));
    if (!sf) {
      out.add(`${rel} could not be read by the TypeScript scan`);
      continue;
    }
    const report = (node: TS.Node, what: string) => {
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      out.add(`${rel}:${line} uses ${what}`);
    };
    const isGlobal = (id: TS.Identifier): boolean => {
      const p = id.parent;
      const symbol =
        ts.isShorthandPropertyAssignment(p) && p.name === id
          ? checker.getShorthandAssignmentValueSymbol(p)
          : checker.getSymbolAtLocation(id);
      if (!symbol) return true;
      return (symbol.declarations ?? []).every(declaresGlobal);
    };
    const visit = (node: TS.Node): void => {
      if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) report(node, 'import.meta');
      else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) report(node, 'import()');
      else if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
        const member = ts.isPropertyAccessExpression(node)
          ? node.name.text
          : ts.isStringLiteralLike(node.argumentExpression)
            ? node.argumentExpression.text
            : undefined;
        if (member === 'constructor') report(node, '.constructor');
        else if (member && BANNED_IMPORT_NAMES.has(member)) report(node, `${member} (randomness)`);
        else if (member && bannedMember(importSource(checker, node.expression), member))
          report(node, `${member} (reads the working directory)`);
      } else if (ts.isImportSpecifier(node) || ts.isExportSpecifier(node)) {
        const imported = (node.propertyName ?? node.name).text;
        if (BANNED_IMPORT_NAMES.has(imported)) report(node, `${imported} (randomness)`);
        else if (bannedMember(specifierModule(node), imported)) report(node, `${imported} (reads the working directory)`);
      } else if (ts.isIdentifier(node) && !isNameOnly(node)) {
        const name = node.text;
        if (BANNED_GLOBALS.has(name) && isGlobal(node)) report(node, name);
        else if (Object.hasOwn(GUARDED_GLOBALS, name) && isGlobal(node)) {
          const why = guardedUse(node, name);
          if (why) report(node, why);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return [...out].sort();
}
