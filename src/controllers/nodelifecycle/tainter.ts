// The per-zone NoExecute tainting queue: upstream's RateLimitedTimedQueue over a token bucket (burst 1).
// A node stays "known" after it was processed until remove() is called, so it is tainted once per outage.

/** Token bucket with burst 1: full when created, refilled at `qps`; qps <= 0 never accepts. */
export class TokenBucket {
  private tokens = 1;
  private last: number;

  constructor(
    readonly qps: number,
    now: number,
  ) {
    this.last = now;
  }

  private refill(now: number): void {
    if (this.qps > 0) this.tokens = Math.min(1, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  tryAccept(now: number): boolean {
    if (this.qps <= 0) return false;
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until a token is available (Infinity when the rate is 0). */
  msUntilToken(now: number): number {
    if (this.qps <= 0) return Number.POSITIVE_INFINITY;
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.qps) * 1000);
  }
}

interface Item {
  name: string;
  processAt: number;
}

export class ZoneTainter {
  private limiter: TokenBucket;
  private readonly queue: Item[] = [];
  private readonly known = new Set<string>();

  constructor(qps: number, now: number) {
    this.limiter = new TokenBucket(qps, now);
  }

  get qps(): number {
    return this.limiter.qps;
  }

  /** A new rate (a new, full bucket), unless it is the same rate. */
  swapLimiter(qps: number, now: number): void {
    if (qps === this.limiter.qps) return;
    this.limiter = new TokenBucket(qps, now);
  }

  /** Queues a node; false when it is queued or was processed and not removed since. */
  add(name: string, now: number): boolean {
    if (this.known.has(name)) return false;
    this.known.add(name);
    this.queue.push({ name, processAt: now });
    return true;
  }

  /** Forgets a node (queued or processed); true when it was known. */
  remove(name: string): boolean {
    const i = this.queue.findIndex((x) => x.name === name);
    if (i >= 0) this.queue.splice(i, 1);
    return this.known.delete(name);
  }

  get pending(): number {
    return this.queue.length;
  }

  /**
   * Processes queued nodes while the limiter allows (one token per attempt, as upstream). `fn` answers
   * whether the node is done; a node that is not goes back with a later processAt.
   */
  async tryProcess(now: () => number, fn: (name: string) => Promise<boolean>): Promise<void> {
    while (this.queue.length > 0) {
      if (!this.limiter.tryAccept(now())) return;
      const head = this.queue[0];
      if (now() < head.processAt) return;
      this.queue.shift();
      let done = false;
      try {
        done = await fn(head.name);
      } catch {
        done = false;
      }
      if (!done && this.known.has(head.name)) this.queue.push({ name: head.name, processAt: now() + 1 });
    }
  }

  /** When the next attempt could happen (ms from now), or undefined when nothing is queued. */
  nextAttemptIn(now: number): number | undefined {
    if (this.queue.length === 0) return undefined;
    return Math.max(this.limiter.msUntilToken(now), this.queue[0].processAt - now);
  }
}
