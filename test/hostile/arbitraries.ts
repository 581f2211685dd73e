// Hostile mutations as fast-check arbitraries: what to do (type flips,
// missing and extra keys, huge and unicode strings, newlines and config or
// shell metacharacters in string fields and keys, out-of-range numbers, deep
// nesting, huge arrays) and where, as an index into a payload's nodes, so one
// description applies to any payload and shrinks well. mutate.ts applies them.
import fc from 'fast-check';

// biome-ignore lint/suspicious/noExplicitAny: bodies are free-form JSON
export type Json = any;
export type Seg = string | number;

/** Line breaks as the tools might read them, and characters that end a C string. */
const BREAKS = ['\n', '\r\n', '\r', '\n\n', '\u2028', '\u0085', '\u0000', '\v', '\f'];

/** Lines that would do harm if they reached a config file, an ip batch or a shell (each carries INJ). */
const LINES = [
  'server=/INJ/203.0.113.66',
  'dhcp-option=INJ,6,203.0.113.66',
  'conf-file=/tmp/INJ',
  '-A INPUT -j ACCEPT -m comment --comment INJ',
  '*filter INJ',
  'COMMIT # INJ',
  'protocol static INJ { }',
  '}; include "/tmp/INJ"; {',
  'route add 203.0.113.0/24 dev lo # INJ',
  'address add 203.0.113.66/32 dev lo # INJ',
  '203.0.113.66 INJ.example',
  '$(touch /tmp/INJ)',
  '`touch /tmp/INJ`',
  '; touch /tmp/INJ #',
  '&& touch /tmp/INJ',
  '| touch /tmp/INJ',
  'INJ',
];

/** Single metacharacters and short sequences of config syntaxes and shells. */
const META = [
  ';', '&', '&&', '|', '||', '`', '$(', ')', '$' + '{IFS}', '$', '>', '<', "'", '"', '\\', '#', '{', '}', '[', ']', ',', '=',
  ' ', '\t', '%s', '%n', '../', '/', '*', '?', '~', '!', '-', '--', '/32', '::', '%eth0', '0x', '\u202e', '\u200b', '\ufeff',
  '\ud800', '\udfff', 'é', 'ｇｅ０', 'gе0', '１０.０.０.１', '😀', '\u0301', '\u00a0',
]; // biome-ignore format: a table

const NUMBERS = [
  -1, 0, 1, -0, 0.5, 1.5, 67, 68, 255, 256, 1280, 9000, 9001, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1,
  2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, -1e308, 5e-324, 4294967296,
]; // biome-ignore format: a table

export type How = 'append' | 'prepend' | 'replace' | 'middle';

export type Mutation =
  | { op: 'flip'; at: number; to: Json }
  | { op: 'delete'; at: number }
  | { op: 'extra'; at: number; key: string; value: Json }
  | { op: 'string'; at: number; how: How; text: string }
  | { op: 'key'; at: number; how: How; text: string }
  | { op: 'everyString'; how: How; text: string }
  | { op: 'number'; at: number; to: Json }
  | { op: 'nest'; at: number; depth: number; kind: 'array' | 'object' }
  | { op: 'grow'; at: number; length: number; fill: 'copy' | 'distinct' | 'random' };

const injection = fc.tuple(fc.constantFrom(...BREAKS), fc.constantFrom(...LINES)).map(([b, l]) => b + l);
const meta = fc.array(fc.constantFrom(...META), { minLength: 1, maxLength: 4 }).map((a) => a.join(''));
const unicode = fc.string({ unit: 'binary', minLength: 1, maxLength: 24 });
const huge = fc
  .tuple(
    fc.constantFrom('a', '1', '.', ':', '/', '\n', 'é', '😀', '\u0000', ' ', 'ge0', '10.0.0.1 '),
    fc.integer({ min: 256, max: 100_000 }),
  )
  .map(([c, n]) => c.repeat(Math.ceil(n / c.length)));

/** A string to put into a field: an injected line, metacharacters, unicode, or a huge run. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: injection, weight: 4 },
  { arbitrary: meta, weight: 3 },
  { arbitrary: fc.tuple(meta, injection).map(([m, i]) => m + i), weight: 1 },
  { arbitrary: unicode, weight: 2 },
  { arbitrary: huge, weight: 1 },
);

const how = fc.constantFrom<How>('append', 'prepend', 'replace', 'middle');
const at = fc.nat();
const value: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(null, true, false, 0, 1, -1, '', 'x', [], {}, [null], { '': null }, '0', 'true', 'null'),
  hostileText,
  fc.jsonValue({ maxDepth: 2 }),
);
const extraKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'ifname', 'network_type', '0', '', 'vpn'),
  hostileText,
  fc.string({ maxLength: 12 }),
);
const number = fc.oneof(
  fc.constantFrom(...NUMBERS),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(...NUMBERS).map(String),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('string' as const), at, how, text: hostileText }), weight: 30 },
  { arbitrary: fc.record({ op: fc.constant('flip' as const), at, to: value }), weight: 14 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), at }), weight: 10 },
  { arbitrary: fc.record({ op: fc.constant('extra' as const), at, key: extraKey, value }), weight: 10 },
  { arbitrary: fc.record({ op: fc.constant('key' as const), at, how, text: hostileText }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('number' as const), at, to: number }), weight: 12 },
  { arbitrary: fc.record({ op: fc.constant('everyString' as const), how, text: fc.oneof(injection, meta, unicode) }), weight: 6 },
  {
    arbitrary: fc.record({
      op: fc.constant('nest' as const),
      at,
      depth: fc.oneof(
        { arbitrary: fc.integer({ min: 2, max: 300 }), weight: 3 },
        { arbitrary: fc.integer({ min: 1000, max: 20_000 }), weight: 1 },
      ),
      kind: fc.constantFrom<'array' | 'object'>('array', 'object'),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('grow' as const),
      at,
      length: fc.oneof(
        { arbitrary: fc.integer({ min: 2, max: 300 }), weight: 3 },
        { arbitrary: fc.integer({ min: 1000, max: 20_000 }), weight: 1 },
      ),
      fill: fc.constantFrom<'copy' | 'distinct' | 'random'>('copy', 'distinct', 'random'),
    }),
    weight: 3,
  },
);

export const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });
