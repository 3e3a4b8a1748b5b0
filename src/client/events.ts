// An EventRecorder for core/v1 Events with upstream's correlation: a per-object spam filter (burst 25,
// one more every 5 minutes), aggregation of similar events (more than 10 messages for the same
// object+reason within 10 minutes become one "(combined from similar events)" event), and dedup of
// identical events within 10 minutes into one Event whose count is bumped by PATCH. Writes go through
// one sequential writer with a bounded queue and a QPS cap, and repeats that arrive before their write
// is sent are folded into it, so a hot loop costs one request, not thousands.
import { isNotFound } from './apierror.js';
import { type Clock, realClock } from './clock.js';
import { consoleLogger, type Logger } from './log.js';
import { TokenBucket } from './ratelimit.js';
import { EVENTS } from './refs.js';
import type { RestClient } from './rest.js';

type Obj = Record<string, any>;

export type EventType = 'Normal' | 'Warning';

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** Where events are written (REST by default; tests inject a fake). */
export interface EventSink {
  create(namespace: string, event: Obj): Promise<Obj>;
  patch(namespace: string, name: string, patch: Obj): Promise<Obj>;
}

export function restEventSink(rest: RestClient): EventSink {
  const events = rest.resource(EVENTS);
  return {
    create: (ns, ev) => events.in(ns).create(ev),
    patch: (ns, name, patch) => events.in(ns).patch(name, patch, { type: 'merge' }),
  };
}

export interface EventRecorderOptions {
  sink: EventSink;
  /** source.component, e.g. 'replicaset-controller', 'default-scheduler', 'kubelet'. */
  component: string;
  /** source.host (kubelet: the node name). */
  host?: string;
  clock?: Clock;
  log?: Logger;
  /** Identical or similar events closer than this are merged (default 10 minutes). */
  windowMs?: number;
  /** Distinct messages per object+reason before they are combined (default 10). */
  maxSimilar?: number;
  /** Spam filter per involved object: burst (25) and refill rate (1 per 300 s). */
  spamBurst?: number;
  spamQps?: number;
  /** Overall writes per second to the API server (default 50, burst 100). */
  qps?: number;
  burst?: number;
  /** Pending writes beyond this are dropped (default 1000). */
  maxQueued?: number;
  /** Entries kept for dedup/aggregation/spam state, LRU (default 4096). */
  cacheSize?: number;
}

export interface RecorderStats {
  /** event() calls. */
  recorded: number;
  created: number;
  patched: number;
  /** Occurrences folded into an existing event (count bumped). */
  deduplicated: number;
  /** Dropped by the per-object spam filter. */
  spamDropped: number;
  /** Dropped because the write queue was full. */
  queueDropped: number;
  errors: number;
}

interface Entry {
  key: string;
  namespace: string;
  name: string;
  event: Obj;
  lastSeenMs: number;
  created: boolean;
  queued: boolean;
}

/** A small LRU map: reads refresh an entry, inserts evict the least recently used beyond `max`. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
  delete(k: string): void {
    this.map.delete(k);
  }
}

/** RFC 3339 to the second, as metav1.Time serializes. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function referenceOf(obj: Obj | ObjectReference): ObjectReference {
  const o = obj as Obj;
  if (!o.metadata) return { ...(obj as ObjectReference) };
  const ref: ObjectReference = { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name };
  if (o.metadata.uid) ref.uid = o.metadata.uid;
  if (o.apiVersion) ref.apiVersion = o.apiVersion;
  if (o.metadata.resourceVersion) ref.resourceVersion = o.metadata.resourceVersion;
  return ref;
}

export class EventRecorder {
  readonly stats: RecorderStats = {
    recorded: 0,
    created: 0,
    patched: 0,
    deduplicated: 0,
    spamDropped: 0,
    queueDropped: 0,
    errors: 0,
  };
  private readonly o: Required<Omit<EventRecorderOptions, 'host'>> & { host?: string };
  private readonly entries: Lru<Entry>;
  private readonly similar: Lru<{ messages: Set<string>; lastMs: number }>;
  private readonly spam: Lru<TokenBucket>;
  private readonly writeLimit: TokenBucket;
  private readonly queue: Entry[] = [];
  private working = false;
  private idle: (() => void)[] = [];
  private seq = 0;
  private closed = false;

  constructor(opts: EventRecorderOptions) {
    this.o = {
      clock: realClock,
      log: consoleLogger,
      windowMs: 600_000,
      maxSimilar: 10,
      spamBurst: 25,
      spamQps: 1 / 300,
      qps: 50,
      burst: 100,
      maxQueued: 1000,
      cacheSize: 4096,
      ...opts,
    };
    this.entries = new Lru(this.o.cacheSize);
    this.similar = new Lru(this.o.cacheSize);
    this.spam = new Lru(this.o.cacheSize);
    this.writeLimit = new TokenBucket(this.o.qps, this.o.burst, this.o.clock);
  }

  /** Records an event about `obj` (an object or an ObjectReference). Never throws, never blocks. */
  event(obj: Obj | ObjectReference, type: EventType, reason: string, message: string): void {
    if (this.closed) return;
    this.stats.recorded++;
    const ref = referenceOf(obj);
    const now = this.o.clock.now();
    const objKey = [
      this.o.component,
      this.o.host ?? '',
      ref.kind,
      ref.namespace ?? '',
      ref.name,
      ref.uid ?? '',
      ref.apiVersion ?? '',
    ].join('\x00');

    // 1. Spam filter per source+object.
    let bucket = this.spam.get(objKey);
    if (!bucket) {
      bucket = new TokenBucket(this.o.spamQps, this.o.spamBurst, this.o.clock);
      this.spam.set(objKey, bucket);
    }
    if (!bucket.tryTake()) {
      this.stats.spamDropped++;
      return;
    }

    // 2. Aggregate similar events (same object, type and reason; different messages).
    const similarKey = `${objKey}\x00${ref.fieldPath ?? ''}\x00${type}\x00${reason}`;
    let sim = this.similar.get(similarKey);
    if (!sim || now - sim.lastMs > this.o.windowMs) {
      sim = { messages: new Set(), lastMs: now };
      this.similar.set(similarKey, sim);
    }
    sim.messages.add(message);
    sim.lastMs = now;
    let key = `${similarKey}\x00${message}`;
    if (sim.messages.size > this.o.maxSimilar) {
      message = `(combined from similar events): ${message}`;
      key = `${similarKey}\x00`;
    }

    // 3. Dedup identical events into a count.
    const ts = rfc3339(now);
    let entry = this.entries.get(key);
    if (entry && now - entry.lastSeenMs <= this.o.windowMs) {
      entry.event.count++;
      entry.event.lastTimestamp = ts;
      entry.event.message = message;
      entry.lastSeenMs = now;
      this.stats.deduplicated++;
    } else {
      const namespace = ref.namespace || 'default';
      const name = this.eventName(ref.name ?? 'unknown', now);
      const source: Obj = { component: this.o.component };
      if (this.o.host) source.host = this.o.host;
      entry = {
        key,
        namespace,
        name,
        lastSeenMs: now,
        created: false,
        queued: false,
        event: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject: ref,
          reason,
          message,
          type,
          source,
          firstTimestamp: ts,
          lastTimestamp: ts,
          count: 1,
          reportingComponent: this.o.component,
          reportingInstance: this.o.host ?? '',
        },
      };
      this.entries.set(key, entry);
    }
    if (entry.queued) return; // the pending write will carry the new count
    if (this.queue.length >= this.o.maxQueued) {
      this.stats.queueDropped++;
      return;
    }
    entry.queued = true;
    this.queue.push(entry);
    if (!this.working) void this.drain();
  }

  /** Upstream's `<name>.<hex unix nanos>`; a sequence keeps names unique within one millisecond. */
  private eventName(objName: string, nowMs: number): string {
    const nanos = BigInt(nowMs) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    return `${objName}.${nanos.toString(16)}`;
  }

  private async drain(): Promise<void> {
    this.working = true;
    try {
      for (;;) {
        const entry = this.queue.shift();
        if (!entry) break;
        entry.queued = false;
        const wait = this.writeLimit.reserve();
        if (wait > 0) await new Promise<void>((r) => this.o.clock.setTimeout(r, wait));
        await this.write(entry);
      }
    } finally {
      this.working = false;
      for (const f of this.idle.splice(0)) f();
    }
  }

  private async write(entry: Entry): Promise<void> {
    const ev = entry.event;
    try {
      if (entry.created) {
        try {
          await this.o.sink.patch(entry.namespace, entry.name, {
            count: ev.count,
            lastTimestamp: ev.lastTimestamp,
            message: ev.message,
          });
          this.stats.patched++;
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err;
          // The event expired or was deleted: record it afresh under a new name.
          entry.name = this.eventName(ev.involvedObject.name ?? 'unknown', this.o.clock.now());
          ev.metadata = { name: entry.name, namespace: entry.namespace };
          entry.created = false;
        }
      }
      await this.o.sink.create(entry.namespace, { ...ev, metadata: { ...ev.metadata } });
      entry.created = true;
      this.stats.created++;
    } catch (err) {
      this.stats.errors++;
      this.o.log.warn('event recorder: could not write event', {
        reason: ev.reason,
        object: ev.involvedObject?.name,
        error: err,
      });
    }
  }

  /** Resolves when every accepted event has been written (or failed). */
  flush(): Promise<void> {
    if (!this.working && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Stops accepting events and waits for pending writes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }
}
