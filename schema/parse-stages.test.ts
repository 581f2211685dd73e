// The schema's checks run a few networks a stage (shapeStages); the result must
// be exactly what one parse of configSchema gives: the same data, or the same
// issues in the same order. Checked on every golden payload, on edge cases of
// the networks list, and on payloads mutated by the hostile suites' generator.
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { payload } from '../test/api/kit.ts';
import { goldenCases } from '../test/golden-cases.ts';
import { applyMutations, mutations, shapeOf } from '../test/hostile/mutate.ts';
import { hostileSeed } from '../test/hostile/seed.ts';
import { fromZod, type Issue, MAX_ISSUES } from './issues.ts';
import { bodyObject, defaultInterfaceMap, modelStages, type Refused, type Shaped, shapeConfiguration, shapeStages } from './parse.ts';
import { configSchema } from './payload.ts';
import { entriesOf, STAGE_ENTRIES } from './stages.ts';

/** shapeConfiguration as one parse of configSchema (what it was before the stages) */
function onePass(raw: unknown): Shaped | Refused {
  const object = bodyObject(raw);
  if (!object.ok) return object;
  const { body, wrapped } = object;
  const under = (issues: Issue[]) =>
    wrapped ? issues.map((i) => ({ ...i, path: i.path === '(body)' ? 'configuration' : `configuration.${i.path}` })) : issues;
  let r: ReturnType<typeof configSchema.safeParse>;
  try {
    r = configSchema.safeParse(body);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return { ok: false, issues: under([{ path: '(body)', message: 'has too many invalid values to list them' }]) };
  }
  if (!r.success) return { ok: false, issues: under(fromZod(r.error)) };
  return { ok: true, body: body as Record<string, unknown>, data: r.data, wrapped };
}

function same(raw: unknown, label: string): void {
  const staged = shapeConfiguration(raw);
  const one = onePass(raw);
  assert.equal(staged, one, label);
}

/** how many times the checks of a body let other work in */
function pausesOf(raw: unknown): number {
  const stages = shapeStages(raw);
  let pauses = 0;
  for (let r = stages.next(); !r.done; r = stages.next()) pauses += 1;
  return pauses;
}

test('every golden payload: the same data as one parse', () => {
  for (const name of goldenCases()) {
    const body = payload(name);
    same(body, name);
    same({ configuration: body }, `${name}, wrapped`);
    const shaped = shapeConfiguration(body);
    assert.ok(shaped.ok, `${name} is valid`);
  }
});

test("the checks pause after the body's own keys, then every STAGE_ENTRIES entries of its networks", () => {
  assert.is(pausesOf(payload('seed-example')), 1, "seed-example: after the body's own keys only");
  const large = payload('large-scale');
  const sizes: number[] = large.networks.map(entriesOf);
  const total = sizes.reduce((a, b) => a + b, 0);
  const biggest = Math.max(...sizes);
  const pauses = pausesOf(large);
  assert.ok(total > 4 * STAGE_ENTRIES, `large-scale has ${total} entries`);
  assert.ok(pauses >= 1 + Math.floor(total / (STAGE_ENTRIES + biggest)), `large-scale: ${pauses} pauses for ${total} entries`);
  assert.ok(pauses <= 1 + Math.ceil(total / STAGE_ENTRIES), `large-scale: ${pauses} pauses for ${total} entries`);
  // the lists inside a network count: 200 networks of 50 addresses each are not one stage
  const wide = payload('seed-example');
  const net = wide.networks[0];
  const addresses = Array.from({ length: 50 }, (_, i) => `10.9.${i}.1/24`);
  wide.networks = Array.from({ length: 200 }, (_, i) => ({ ...net, network_id: `n${i}`, interface: { ...net.interface, addresses } }));
  assert.ok(pausesOf(wide) >= 40, `200 networks of 50 addresses: ${pausesOf(wide)} pauses`);
});

test('configSchema has no check of the whole object, which the staged checks would run on unchecked networks', () => {
  assert.equal(configSchema._zod.def.checks ?? [], []);
});

test('the one difference: a network with too many issues for one parse gets its first 500 listed', () => {
  const body = payload('seed-example');
  body.networks[0].allocations = Array.from({ length: 45_000 }, () => ({}));
  const one = onePass(body);
  assert.equal(
    one,
    { ok: false, issues: [{ path: '(body)', message: 'has too many invalid values to list them' }] },
    'one parse overflows',
  );
  const staged = shapeConfiguration(body);
  assert.ok(!staged.ok);
  if (staged.ok) return;
  assert.is(staged.issues.length, MAX_ISSUES);
  assert.ok(
    staged.issues.every((i) => i.path.startsWith('networks.0.allocations.')),
    staged.issues[0]?.path,
  );
});

test('the model of a large body is built in several stages, a small one in one', () => {
  const count = (body: unknown) => {
    const shaped = shapeConfiguration(body);
    if (!shaped.ok) throw new Error('a valid body');
    const stages = modelStages(shaped, defaultInterfaceMap());
    let pauses = 0;
    for (let r = stages.next(); !r.done; r = stages.next()) pauses += 1;
    return pauses;
  };
  assert.is(count(payload('seed-example')), 0);
  assert.ok(count(payload('large-scale')) >= 5, `large-scale: ${count(payload('large-scale'))} pauses`);
});

test('the networks list: not a list, too long, bad entries, with bad keys before and after it', () => {
  const seed = payload('seed-example');
  const bad = (n: Record<string, unknown>, i: number) =>
    i % 2 ? { ...n, network_id: 'bad id!', interface: { ifname: 'eth0' } } : { ...n, subnets: [{ cidr: 'nope' }] };
  const variants: [string, unknown][] = [
    ['networks is a number', { ...seed, networks: 5 }],
    ['networks is null', { ...seed, networks: null }],
    ['networks is an object', { ...seed, networks: { a: 1 } }],
    ['networks is left out', (({ networks: _, ...rest }) => rest)(seed)],
    ['networks is undefined', { ...seed, networks: undefined }],
    ['networks is empty', { ...seed, networks: [] }],
    ['entries that are no objects', { ...seed, networks: [null, 'x', 3, [], ...seed.networks] }],
    ['bad entries', { ...seed, networks: seed.networks.map(bad) }],
    ['bad keys before and after the networks', { ...seed, asn: -1, default_v4_gateway: 'x', hostname: '-bad-', floating_ips: 'x' }],
    ['bad keys and bad entries', { ...seed, asn: 'x', networks: seed.networks.map(bad), vpn: 1, labels: { '!': ['x'] } }],
    ['a list too long, with bad entries', { ...seed, networks: Array.from({ length: 4097 }, (_, i) => bad(seed.networks[0], i)) }],
    ['a list too long, and a bad key after it', { ...seed, networks: Array(4097).fill(seed.networks[0]), tenant_id: '!' }],
    ['unknown keys everywhere', { ...seed, extra: 1, networks: seed.networks.map((n: object) => ({ ...n, extra: [1] })) }],
  ];
  for (const [label, body] of variants) {
    same(body, label);
    same({ configuration: body }, `${label}, wrapped`);
  }
  const many = payload('large-scale');
  for (const n of many.networks) if (n.allocations?.[0]) n.allocations[0].mac_address = 'nope';
  many.asn = 0;
  many.floating_ips[3].fixed_ip = 'nope';
  same(many, 'large-scale with a bad entry in every network, a bad key before and one after');
});

test('payloads mutated as the hostile suites do: the same result as one parse', () => {
  const cases = goldenCases().filter((c) => c !== 'large-scale');
  const bases = new Map(cases.map((c) => [c, { body: payload(c), shape: shapeOf(payload(c)) }]));
  fc.assert(
    fc.property(fc.constantFrom(...cases), mutations, (name, muts) => {
      const base = bases.get(name) as { body: unknown; shape: ReturnType<typeof shapeOf> };
      const m = applyMutations(base.body, base.shape, muts);
      same(m.body, `${name}: ${m.applied.join('; ')}`);
    }),
    { numRuns: Number(process.env.HOSTILE_RUNS ?? 2000), seed: hostileSeed() },
  );
});

test.run();
