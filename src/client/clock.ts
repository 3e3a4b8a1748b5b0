// Time as a dependency: everything in the client layer that waits takes a Clock, so tests drive
// backoff, resync, leases and delayed queues with a FakeClock instead of sleeping.
import { MinHeap } from './heap.js';

export type TimerHandle = { readonly __timer: true } | NodeJS.Timeout;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (h) => {
    if (h !== undefined) clearTimeout(h as NodeJS.Timeout);
  },
};

/** Resolves after `ms` on the given clock; rejects with the signal's reason when aborted. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface FakeTimer {
  readonly __timer: true;
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Lets the event loop run every queued promise continuation (one macrotask turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A manually advanced clock. Timers fire in (time, creation) order. */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new MinHeap<FakeTimer>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private live = 0;

  constructor(start = Date.parse('2025-01-01T00:00:00Z')) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: FakeTimer = {
      __timer: true,
      at: this.current + Math.max(0, ms),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(t);
    this.live++;
    return t;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    const t = handle as FakeTimer | undefined;
    if (t && !t.cancelled) {
      t.cancelled = true;
      this.live--;
    }
  }

  /** Number of timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.live;
  }

  /** When the next live timer is due, if any. */
  nextTimerAt(): number | undefined {
    this.dropCancelled();
    return this.timers.peek()?.at;
  }

  /** Moves time forward by `ms`, firing due timers synchronously (including ones they schedule). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const t = this.nextDue(target);
      if (!t) break;
      this.fire(t);
    }
    this.current = target;
  }

  /**
   * Moves time forward by `ms` like advance(), but lets promise continuations run before and after each
   * timer, so async loops (await sleep(...); await client.call()) make progress as they would in real time.
   */
  async tick(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      const t = this.nextDue(target);
      if (!t) break;
      this.fire(t);
      await settle();
    }
    this.current = target;
    await settle();
  }

  private dropCancelled(): void {
    while (this.timers.peek()?.cancelled) this.timers.pop();
  }

  private nextDue(target: number): FakeTimer | undefined {
    this.dropCancelled();
    const t = this.timers.peek();
    if (!t || t.at > target) return undefined;
    this.timers.pop();
    return t;
  }

  private fire(t: FakeTimer): void {
    t.cancelled = true;
    this.live--;
    if (t.at > this.current) this.current = t.at;
    t.fn();
  }
}
