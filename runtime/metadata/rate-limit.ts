// Per-source rate limiting: a token bucket per (network, source address), so one VM that
// loops on the endpoint cannot keep the orchestrator busy.

import type { RateLimit } from './options.ts';

/** A token bucket on a caller-supplied clock (ms), so tests need no real time. */
export class TokenBucket {
  readonly #limit: RateLimit;
  #tokens: number;
  #updatedMs: number;

  constructor(limit: RateLimit, nowMs: number) {
    this.#limit = limit;
    this.#tokens = limit.burst;
    this.#updatedMs = nowMs;
  }

  /** Takes a token: 0 when granted, else the ms until one will be available. */
  take(nowMs: number): number {
    this.#refill(nowMs);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.#limit.perSecond);
  }

  /** A full bucket behaves like a new one, so it can be forgotten. */
  isFull(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.#limit.burst;
  }

  #refill(nowMs: number): void {
    // A clock that steps back must not mint tokens or stall the bucket.
    const elapsed = Math.max(0, nowMs - this.#updatedMs);
    this.#tokens = Math.min(this.#limit.burst, this.#tokens + (elapsed * this.#limit.perSecond) / 1000);
    this.#updatedMs = Math.max(this.#updatedMs, nowMs);
  }
}

/** One token bucket per key, with a bounded number of keys. */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(limit: RateLimit, now: () => number, maxKeys = 10_000) {
    if (!(limit.burst >= 1) || !(limit.perSecond > 0)) {
      throw new RangeError('rate limit needs burst >= 1 and perSecond > 0');
    }
    this.#limit = { burst: limit.burst, perSecond: limit.perSecond };
    this.#now = now;
    this.#maxKeys = maxKeys;
  }

  /** 0 when the request may proceed, else the seconds to wait (a Retry-After value). */
  check(key: string): number {
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      this.#makeRoom(now);
      bucket = new TokenBucket(this.#limit, now);
      this.#buckets.set(key, bucket);
    }
    const waitMs = bucket.take(now);
    return waitMs === 0 ? 0 : Math.max(1, Math.ceil(waitMs / 1000));
  }

  /** Number of keys tracked (for tests and introspection). */
  get size(): number {
    return this.#buckets.size;
  }

  // Sources come from tenant subnets, which can be large, so memory is bounded: idle
  // (full) buckets go first; failing that the oldest key, which merely resets its budget.
  #makeRoom(now: number): void {
    if (this.#buckets.size < this.#maxKeys) return;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.isFull(now)) this.#buckets.delete(key);
    }
    if (this.#buckets.size >= this.#maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (!oldest.done) this.#buckets.delete(oldest.value);
    }
  }
}
