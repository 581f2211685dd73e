// The Coalescer on its own: one job at a time, the newest pending job wins,
// every waiter gets the outcome of the job that ran for it, errors propagate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Coalescer } from './coalescer.ts';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A job runner whose jobs finish only when the test says so. */
function controlled<T>() {
  const started: { input: T; done: Deferred<string> }[] = [];
  let active = 0;
  let maxActive = 0;
  const run = async (input: T) => {
    active += 1;
    maxActive = Math.max(maxActive, active);
    const done = deferred<string>();
    started.push({ input, done });
    try {
      return await done.promise;
    } finally {
      active -= 1;
    }
  };
  return {
    run,
    started,
    get active() {
      return active;
    },
    get maxActive() {
      return maxActive;
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

/** Settled state of a promise without waiting for it. */
function watch<T>(p: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

test('a single job runs at once and its caller gets the result', async () => {
  const c = new Coalescer(async (n: number) => n * 2);
  assert.is(c.busy, false);
  assert.is(await c.submit(21), 42);
  assert.is(c.busy, false);
});

test('one at a time: a job submitted while another runs waits for it', async () => {
  const ctl = controlled<string>();
  const c = new Coalescer(ctl.run);
  const a = watch(c.submit('a'));
  await tick();
  assert.is(c.busy, true);
  const b = watch(c.submit('b'));
  await tick();
  assert.equal(
    ctl.started.map((s) => s.input),
    ['a'],
    'b must not start while a runs',
  );
  ctl.started[0]?.done.resolve('A');
  await tick();
  assert.equal(a, { settled: true, value: 'A' });
  assert.is(b.settled, false);
  assert.equal(
    ctl.started.map((s) => s.input),
    ['a', 'b'],
  );
  ctl.started[1]?.done.resolve('B');
  await tick();
  assert.equal(b, { settled: true, value: 'B' });
  assert.is(ctl.maxActive, 1);
  assert.is(c.busy, false);
});

test('the newest pending job wins and every waiter gets its result', async () => {
  const ctl = controlled<string>();
  const c = new Coalescer(ctl.run);
  const first = watch(c.submit('1'));
  await tick();
  const waiters = ['2', '3', '4', '5'].map((x) => watch(c.submit(x)));
  await tick();
  ctl.started[0]?.done.resolve('result 1');
  await tick();
  assert.equal(first, { settled: true, value: 'result 1' });
  // 2, 3 and 4 were superseded before they started: only 5 runs
  assert.equal(
    ctl.started.map((s) => s.input),
    ['1', '5'],
  );
  for (const w of waiters) assert.is(w.settled, false);
  ctl.started[1]?.done.resolve('result 5');
  await tick();
  for (const w of waiters) assert.equal(w, { settled: true, value: 'result 5' });
  assert.is(ctl.started.length, 2);
  assert.is(ctl.maxActive, 1);
});

test('jobs submitted while the coalesced job runs form the next batch', async () => {
  const ctl = controlled<string>();
  const c = new Coalescer(ctl.run);
  const a = watch(c.submit('a'));
  await tick();
  const b = watch(c.submit('b'));
  const b2 = watch(c.submit('b2'));
  ctl.started[0]?.done.resolve('A');
  await tick();
  const d = watch(c.submit('d'));
  const e = watch(c.submit('e'));
  await tick();
  assert.equal(
    ctl.started.map((s) => s.input),
    ['a', 'b2'],
  );
  ctl.started[1]?.done.resolve('B2');
  await tick();
  ctl.started[2]?.done.resolve('E');
  await tick();
  assert.equal(
    ctl.started.map((s) => s.input),
    ['a', 'b2', 'e'],
  );
  assert.equal([a.value, b.value, b2.value, d.value, e.value], ['A', 'B2', 'B2', 'E', 'E']);
  assert.is(ctl.maxActive, 1);
});

test('an error reaches every waiter of the failed job, and the queue goes on', async () => {
  const ctl = controlled<string>();
  const c = new Coalescer(ctl.run);
  const a = watch(c.submit('a'));
  await tick();
  const b = watch(c.submit('b'));
  const b2 = watch(c.submit('b2'));
  ctl.started[0]?.done.reject(new Error('boom a'));
  await tick();
  assert.is(a.settled, true);
  assert.is((a.error as Error).message, 'boom a');
  ctl.started[1]?.done.reject(new Error('boom b2'));
  await tick();
  assert.is((b.error as Error).message, 'boom b2');
  assert.is((b2.error as Error).message, 'boom b2');
  assert.is(c.busy, false);
  // still usable
  const d = c.submit('d');
  await tick();
  ctl.started[2]?.done.resolve('D');
  assert.is(await d, 'D');
});

test('a runner that throws synchronously is an error for its waiters, not a crash', async () => {
  let calls = 0;
  const c = new Coalescer((n: number): Promise<number> => {
    calls += 1;
    if (n < 0) throw new Error('negative');
    return Promise.resolve(n);
  });
  try {
    await c.submit(-1);
    assert.unreachable();
  } catch (err) {
    assert.is((err as Error).message, 'negative');
  }
  assert.is(c.busy, false);
  assert.is(await c.submit(3), 3);
  assert.is(calls, 2);
});

test('many concurrent submitters: never more than one job at a time, everyone answered', async () => {
  let active = 0;
  let maxActive = 0;
  const ran: number[] = [];
  const c = new Coalescer(async (n: number) => {
    active += 1;
    maxActive = Math.max(maxActive, active);
    await new Promise((r) => setTimeout(r, 2));
    ran.push(n);
    active -= 1;
    return n;
  });
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => c.submit(i)));
  assert.is(maxActive, 1);
  assert.is(results[0], 0);
  assert.is(ran.at(-1), 49, 'the last submitted job runs last');
  // every caller got the result of a job submitted no earlier than its own
  for (const [i, r] of results.entries()) assert.ok(r >= i, `caller ${i} got ${r}`);
  assert.ok(ran.length < 50, 'pending jobs were coalesced');
});

test.run();
