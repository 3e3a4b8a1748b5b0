// The scheduling queue, as upstream's: activeQ (ready, highest priority then oldest first), backoffQ
// (failed attempts wait 1 s doubling to 10 s) and unschedulable pods, which wait for a cluster event that
// could make them fit (node added/changed, pod deleted) or for a periodic flush.
import { type Clock, realClock, type TimerHandle } from '../client/clock.js';
import { MinHeap } from '../client/heap.js';
import type { Pod } from './types.js';

export interface QueuedPod {
  pod: Pod;
  key: string;
  attempts: number;
  /** When the pod first entered the queue (for the upstream-style message and metrics). */
  firstSeenMs: number;
  /** When the last attempt failed; the backoff counts from here. */
  lastFailureMs: number;
  /** The move-request cycle seen when popped (decides unschedulable vs backoff on failure). */
  cycle: number;
  seq: number;
  /** Sort keys, read once when the pod enters the active heap (both fields are immutable). */
  sortPriority?: number;
  sortCreatedMs?: number;
}

export interface QueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Unschedulable pods go back to active after this long even without an event (upstream: 5 min). */
  maxUnschedulableMs?: number;
}

export function podPriority(pod: Pod): number {
  return typeof pod.spec?.priority === 'number' ? pod.spec.priority : 0;
}

function createdMs(pod: Pod): number {
  const t = Date.parse(pod.metadata?.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

function activeLess(a: QueuedPod, b: QueuedPod): boolean {
  const pa = a.sortPriority ?? podPriority(a.pod);
  const pb = b.sortPriority ?? podPriority(b.pod);
  if (pa !== pb) return pa > pb;
  const ca = a.sortCreatedMs ?? createdMs(a.pod);
  const cb = b.sortCreatedMs ?? createdMs(b.pod);
  if (ca !== cb) return ca < cb;
  return a.seq < b.seq;
}

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly active = new MinHeap<QueuedPod>(activeLess);
  /** Every pod the queue holds, by key, with where it is. */
  private readonly where = new Map<string, { qp: QueuedPod; in: 'active' | 'backoff' | 'unschedulable' }>();
  /** The unschedulable and backoff parts, for iteration without scanning the whole queue. */
  private readonly parked = new Map<string, QueuedPod>();
  private readonly backingOff = new Map<string, QueuedPod>();
  /** Popped and not yet done. */
  private readonly inFlight = new Map<string, QueuedPod>();
  private moveCycle = 0;
  private popCycle = 0;
  private seq = 0;
  private waiters: ((qp: QueuedPod | undefined) => void)[] = [];
  private timer?: TimerHandle;
  private timerAt = Number.POSITIVE_INFINITY;
  private flushTimer?: TimerHandle;
  private closed = false;

  constructor(opts: QueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 300_000;
    this.armFlush();
  }

  backoffMs(attempts: number): number {
    if (attempts <= 0) return 0;
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (attempts - 1));
  }

  /**
   * A new pending pod, or an update of one the queue holds. `schedulingChanged`: the update touched
   * what scheduling reads (spec, labels), so an unschedulable pod gets another try; status-only
   * updates (such as our own PodScheduled condition) do not.
   */
  add(pod: Pod, key: string, schedulingChanged = true): void {
    if (this.closed) return;
    const held = this.where.get(key);
    if (held) {
      held.qp.pod = pod;
      if (held.in === 'unschedulable' && schedulingChanged) this.moveOne(held.qp);
      return;
    }
    const flying = this.inFlight.get(key);
    if (flying) {
      flying.pod = pod;
      return;
    }
    const now = this.clock.now();
    this.pushActive({ pod, key, attempts: 0, firstSeenMs: now, lastFailureMs: 0, cycle: 0, seq: this.seq++ });
  }

  /** The pod was bound or deleted: drop it wherever it is. */
  delete(key: string): void {
    const held = this.where.get(key);
    if (held) {
      this.unplace(key);
      if (held.in === 'active') this.rebuildActive();
    }
    this.inFlight.delete(key);
  }

  has(key: string): boolean {
    return this.where.has(key) || this.inFlight.has(key);
  }

  /** Resolves with the next active pod; undefined once closed. */
  pop(): Promise<QueuedPod | undefined> {
    const qp = this.tryPop();
    if (qp || this.closed) return Promise.resolve(qp);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  tryPop(): QueuedPod | undefined {
    for (;;) {
      const qp = this.active.pop();
      if (!qp) return undefined;
      const held = this.where.get(qp.key);
      if (!held || held.qp !== qp || held.in !== 'active') continue; // stale heap entry
      this.unplace(qp.key);
      qp.cycle = ++this.popCycle;
      this.inFlight.set(qp.key, qp);
      return qp;
    }
  }

  /** The attempt succeeded (the pod is assumed and binding). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * The attempt failed. Unschedulable pods wait for an event, unless one arrived while this attempt ran
   * (then they back off); errors back off.
   */
  requeue(qp: QueuedPod, unschedulable: boolean): void {
    if (this.inFlight.get(qp.key) !== qp) return; // deleted or bound meanwhile
    this.inFlight.delete(qp.key);
    if (this.closed) return;
    qp.attempts++;
    qp.lastFailureMs = this.clock.now();
    if (unschedulable && this.moveCycle < qp.cycle) {
      this.place(qp, 'unschedulable');
    } else {
      this.toBackoffOrActive(qp);
    }
  }

  /**
   * A cluster event that may make unschedulable pods fit: move them (those `which` selects) towards
   * active.
   */
  moveAllUnschedulable(which?: (pod: Pod) => boolean): void {
    this.moveCycle = this.popCycle;
    for (const qp of [...this.parked.values()]) if (!which || which(qp.pod)) this.moveOne(qp);
  }

  private place(qp: QueuedPod, where: 'active' | 'backoff' | 'unschedulable'): void {
    this.unplace(qp.key);
    this.where.set(qp.key, { qp, in: where });
    if (where === 'unschedulable') this.parked.set(qp.key, qp);
    else if (where === 'backoff') this.backingOff.set(qp.key, qp);
  }

  private unplace(key: string): void {
    this.where.delete(key);
    this.parked.delete(key);
    this.backingOff.delete(key);
  }

  sizes(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    const active = this.where.size - this.parked.size - this.backingOff.size;
    return {
      active,
      backoff: this.backingOff.size,
      unschedulable: this.parked.size,
      inFlight: this.inFlight.size,
    };
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.clock.clearTimeout(this.flushTimer);
    this.timer = undefined;
    this.flushTimer = undefined;
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private moveOne(qp: QueuedPod): void {
    this.toBackoffOrActive(qp);
  }

  private toBackoffOrActive(qp: QueuedPod): void {
    const until = qp.lastFailureMs + this.backoffMs(qp.attempts);
    if (until > this.clock.now()) {
      this.place(qp, 'backoff');
      this.armBackoff(until);
    } else {
      this.pushActive(qp);
    }
  }

  private pushActive(qp: QueuedPod): void {
    qp.sortPriority = podPriority(qp.pod);
    qp.sortCreatedMs = createdMs(qp.pod);
    this.place(qp, 'active');
    const w = this.waiters.shift();
    if (w) {
      this.active.push(qp);
      w(this.tryPop());
      return;
    }
    this.active.push(qp);
  }

  private rebuildActive(): void {
    // Lazy deletion: stale heap entries are skipped by tryPop. Compact when they dominate.
    if (this.active.size > 64 && this.active.size > 2 * this.sizes().active) {
      const live: QueuedPod[] = [];
      for (let qp = this.active.pop(); qp; qp = this.active.pop()) {
        const h = this.where.get(qp.key);
        if (h && h.qp === qp && h.in === 'active') live.push(qp);
      }
      for (const qp of live) this.active.push(qp);
    }
  }

  private armBackoff(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.flushBackoff(), at - this.clock.now());
  }

  private flushBackoff(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    let next = Number.POSITIVE_INFINITY;
    for (const qp of [...this.backingOff.values()]) {
      const until = qp.lastFailureMs + this.backoffMs(qp.attempts);
      if (until <= now) this.pushActive(qp);
      else next = Math.min(next, until);
    }
    if (next !== Number.POSITIVE_INFINITY) this.armBackoff(next);
  }

  private armFlush(): void {
    if (this.closed) return;
    this.flushTimer = this.clock.setTimeout(() => {
      const now = this.clock.now();
      for (const qp of [...this.parked.values()])
        if (now - qp.lastFailureMs >= this.maxUnschedulableMs) this.moveOne(qp);
      this.armFlush();
    }, 30_000);
  }
}
