// A work queue with client-go's semantics: a key is queued at most once, never handed to two workers at
// once, and a key re-added while it is being processed is queued again when the worker calls done().
// Delayed adds (addAfter) and rate-limited adds (per-item backoff + overall bucket) sit in a timer heap
// until due. Time comes from an injected Clock.
import { type Clock, realClock, type TimerHandle } from './clock.js';
import { MinHeap } from './heap.js';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimit.js';

export interface WorkQueueOptions<K> {
  name?: string;
  clock?: Clock;
  /** Defaults to client-go's controller limiter (5 ms..1000 s per item, 10 qps burst 100 overall). */
  rateLimiter?: RateLimiter<K>;
}

/** Plain counters, read them directly. */
export interface WorkQueueMetrics {
  /** Keys queued and ready now. */
  depth: number;
  /** Every add() call that was accepted (before dedup). */
  adds: number;
  /** addRateLimited() calls. */
  retries: number;
  /** done() calls. */
  processed: number;
  /** Keys waiting for a delay (addAfter / addRateLimited). */
  waiting: number;
}

interface Delayed<K> {
  key: K;
  readyAt: number;
  seq: number;
}

/** FIFO of keys with O(1) push and shift. */
class Fifo<K> {
  private items: K[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(k: K): void {
    this.items.push(k);
  }

  shift(): K | undefined {
    if (this.head >= this.items.length) return undefined;
    const k = this.items[this.head];
    this.items[this.head++] = undefined as K;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return k;
  }
}

export class WorkQueue<K = string> {
  readonly name: string;
  readonly metrics: WorkQueueMetrics = { depth: 0, adds: 0, retries: 0, processed: 0, waiting: 0 };
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;
  private readonly queue = new Fifo<K>();
  /** Keys that need processing (queued, or re-added while processing). */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly getters: ((k: K | undefined) => void)[] = [];
  private readonly drainers: (() => void)[] = [];
  private shuttingDown = false;

  private readonly delayed = new MinHeap<Delayed<K>>(
    (a, b) => a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq),
  );
  /** The live delayed entry per key (older heap entries for the key are stale). */
  private readonly waitingFor = new Map<K, Delayed<K>>();
  private delayTimer?: TimerHandle;
  private delayTimerAt = Number.POSITIVE_INFINITY;
  private seq = 0;

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.name = opts.name ?? 'queue';
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>(this.clock);
  }

  get shuttingDownNow(): boolean {
    return this.shuttingDown;
  }

  /** Keys ready to be handed out. */
  len(): number {
    return this.queue.length;
  }

  add(key: K): void {
    if (this.shuttingDown) return;
    this.metrics.adds++;
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  private enqueue(key: K): void {
    const getter = this.getters.shift();
    if (getter) {
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
      return;
    }
    this.queue.push(key);
    this.metrics.depth = this.queue.length;
  }

  /**
   * The next key to process; resolves undefined once the queue is shut down and empty. The caller must
   * call done(key) when finished with it.
   */
  get(): Promise<K | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.metrics.depth = this.queue.length;
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks `key` finished; if it was re-added meanwhile, it is queued again. */
  done(key: K): void {
    if (!this.processing.delete(key)) return;
    this.metrics.processed++;
    // Re-added while processing: run once more (even during shutdown, as client-go does).
    if (this.dirty.has(key)) this.enqueue(key);
    if (this.processing.size === 0 && this.drainers.length > 0) {
      for (const d of this.drainers.splice(0)) d();
    }
  }

  /** Adds `key` once `ms` have passed. An earlier pending time for the same key wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const existing = this.waitingFor.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    const entry: Delayed<K> = { key, readyAt, seq: this.seq++ };
    this.waitingFor.set(key, entry);
    this.metrics.waiting = this.waitingFor.size;
    this.delayed.push(entry);
    this.armDelayTimer();
  }

  /** Adds `key` after the rate limiter's delay for it (one more failure recorded). */
  addRateLimited(key: K): void {
    if (this.shuttingDown) return;
    this.metrics.retries++;
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clears the failure history of `key` (call after it was processed successfully). */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiter.numRequeues(key);
  }

  private armDelayTimer(): void {
    while (this.delayed.size > 0 && this.waitingFor.get(this.delayed.peek()!.key) !== this.delayed.peek()) {
      this.delayed.pop();
    }
    const head = this.delayed.peek();
    if (!head) {
      if (this.delayTimer !== undefined) this.clock.clearTimeout(this.delayTimer);
      this.delayTimer = undefined;
      this.delayTimerAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.delayTimer !== undefined && this.delayTimerAt <= head.readyAt) return;
    if (this.delayTimer !== undefined) this.clock.clearTimeout(this.delayTimer);
    this.delayTimerAt = head.readyAt;
    this.delayTimer = this.clock.setTimeout(() => this.releaseDue(), head.readyAt - this.clock.now());
  }

  private releaseDue(): void {
    this.delayTimer = undefined;
    this.delayTimerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    for (;;) {
      const head = this.delayed.peek();
      if (!head || head.readyAt > now) break;
      this.delayed.pop();
      if (this.waitingFor.get(head.key) !== head) continue;
      this.waitingFor.delete(head.key);
      this.add(head.key);
    }
    this.metrics.waiting = this.waitingFor.size;
    this.armDelayTimer();
  }

  /**
   * Stops accepting keys and drops delayed ones. Keys already queued are still handed out by get();
   * once the queue is empty get() resolves undefined.
   */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.delayTimer !== undefined) this.clock.clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    this.delayed.clear();
    this.waitingFor.clear();
    this.metrics.waiting = 0;
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /** shutDown(), then resolves when every key handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainers.push(resolve));
  }

  /** Keys currently being processed (for tests and debugging). */
  processingKeys(): K[] {
    return [...this.processing];
  }
}
