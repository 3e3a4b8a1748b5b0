// The in-memory driver: the whole history since the last compaction lives in an array. For unit tests
// of the layers above storage; it passes the same conformance suite as the durable drivers.

import { isK8tsError, type K8tsError } from '../../errors.js';
import {
  type Backend,
  checkKey,
  checkPrefix,
  checkValue,
  closedError,
  compactedError,
  type DeleteOptions,
  type DeleteResult,
  futureRevisionError,
  type GetResult,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type UpdateOptions,
  type Watch,
  type WatchHandlers,
  type WatchOptions,
  type WriteResult,
} from '../backend.js';
import { type Compactor, startCompactor } from '../compactor.js';
import { CurrentState, copyKv, pageOf } from '../current-state.js';
import { readRevision } from '../read-revision.js';
import { failedWatch, WatchHub } from '../watch-hub.js';
import { eventOf, type PlannedWrite, planWrite, type WriteOp } from '../write-plan.js';

export interface MemoryBackendOptions {
  /** Keep this much history (ms) with a periodic compactor; 0 or absent: never compact on its own. */
  compactWindowMs?: number;
}

export async function openMemoryBackend(opts: MemoryBackendOptions = {}): Promise<Backend> {
  return new MemoryBackend(opts);
}

class MemoryBackend implements Backend {
  readonly name = 'memory';
  private readonly state = new CurrentState();
  /** Every write after the compacted revision; log[i].revision === compacted + 1 + i. */
  private log: PlannedWrite[] = [];
  private revision = 0;
  private compacted = 0;
  private closed = false;
  private readonly hub = new WatchHub();
  private readonly compactor: Compactor | undefined;

  constructor(opts: MemoryBackendOptions) {
    if (opts.compactWindowMs) this.compactor = startCompactor(this, { windowMs: opts.compactWindowMs });
  }

  private ensureOpen(): void {
    if (this.closed) throw closedError(this.name);
  }

  async get(key: string, opts: { revision?: number } = {}): Promise<GetResult> {
    this.ensureOpen();
    checkKey(key);
    const at = readRevision(opts.revision, this.revision, this.compacted);
    const kv = at === this.revision ? this.state.get(key) : this.valueAt(key, at);
    return { kv: kv ? copyKv(kv) : null, revision: at };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.ensureOpen();
    checkPrefix(prefix);
    const at = readRevision(opts.revision, this.revision, this.compacted);
    const page =
      at === this.revision
        ? this.state.list(prefix, opts.limit, opts.continueFrom)
        : pageOf(this.stateAt(prefix, at), opts.limit, opts.continueFrom);
    return { ...page, revision: at };
  }

  async create(key: string, value: Buffer): Promise<WriteResult> {
    return this.write({ kind: 'create', key, value });
  }

  async update(key: string, value: Buffer, opts: UpdateOptions): Promise<WriteResult> {
    return this.write({ kind: 'update', key, value, expectedModRevision: opts.expectedModRevision });
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    const w = this.write({ kind: 'delete', key, expectedModRevision: opts.expectedModRevision });
    return { revision: w.revision, prev: copyKv(w.prev!) };
  }

  private write(op: WriteOp): PlannedWrite {
    this.ensureOpen();
    checkKey(op.key);
    if (op.kind !== 'delete') checkValue(op.key, op.value);
    const w = planWrite(op, this.state.get(op.key), this.revision + 1);
    this.revision = w.revision;
    if (w.kv) this.state.set(w.kv);
    else this.state.delete(w.key);
    this.log.push(w);
    this.hub.publish([eventOf(w)]);
    return w;
  }

  watch(prefix: string, opts: WatchOptions, handlers: WatchHandlers): Watch {
    try {
      this.ensureOpen();
      checkPrefix(prefix);
      const from = opts.fromRevision || this.revision;
      if (from < this.compacted) throw compactedError(from, this.compacted);
      // A future fromRevision is allowed, as in etcd: events start once the store passes it.
      const w = this.hub.open(prefix, handlers, Math.max(from, this.revision), false);
      const history = this.log
        .slice(Math.max(0, from - this.compacted))
        .filter((e) => e.key.startsWith(prefix))
        .map(eventOf);
      w.backlog(history);
      return w;
    } catch (err) {
      if (isK8tsError(err)) return failedWatch(handlers, err as K8tsError);
      throw err;
    }
  }

  async compact(revision: number): Promise<void> {
    this.ensureOpen();
    if (revision > this.revision) throw futureRevisionError(revision, this.revision);
    if (revision <= this.compacted) return;
    this.log = this.log.slice(revision - this.compacted);
    this.compacted = revision;
  }

  async currentRevision(): Promise<number> {
    this.ensureOpen();
    return this.revision;
  }

  async compactedRevision(): Promise<number> {
    this.ensureOpen();
    return this.compacted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.compactor?.stop();
    this.hub.failAll(closedError(this.name));
  }

  /** The writes after `at` touching keys for which `match` holds, newest first undone to get the state at `at`. */
  private undoneAfter(at: number, match: (key: string) => boolean): Map<string, KeyValue | undefined> {
    const before = new Map<string, KeyValue | undefined>();
    for (let i = this.log.length - 1; i >= 0 && this.log[i].revision > at; i--) {
      const w = this.log[i];
      if (match(w.key)) before.set(w.key, w.prev);
    }
    return before;
  }

  private valueAt(key: string, at: number): KeyValue | undefined {
    const before = this.undoneAfter(at, (k) => k === key);
    return before.has(key) ? before.get(key) : this.state.get(key);
  }

  private stateAt(prefix: string, at: number): KeyValue[] {
    const before = this.undoneAfter(at, (k) => k.startsWith(prefix));
    const result: KeyValue[] = [];
    for (const kv of this.state.list(prefix, 0, undefined).items) {
      if (!before.has(kv.key)) result.push(kv);
    }
    for (const kv of before.values()) if (kv) result.push(kv);
    return result.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
