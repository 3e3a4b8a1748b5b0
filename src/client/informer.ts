// A shared informer: list, then watch from the list's resourceVersion (with bookmarks), keeping a Store
// and telling handlers about adds, updates and deletes. Reconnects with backoff when the watch breaks;
// when the server answers 410 (the version is too old) it relists and reports what changed meanwhile,
// as client-go's Replace does (deletes it missed carry finalStateUnknown=true).
import { isExpired } from './apierror.js';
import { type Clock, realClock, sleep, type TimerHandle } from './clock.js';
import { consoleLogger, type Logger } from './log.js';
import { apiVersionOf, type ObjectList, type ResourceClient } from './resource.js';
import { type IndexFunc, objectKey, Store } from './store.js';
import type { EventStream, WatchEvent } from './watch.js';

type Obj = Record<string, any>;

/** Where an informer gets its data: a paged list and a watch. */
export interface ListerWatcher<T> {
  list(opts: { limit?: number; continue?: string; signal?: AbortSignal }): Promise<ObjectList<T>>;
  watch(opts: {
    resourceVersion: string;
    timeoutSeconds?: number;
    allowWatchBookmarks: boolean;
    signal?: AbortSignal;
  }): Promise<EventStream<T>>;
}

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * A ListerWatcher over REST; `client` may be namespace-scoped with .in(ns). List items without kind and
 * apiVersion (upstream servers omit them inside lists) get them from the list, so cached objects are
 * self-describing like watched ones.
 */
export function restListerWatcher<T extends Obj>(
  client: ResourceClient<T>,
  sel: Selectors = {},
): ListerWatcher<T> {
  return {
    list: async (o) => {
      const list = await client.list({ ...sel, limit: o.limit, continue: o.continue, signal: o.signal });
      const kind = client.ref.kind ?? (list.kind?.endsWith('List') ? list.kind.slice(0, -4) : undefined);
      const apiVersion = apiVersionOf(client.ref);
      if (kind) {
        for (const it of list.items as Obj[]) {
          if (it.kind === undefined) it.kind = kind;
          if (it.apiVersion === undefined) it.apiVersion = apiVersion;
        }
      }
      return list;
    },
    watch: (o) => client.watch({ ...sel, ...o }),
  };
}

export interface EventHandler<T> {
  /** `initialList` is true for objects delivered by the first list (or replayed to a late handler). */
  onAdd?(obj: T, initialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** `finalStateUnknown`: the delete was missed and found by a relist; `obj` is the last state seen. */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Extra random fraction of each delay (client-go: 1.0 -> delay in [d, 2d)). 0 for tests. */
  jitter?: number;
}

export interface InformerOptions<T> {
  name?: string;
  /** Re-deliver every cached object as onUpdate(obj, obj) this often (0 = never, the default). */
  resyncPeriodMs?: number;
  /** List page size (default 500). */
  pageSize?: number;
  /** Watches ask the server to end after a random [min, 2*min) seconds, then reconnect (default 300). */
  minWatchTimeoutSeconds?: number;
  /** Backoff between failed list/watch attempts (default 800 ms doubling to 30 s, jitter 1.0 as client-go). */
  backoff?: BackoffOptions;
  indexers?: Record<string, IndexFunc<T>>;
  clock?: Clock;
  log?: Logger;
}

export interface InformerStats {
  /** Full lists (initial and relists). */
  lists: number;
  /** Relists caused by 410 Expired. */
  expiredRelists: number;
  /** Watch connections opened. */
  watches: number;
  /** Failed list/watch attempts (followed by backoff). */
  errors: number;
  /** Watch events applied (bookmarks excluded). */
  events: number;
  bookmarks: number;
  resyncs: number;
}

export class SharedInformer<T extends Obj = Obj> {
  readonly name: string;
  readonly store: Store<T>;
  readonly stats: InformerStats = {
    lists: 0,
    expiredRelists: 0,
    watches: 0,
    errors: 0,
    events: 0,
    bookmarks: 0,
    resyncs: 0,
  };
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pageSize: number;
  private readonly minWatchTimeout: number;
  private readonly backoff: Required<BackoffOptions>;
  private readonly resyncPeriodMs: number;
  private rv = '';
  private synced = false;
  private started = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private currentWatch?: EventStream<T>;
  private resyncTimer?: TimerHandle;
  private loop?: Promise<void>;
  private syncWaiters: ((ok: boolean) => void)[] = [];

  constructor(
    private readonly lw: ListerWatcher<T>,
    opts: InformerOptions<T> = {},
  ) {
    this.name = opts.name ?? 'informer';
    this.store = new Store<T>(opts.indexers);
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? consoleLogger;
    this.pageSize = opts.pageSize ?? 500;
    this.minWatchTimeout = opts.minWatchTimeoutSeconds ?? 300;
    this.backoff = { initialMs: 800, maxMs: 30_000, jitter: 1, ...opts.backoff };
    this.resyncPeriodMs = opts.resyncPeriodMs ?? 0;
  }

  /**
   * Registers a handler; returns a function that removes it. A handler added after the cache filled gets
   * onAdd(obj, true) for every cached object first, as client-go does.
   */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (this.synced && handler.onAdd)
      for (const obj of this.store.list()) this.call(() => handler.onAdd!(obj, true));
    return () => this.handlers.delete(handler);
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.store.addIndexers(indexers);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the cache reflects. */
  lastSyncResourceVersion(): string {
    return this.rv;
  }

  /** Resolves true once the first list is in the cache, false if the informer stops first. */
  waitForSync(): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.loop = this.run();
    this.armResync();
  }

  /** Stops the watch, any pending list and timers; resolves when the loop has exited. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort(new Error(`informer ${this.name} stopped`));
    this.currentWatch?.stop();
    this.clock.clearTimeout(this.resyncTimer);
    for (const w of this.syncWaiters.splice(0)) w(false);
    await this.loop;
  }

  private async run(): Promise<void> {
    let needList = true;
    let delay = this.backoff.initialMs;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.listAndReplace();
          needList = false;
        }
        const started = this.clock.now();
        const cleanEnd = await this.watchOnce();
        // A watch that ended cleanly (server timeout) or lived a while resets the backoff.
        if (cleanEnd || this.clock.now() - started > this.backoff.maxMs) delay = this.backoff.initialMs;
      } catch (err) {
        if (this.stopped) break;
        if (isExpired(err)) {
          // Our version is too old for the server: list again and report the differences.
          this.log.info('informer: resource version expired, relisting', {
            informer: this.name,
            rv: this.rv,
          });
          this.stats.expiredRelists++;
          needList = true;
          continue;
        }
        this.stats.errors++;
        const wait = delay * (1 + this.backoff.jitter * Math.random());
        this.log.warn('informer: list/watch failed, retrying', {
          informer: this.name,
          error: err,
          retryInMs: Math.round(wait),
        });
        delay = Math.min(delay * 2, this.backoff.maxMs);
        try {
          await sleep(this.clock, wait, this.abort.signal);
        } catch {
          break;
        }
      }
    }
  }

  private async listAndReplace(): Promise<void> {
    const signal = this.abort.signal;
    let list = await this.lw.list({ limit: this.pageSize, signal });
    const items = list.items;
    const rv = list.metadata.resourceVersion;
    while (list.metadata.continue) {
      try {
        list = await this.lw.list({ limit: this.pageSize, continue: list.metadata.continue, signal });
      } catch (err) {
        if (!isExpired(err)) throw err;
        // The snapshot behind the continue token was compacted: take one unpaged list instead.
        this.log.info('informer: continue token expired, listing without paging', { informer: this.name });
        list = await this.lw.list({ signal });
        items.length = 0;
        for (const it of list.items) items.push(it);
        return this.replace(items, list.metadata.resourceVersion);
      }
      for (const it of list.items) items.push(it);
    }
    this.replace(items, rv);
  }

  private replace(items: T[], rv: string): void {
    if (this.stopped) return;
    this.stats.lists++;
    const initial = !this.synced;
    const diff = this.store.replace(items);
    this.rv = rv;
    for (const obj of diff.added) this.notifyAdd(obj, initial);
    for (const [old, cur] of diff.updated) this.notifyUpdate(old, cur);
    for (const obj of diff.deleted) this.notifyDelete(obj, true);
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w(true);
    }
  }

  /** One watch connection; true when the server ended it cleanly. Errors (including 410) are thrown. */
  private async watchOnce(): Promise<boolean> {
    const timeoutSeconds = Math.floor(this.minWatchTimeout * (1 + Math.random()));
    const stream = await this.lw.watch({
      resourceVersion: this.rv,
      timeoutSeconds,
      allowWatchBookmarks: true,
      signal: this.abort.signal,
    });
    this.stats.watches++;
    this.currentWatch = stream;
    try {
      if (this.stopped) return true;
      for await (const ev of stream) {
        if (this.stopped) break;
        this.apply(ev);
      }
      return true;
    } finally {
      this.currentWatch = undefined;
      stream.stop();
    }
  }

  private apply(ev: WatchEvent<T>): void {
    const obj = ev.object;
    const rv = obj?.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      this.stats.bookmarks++;
      if (rv) this.rv = rv;
      return;
    }
    this.stats.events++;
    const key = objectKey(obj);
    if (ev.type === 'DELETED') {
      const old = this.store.remove(key);
      if (old !== undefined) this.notifyDelete(obj, false);
    } else {
      const old = this.store.upsert(obj, key);
      if (old === undefined) this.notifyAdd(obj, false);
      else this.notifyUpdate(old, obj);
    }
    if (rv) this.rv = rv;
  }

  private armResync(): void {
    if (this.resyncPeriodMs <= 0 || this.stopped) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      if (this.synced) {
        this.stats.resyncs++;
        for (const obj of this.store.list()) this.notifyUpdate(obj, obj);
      }
      this.armResync();
    }, this.resyncPeriodMs);
  }

  private notifyAdd(obj: T, initial: boolean): void {
    for (const h of this.handlers) if (h.onAdd) this.call(() => h.onAdd!(obj, initial));
  }

  private notifyUpdate(old: T, cur: T): void {
    for (const h of this.handlers) if (h.onUpdate) this.call(() => h.onUpdate!(old, cur));
  }

  private notifyDelete(obj: T, unknown: boolean): void {
    for (const h of this.handlers) if (h.onDelete) this.call(() => h.onDelete!(obj, unknown));
  }

  /** A throwing handler must not break the informer or the other handlers. */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error('informer: event handler threw', { informer: this.name, error: err });
    }
  }
}
