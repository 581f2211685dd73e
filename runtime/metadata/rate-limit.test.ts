// Per-source rate limiting on an injected clock.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RateLimiter, TokenBucket } from './rate-limit.ts';

test('TokenBucket grants a burst, then refills at the rate', () => {
  const bucket = new TokenBucket({ burst: 2, perSecond: 4 }, 1000);
  assert.is(bucket.take(1000), 0);
  assert.is(bucket.take(1000), 0);
  assert.is(bucket.take(1000), 250); // one token every 250 ms
  assert.is(bucket.take(1100), 150);
  assert.is(bucket.take(1250), 0);
  assert.is(bucket.isFull(1250), false);
  assert.is(bucket.isFull(1750), true);
});

test('TokenBucket ignores a clock that steps back', () => {
  const bucket = new TokenBucket({ burst: 1, perSecond: 1 }, 5000);
  assert.is(bucket.take(5000), 0);
  assert.is(bucket.take(1000), 1000);
  assert.is(bucket.take(6000), 0);
});

test('RateLimiter answers Retry-After seconds per key', () => {
  let now = 0;
  const limiter = new RateLimiter({ burst: 2, perSecond: 0.5 }, () => now);
  assert.is(limiter.check('a'), 0);
  assert.is(limiter.check('a'), 0);
  assert.is(limiter.check('a'), 2);
  assert.is(limiter.check('b'), 0, 'keys are independent');
  now = 1500;
  assert.is(limiter.check('a'), 1, 'rounded up, never 0');
  now = 2000;
  assert.is(limiter.check('a'), 0);
});

test('RateLimiter bounds the keys it tracks', () => {
  let now = 0;
  const limiter = new RateLimiter({ burst: 1, perSecond: 1 }, () => now, 2);
  limiter.check('a');
  limiter.check('b');
  limiter.check('c'); // no bucket is idle yet: the oldest (a) goes
  assert.is(limiter.size, 2);
  assert.is(limiter.check('b'), 1, 'b kept its state');
  now = 10_000; // every bucket is full again: all are dropped to make room
  limiter.check('d');
  assert.is(limiter.size, 1);
});

test('RateLimiter rejects a budget that allows nothing', () => {
  assert.throws(() => new RateLimiter({ burst: 0, perSecond: 1 }, () => 0), /burst/);
  assert.throws(() => new RateLimiter({ burst: 1, perSecond: 0 }, () => 0), /perSecond/);
});

test.run();
