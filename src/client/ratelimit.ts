// Rate limiters with client-go's shapes: per-item exponential backoff, an overall token bucket, and
// the max of several. `when(item)` answers how long to wait before the item may be retried.
import { type Clock, realClock } from './clock.js';

export interface RateLimiter<K> {
  /** Milliseconds to wait before `item` is processed again; records one more failure for it. */
  when(item: K): number;
  /** Clears the failure history of `item` (call on success). */
  forget(item: K): void;
  /** Failures recorded for `item` since the last forget. */
  numRequeues(item: K): number;
}

/** base * 2^failures, capped at max. client-go's controller default is 5 ms -> 1000 s. */
export class ExponentialBackoffLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}

  when(item: K): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    // 2^n overflows to Infinity only past n=1023; cap early to keep the math exact.
    if (n >= 53) return this.maxMs;
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  forget(item: K): void {
    this.failures.delete(item);
  }

  numRequeues(item: K): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * A token bucket holding up to `burst` tokens, refilled at `qps` per second. reserve() always takes a
 * token and answers how long the caller must wait for it (the bucket may go into debt, as Go's
 * rate.Limiter.Reserve does), so waiting callers are served in order.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError('TokenBucket needs qps > 0 and burst >= 1');
    this.tokens = burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
      this.last = now;
    }
  }

  /** Takes one token; returns the milliseconds until it is really available (0 when at once). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.qps);
  }

  /** Takes one token only if one is available now. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The overall limit shared by every item (client-go's BucketRateLimiter). */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  readonly bucket: TokenBucket;

  constructor(qps = 10, burst = 100, clock: Clock = realClock) {
    this.bucket = new TokenBucket(qps, burst, clock);
  }

  when(_item: K): number {
    return this.bucket.reserve();
  }

  forget(_item: K): void {}

  numRequeues(_item: K): number {
    return 0;
  }
}

/** The longest wait any of the limiters asks for. */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(item: K): number {
    let ms = 0;
    for (const l of this.limiters) ms = Math.max(ms, l.when(item));
    return ms;
  }

  forget(item: K): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: K): number {
    let n = 0;
    for (const l of this.limiters) n = Math.max(n, l.numRequeues(item));
    return n;
  }
}

export interface ControllerRateLimiterOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  qps?: number;
  burst?: number;
}

/** client-go's DefaultControllerRateLimiter: per-item 5 ms..1000 s backoff and an overall 10 qps / burst 100. */
export function defaultControllerRateLimiter<K>(
  clock: Clock = realClock,
  o: ControllerRateLimiterOptions = {},
): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ExponentialBackoffLimiter<K>(o.baseDelayMs ?? 5, o.maxDelayMs ?? 1_000_000),
    new BucketRateLimiter<K>(o.qps ?? 10, o.burst ?? 100, clock),
  );
}
