// Hostile bodies for the property tests: the mutations of arbitraries.ts
// applied to a copy of a payload, serialised (deep nesting is spliced into the
// text, deeper than JSON.stringify goes), with what was written and where.
import type { How, Json, Mutation, Seg } from './arbitraries.ts';

export type { Json, Mutation, Seg } from './arbitraries.ts';
export { mutations } from './arbitraries.ts';

/** Every node of a body with its path, the body itself first. */
export function nodes(body: Json, path: Seg[] = [], out: { path: Seg[]; value: Json }[] = []) {
  out.push({ path, value: body });
  if (Array.isArray(body)) for (const [i, v] of body.entries()) nodes(v, [...path, i], out);
  else if (body && typeof body === 'object') for (const [k, v] of Object.entries(body)) nodes(v, [...path, k], out);
  return out;
}

export interface Shape {
  all: Seg[][];
  strings: Seg[][];
  numbers: Seg[][];
  objects: Seg[][];
  arrays: Seg[][];
  /** members of objects and arrays (what can be deleted or renamed) */
  members: Seg[][];
}

export function shapeOf(body: Json): Shape {
  const all = nodes(body);
  const pick = (f: (v: Json) => boolean) => all.filter((n) => f(n.value)).map((n) => n.path);
  return {
    all: all.map((n) => n.path),
    strings: pick((v) => typeof v === 'string'),
    numbers: pick((v) => typeof v === 'number'),
    objects: pick((v) => v !== null && typeof v === 'object' && !Array.isArray(v)),
    arrays: pick(Array.isArray),
    members: all.filter((n) => n.path.length > 0).map((n) => n.path),
  };
}

/** Own, enumerable, even for "__proto__". */
function put(obj: Json, key: Seg, v: Json): void {
  Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
}

function parentOf(body: Json, path: Seg[]): Json | undefined {
  let node = body;
  for (const seg of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, seg)) return undefined;
    node = node[seg];
  }
  const last = path.at(-1);
  return node !== null && typeof node === 'object' && last !== undefined && Object.hasOwn(node, last) ? node : undefined;
}

function combine(original: string, how: How, text: string): string {
  if (how === 'append') return original + text;
  if (how === 'prepend') return text + original;
  if (how === 'replace') return text;
  const mid = Math.floor(original.length / 2);
  return original.slice(0, mid) + text + original.slice(mid);
}

/** The i-th variant of a string that stays the same kind of value (address, prefix, MAC) where it can. */
export function vary(s: string, i: number): string {
  const v4 = /^(\d+)\.\d+\.\d+\.\d+(\/\d+)?$/.exec(s);
  if (v4) return `${v4[1]}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}${v4[2] ?? ''}`;
  const v6 = /^([0-9a-f:]*::?)[0-9a-f]*(\/\d+)?$/i.exec(s);
  if (v6 && s.includes(':') && !/^([0-9a-f]{2}:){5}/i.test(s)) return `${v6[1]}${(i + 1).toString(16)}${v6[2] ?? ''}`;
  if (/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(s))
    return `${s.slice(0, 9)}${[i >> 16, i >> 8, i].map((b) => (b & 255).toString(16).padStart(2, '0')).join(':')}`;
  return `${s}-${i}`;
}

function varied(v: Json, i: number): Json {
  if (typeof v === 'string') return vary(v, i);
  if (Array.isArray(v)) return v.map((x) => varied(x, i));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [/^[\d.:a-f]+$/i.test(k) ? vary(k, i) : k, varied(x, i)]));
  return v;
}

const pickPath = (list: Seg[][], i: number): Seg[] | undefined => (list.length ? list[i % list.length] : undefined);
const DEEP = '\u0001deep:';
const MAX_GROWTH = 500_000;

export interface Mutated {
  /** the body as sent */
  text: string;
  /** the body as parsed back (what the agent sees) */
  body: Json;
  /** every string the mutations wrote (values and keys), for the injection checks */
  written: string[];
  /** what was done where, for a failure message: "delete networks.2.subnets" */
  applied: string[];
}

const short = (v: Json) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…(${s.length} chars)` : s;
};

/** Applies the mutations to a copy of `base` (whose shape is `shape`) and serialises it. */
export function applyMutations(base: Json, shape: Shape, list: Mutation[]): Mutated {
  let body = structuredClone(base);
  const written: string[] = [];
  const deep: string[] = [];
  const applied: string[] = [];
  const note = (v: Json) => {
    for (const n of nodes(v)) {
      if (typeof n.value === 'string') written.push(n.value);
      const k = n.path.at(-1);
      if (typeof k === 'string') written.push(k);
    }
  };
  for (const m of list) {
    if (m.op === 'everyString') {
      for (const p of shape.strings) {
        const parent = parentOf(body, p);
        if (parent && typeof parent[p.at(-1) as Seg] === 'string')
          parent[p.at(-1) as Seg] = combine(parent[p.at(-1) as Seg], m.how, m.text);
      }
      written.push(m.text);
      applied.push(`${m.how} ${short(m.text)} to every string`);
      continue;
    }
    const list =
      m.op === 'string' ? shape.strings
      : m.op === 'number' ? shape.numbers.length ? shape.numbers : shape.members
      : m.op === 'extra' ? shape.objects
      : m.op === 'grow' ? shape.arrays
      : m.op === 'flip' ? shape.all
      : shape.members; // biome-ignore format: a table
    const path = pickPath(list, m.at);
    if (!path) continue;
    const where = path.join('.') || '(body)';
    applied.push(
      m.op === 'extra' ? `extra key ${short(m.key)}: ${short(m.value)} in ${where}`
      : m.op === 'string' || m.op === 'key' ? `${m.op} ${where}: ${m.how} ${short(m.text)}`
      : m.op === 'flip' || m.op === 'number' ? `${m.op} ${where} to ${short(m.to)}`
      : m.op === 'nest' ? `nest ${where} ${m.depth} deep (${m.kind})`
      : m.op === 'grow' ? `grow ${where} to ${m.length} (${m.fill})`
      : `delete ${where}`,
    ); // biome-ignore format: a table
    if (m.op === 'flip' && path.length === 0) {
      body = structuredClone(m.to);
      note(m.to);
      continue;
    }
    if (m.op === 'extra') {
      const target = path.length ? parentOf(body, path)?.[path.at(-1) as Seg] : body;
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        put(target, m.key, structuredClone(m.value));
        note({ [m.key]: m.value });
      }
      continue;
    }
    const parent = parentOf(body, path);
    if (!parent) continue;
    const last = path.at(-1) as Seg;
    const current = parent[last];
    switch (m.op) {
      case 'string':
        if (typeof current === 'string') parent[last] = combine(current, m.how, m.text);
        written.push(m.text);
        if (typeof parent[last] === 'string') written.push(parent[last]);
        break;
      case 'flip':
      case 'number':
        parent[last] = structuredClone(m.to);
        note(m.to);
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(last as number, 1);
        else delete parent[last];
        break;
      case 'key': {
        if (Array.isArray(parent)) break;
        const key = combine(String(last), m.how, m.text);
        const entries = Object.entries(parent).map(([k, v]) => [k === last ? key : k, v] as const);
        for (const k of Object.keys(parent)) delete parent[k];
        for (const [k, v] of entries) put(parent, k, v);
        written.push(key, m.text);
        break;
      }
      case 'nest':
        parent[last] = `${DEEP}${m.kind}:${m.depth}`;
        deep.push(parent[last]);
        break;
      case 'grow': {
        if (!Array.isArray(current)) break;
        const seedList = current.length ? current : ['x'];
        // at most about 500 kB more: size is not the point here (the contract tests cover 413)
        const itemBytes = Math.max(1, ...seedList.map((x) => JSON.stringify(x).length));
        const length = Math.min(m.length, Math.max(2, Math.floor(MAX_GROWTH / itemBytes)));
        const grown: Json[] = [];
        for (let i = 0; i < length; i++) {
          const item = seedList[i % seedList.length];
          grown.push(m.fill === 'copy' ? item : m.fill === 'distinct' ? varied(item, i) : i % 3 === 0 ? i : `${i}`);
        }
        parent[last] = grown;
        break;
      }
    }
  }
  let text = JSON.stringify(body);
  for (const d of deep) {
    const [, kind, depth] = d.split(':');
    const [open, close] = kind === 'array' ? ['[', ']'] : ['{"a":', '}'];
    const n = Number(depth);
    // the whole string literal holding the marker: string mutations may have put text around it
    const literal = new RegExp(`"(?:[^"\\\\]|\\\\.)*?${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:[^"\\\\]|\\\\.)*?"`);
    text = text.replace(literal, () => `${open.repeat(n)}${kind === 'array' ? '1' : 'null'}${close.repeat(n)}`);
  }
  return { text, body: deep.length ? JSON.parse(text) : body, written, applied };
}
