// Fan-out of committed events to in-process watchers. A driver publishes each commit's events once;
// every watcher queues the ones under its prefix and gets them in one onEvents call per microtask.
//
// A watcher that starts from a past revision is opened "catching up": the driver feeds it history with
// backlog() while live events published meanwhile are held back, then calls goLive() once history reaches
// the revision that was current when the watcher was opened. Opening and reading that revision happen in
// the same synchronous step, so the history and the live stream meet without gap or overlap.

import { K8tsError } from '../errors.js';
import type { Watch, WatchEvent, WatchHandlers } from './backend.js';

export class Watcher implements Watch {
  private queue: WatchEvent[] = [];
  /** Live events held while catching up; null once live. */
  private held: WatchEvent[] | null;
  private pendingError: K8tsError | undefined;
  private scheduled = false;
  private ended = false;

  constructor(
    private readonly hub: WatchHub,
    readonly prefix: string,
    private readonly handlers: WatchHandlers,
    /** Live events at or below this revision are not for this watcher (already in its history). */
    private readonly after: number,
    catchingUp: boolean,
  ) {
    this.held = catchingUp ? [] : null;
  }

  get active(): boolean {
    return !this.ended && this.pendingError === undefined;
  }

  /** History events (already filtered by prefix, in order) while catching up. */
  backlog(events: WatchEvent[]): void {
    if (!this.active || events.length === 0) return;
    for (const e of events) this.queue.push(e);
    this.schedule();
  }

  /** History is complete: release the live events held meanwhile and deliver live from now on. */
  goLive(): void {
    if (this.held === null) return;
    const held = this.held;
    this.held = null;
    this.backlog(held);
  }

  offer(event: WatchEvent): void {
    if (!this.active || event.kv.modRevision <= this.after || !event.kv.key.startsWith(this.prefix)) return;
    if (this.held) this.held.push(event);
    else {
      this.queue.push(event);
      this.schedule();
    }
  }

  /** Ends the watch with an error after delivering what is already queued. */
  fail(err: K8tsError): void {
    if (!this.active) return;
    this.pendingError = err;
    this.held = null;
    this.hub.remove(this);
    this.schedule();
  }

  cancel(): void {
    this.ended = true;
    this.queue = [];
    this.held = null;
    this.hub.remove(this);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.ended) return;
    if (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        this.handlers.onEvents(batch);
      } catch (err) {
        this.pendingError ??= new K8tsError(
          'Internal',
          `watch handler failed: ${(err as Error)?.message ?? err}`,
        );
        this.hub.remove(this);
      }
    }
    if (this.pendingError && !this.ended) {
      this.ended = true;
      this.queue = [];
      try {
        this.handlers.onError(this.pendingError);
      } catch {
        // The consumer's error handler failing must not break the store's commit path.
      }
    }
  }
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  get size(): number {
    return this.watchers.size;
  }

  /** Registers a watcher for live events with revision > `after` under `prefix`. */
  open(prefix: string, handlers: WatchHandlers, after: number, catchingUp: boolean): Watcher {
    const w = new Watcher(this, prefix, handlers, after, catchingUp);
    this.watchers.add(w);
    return w;
  }

  remove(w: Watcher): void {
    this.watchers.delete(w);
  }

  /** One commit's events, in revision order. */
  publish(events: WatchEvent[]): void {
    if (this.watchers.size === 0) return;
    for (const w of this.watchers) for (const e of events) w.offer(e);
  }

  failAll(err: K8tsError): void {
    for (const w of [...this.watchers]) w.fail(err);
  }
}

/** A watch that fails right away (bad prefix, compacted revision, closed store) without throwing. */
export function failedWatch(handlers: WatchHandlers, err: K8tsError): Watch {
  const hub = new WatchHub();
  const w = hub.open('', handlers, 0, false);
  w.fail(err);
  return w;
}
