// What a hostile body's answer must look like, shared by the in-process
// property test and the namespace lab run: a refusal is {error, issues} with
// an issue naming a real JSON path of the body and no stack trace; an
// acceptance must not have carried a line of an injected string into a file,
// an ip batch or a command's arguments.
import type { Json } from './mutate.ts';

/** Record keys in issue paths are cut to this many characters (schema/issues.ts). */
const KEY_CUT = 64;

/**
 * Whether a dotted issue path names a place in the body: every segment an
 * existing member, except that the last may be a key missing from an existing
 * object (a required key left out). Keys may hold dots, and are cut to 64 characters.
 */
export function namesBodyPath(body: Json, path: string): boolean {
  if (path === '(body)') return true;
  const walk = (node: Json, rest: string): boolean => {
    if (rest === '') return true;
    if (node === null || typeof node !== 'object') return false;
    if (Array.isArray(node)) {
      const m = /^(\d+)(?:\.|$)/.exec(rest);
      if (!m) return false;
      const i = Number(m[1]);
      const after = rest.slice((m[0] as string).length);
      if (i < node.length) return walk(node[i], after);
      return false;
    }
    for (const key of Object.keys(node)) {
      const seg = key.slice(0, KEY_CUT);
      if (rest === seg) return true;
      if (rest.startsWith(`${seg}.`) && walk(node[key], rest.slice(seg.length + 1))) return true;
    }
    // a key the object lacks (a required one left out): only as the last segment
    return !rest.includes('.');
  };
  return walk(body, path);
}

const STACK = [/\n\s+at \S.*:\d+:\d+\)?/, /node:internal/, /node_modules/, /\.ts:\d+:\d+/, /file:\/\//];

export function stackTraceIn(text: string): string | null {
  for (const re of STACK) {
    const m = re.exec(text);
    if (m) return m[0];
  }
  return null;
}

/** Checks a 4xx answer's body; returns what is wrong, or null. `unreal` collects issue paths that name nothing in the body. */
export function refusalProblem(
  status: number,
  text: string,
  body: Json,
  bodyBytes: number,
  maxBytes: number,
  unreal?: string[],
): string | null {
  const trace = stackTraceIn(text);
  if (trace) return `a stack trace in the answer: ${trace}`;
  let answer: Json;
  try {
    answer = JSON.parse(text);
  } catch {
    return `the answer is not JSON: ${text.slice(0, 200)}`;
  }
  if (!answer || typeof answer !== 'object' || typeof answer.error !== 'string' || !answer.error) return 'no error message';
  if (!Array.isArray(answer.issues)) return 'no issues list';
  if (status === 413) return bodyBytes > maxBytes ? null : `413 for a body of ${bodyBytes} bytes`;
  if (status !== 422) return `status ${status}`;
  if (answer.issues.length === 0) return 'a 422 without issues';
  for (const i of answer.issues) {
    if (typeof i?.path !== 'string' || typeof i?.message !== 'string' || !i.message) return `a malformed issue: ${JSON.stringify(i)}`;
  }
  const real = answer.issues.filter((i: { path: string }) => namesBodyPath(body, i.path));
  for (const i of answer.issues) if (!real.includes(i)) unreal?.push(i.path);
  if (real.length === 0) return `no issue names a path of the body: ${JSON.stringify(answer.issues.slice(0, 3)).slice(0, 400)}`;
  return null;
}

/** The lines an injected string could add: what follows each line break, trimmed, long enough to be told apart. */
export function injectableLines(written: string[]): string[] {
  const out = new Set<string>();
  for (const s of written) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: line breaks and NUL are what is looked for
    const parts = s.split(/\r\n|[\n\r\u2028\u2029\u0085\v\f\u0000]/);
    for (const p of parts.slice(1)) {
      const t = p.trim();
      if (t.length >= 3) out.add(t.slice(0, 200));
    }
  }
  return [...out];
}

/**
 * A line of `after` (a file, an ip batch) that starts with an injectable line
 * and was not there before: what a newline smuggled in. Null when none.
 */
export function injectedLine(after: string, before: string, injectable: string[]): string | null {
  if (!injectable.length) return null;
  const old = new Set(before.split('\n'));
  for (const line of after.split('\n')) {
    if (old.has(line)) continue;
    const t = line.trimStart();
    const hit = injectable.find((i) => t.startsWith(i));
    if (hit) return line;
  }
  return null;
}

/** An argument of a command that holds a line break or a NUL: argv never should. */
export function badArgument(argv: string[]): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: line breaks and NUL are what is looked for
  return argv.find((a) => /[\n\r\u0000]/.test(a)) ?? null;
}
