// The schema kit's background load: once, at the soonest time asked for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { warmer } from './schema-load.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an answer brings the load forward from the start-up delay, and it happens once', async () => {
  let loads = 0;
  const warm = warmer(
    async () => {
      loads += 1;
    },
    { answer: 20, start: 400 },
  );
  const fail = (err: unknown) => assert.unreachable(String(err));
  warm('start', fail);
  await sleep(5);
  assert.is(loads, 0);
  warm('answer', fail);
  warm('answer', fail);
  await sleep(60);
  assert.is(loads, 1, 'loaded about 20 ms after the answer, not 400 after start-up');
  warm('answer', fail);
  warm('start', fail);
  await sleep(450);
  assert.is(loads, 1, 'never again');
});

test('a later, slower ask does not put the load off', async () => {
  let loads = 0;
  const warm = warmer(
    async () => {
      loads += 1;
    },
    { answer: 20, start: 400 },
  );
  warm('answer', () => {});
  warm('start', () => {});
  await sleep(60);
  assert.is(loads, 1);
});

test('a failed load is reported', async () => {
  const errors: unknown[] = [];
  const warm = warmer(() => Promise.reject(new Error('no chunk')), { answer: 1, start: 1 });
  warm('answer', (err) => errors.push(err));
  await sleep(30);
  assert.is(errors.length, 1);
  assert.match(String(errors[0]), /no chunk/);
});

test.run();
