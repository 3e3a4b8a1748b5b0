// One watch cache per resource: a single store watch feeds an in-memory copy of every object plus a
// window of recent events, so lists at resourceVersion=0 and any number of watchers cost no store reads.
// Objects in the cache are shared and must be treated as immutable by readers.
import type { Obj } from '../api/types.js';
import { K8tsError } from '../errors.js';
import type { Backend, KeyValue, Watch, WatchEvent } from '../storage/backend.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: WatchEventType;
  key: string;
  object: Obj;
  /** The object before this event (for MODIFIED and DELETED), used to filter selector transitions. */
  prev?: Obj;
  rv: number;
  /** `{"type":..,"object":..}` serialized once and shared by every JSON watcher. */
  json?: string;
}

export type CacheListener = (events: CacheEvent[]) => void;

/** Decodes a stored value into an object carrying its resourceVersion. */
export function decodeObject(kv: KeyValue, rv = kv.modRevision): Obj {
  const obj = JSON.parse(kv.value.toString('utf8')) as Obj;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(rv);
  return obj;
}

export class WatchCache {
  private readonly objects = new Map<string, Obj>();
  private readonly buffer: CacheEvent[] = [];
  private readonly listeners = new Set<CacheListener>();
  private watch?: Watch;
  private readyPromise?: Promise<void>;
  private waiters: { rv: number; resolve: () => void }[] = [];
  /** Highest revision of an event dropped from the window (watches from before it get Expired). */
  private droppedThrough = 0;
  /** Every event with rv <= revision has been applied. */
  revision = 0;
  /** The revision the cache was filled at; events before it are not in the buffer. */
  startRevision = 0;
  failed?: K8tsError;

  constructor(
    private readonly backend: Backend,
    readonly prefix: string,
    private readonly capacity = 10_000,
  ) {}

  ready(): Promise<void> {
    this.readyPromise ??= this.start();
    return this.readyPromise;
  }

  private async start(): Promise<void> {
    const list = await this.backend.list(this.prefix);
    for (const kv of list.items) this.objects.set(kv.key, decodeObject(kv));
    this.revision = this.startRevision = list.revision;
    this.watch = this.backend.watch(
      this.prefix,
      { fromRevision: list.revision },
      {
        onEvents: (events) => this.apply(events),
        onError: (err) => this.fail(err),
        onProgress: (rv) => this.advance(rv),
      },
    );
  }

  private fail(err: K8tsError): void {
    // The store watch broke (e.g. store closed). Restart from scratch on next use.
    this.failed = err;
    this.readyPromise = undefined;
    this.watch = undefined;
  }

  private apply(events: WatchEvent[]): void {
    const out: CacheEvent[] = [];
    for (const e of events) {
      const rv = e.kv.modRevision;
      const prev = this.objects.get(e.kv.key);
      if (e.type === 'PUT') {
        const object = decodeObject(e.kv);
        this.objects.set(e.kv.key, object);
        out.push({ type: prev ? 'MODIFIED' : 'ADDED', key: e.kv.key, object, prev, rv });
      } else {
        this.objects.delete(e.kv.key);
        const last = prev ?? (e.prev ? decodeObject(e.prev) : { metadata: {} });
        const object = { ...last, metadata: { ...last.metadata, resourceVersion: String(rv) } };
        out.push({ type: 'DELETED', key: e.kv.key, object, prev: last, rv });
      }
    }
    for (const ev of out) this.buffer.push(ev);
    if (this.buffer.length > this.capacity) {
      const dropped = this.buffer.splice(0, this.buffer.length - this.capacity);
      this.droppedThrough = dropped[dropped.length - 1].rv;
    }
    if (out.length > 0) this.advance(out[out.length - 1].rv);
    for (const l of this.listeners) l(out);
  }

  private advance(rv: number): void {
    if (rv > this.revision) this.revision = rv;
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) w.rv <= this.revision ? w.resolve() : still.push(w);
    this.waiters = still;
  }

  /** Resolves true once the cache has applied everything up to rv, false after timeoutMs. */
  async waitFor(rv: number, timeoutMs: number): Promise<boolean> {
    await this.ready();
    if (this.revision >= rv) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        rv,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Objects under keyPrefix (a sub-prefix of this cache's prefix), sorted by key. */
  list(keyPrefix: string = this.prefix): Obj[] {
    const keys: string[] = [];
    for (const k of this.objects.keys()) if (k.startsWith(keyPrefix)) keys.push(k);
    keys.sort();
    return keys.map((k) => this.objects.get(k)!);
  }

  get(key: string): Obj | undefined {
    return this.objects.get(key);
  }

  /**
   * Events after `fromRv` then live ones. Throws Expired when the window no longer holds them
   * (the caller may fall back to a store watch for revisions older than the cache itself).
   */
  subscribe(fromRv: number, listener: CacheListener): () => void {
    if (fromRv < this.revision) {
      if (fromRv < this.startRevision || fromRv < this.droppedThrough) {
        throw new K8tsError('Expired', `too old resource version: ${fromRv} (${this.revision})`);
      }
      const replay = this.buffer.filter((e) => e.rv > fromRv);
      if (replay.length > 0) listener(replay);
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get watcherCount(): number {
    return this.listeners.size;
  }

  stop(): void {
    this.watch?.cancel();
    this.watch = undefined;
    this.readyPromise = undefined;
    this.listeners.clear();
  }
}
