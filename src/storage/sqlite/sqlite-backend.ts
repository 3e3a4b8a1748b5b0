// The embedded driver: current state in memory, durable history in one SQLite file (see log-db.ts).
//
// Group commit: a write is checked against the applied state plus the writes still waiting for the
// disk (the overlay), gets the next revision, and joins the pending batch. One flush per event-loop turn
// writes the whole batch in a single transaction, and one fsync of the WAL, run on libuv's thread pool,
// makes every batch written before it durable; only then are the writers answered, the in-memory state
// updated and watchers fed. So a write is acknowledged only once durable, 64 concurrent writers share
// one fsync instead of paying for 64, and the event loop keeps serving requests while the disk syncs.
//
// Compaction raises the compacted revision at once (reads below it fail from then on) and drops the
// superseded rows in short transactions (sized to ~4 ms), yielding to the event loop between them so
// writers never wait for a long delete. Afterwards free pages beyond a reserve go back to the
// filesystem and the WAL is emptied.
//
// Checkpoints (copying the WAL into the file, then fsyncing it) are the slow part of keeping the WAL
// bounded, and their cost grows with the pages copied. The driver runs them itself, in event-loop turns
// of their own after the commit that crossed CHECKPOINT_PAGES has been answered, so no commit and no
// compaction transaction pays for one, and each copies about 2 MiB.

import { join } from 'node:path';
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
  prefixEnd,
  type UpdateOptions,
  type Watch,
  type WatchEvent,
  type WatchHandlers,
  type WatchOptions,
  type WriteResult,
} from '../backend.js';
import { type Compactor, DEFAULT_COMPACT_WINDOW_MS, startCompactor } from '../compactor.js';
import { CurrentState, copyKv, type Page } from '../current-state.js';
import { readRevision } from '../read-revision.js';
import { failedWatch, type Watcher, WatchHub } from '../watch-hub.js';
import { eventOf, type PlannedWrite, planWrite, type WriteOp } from '../write-plan.js';
import { type FileStats, LogDb, unavailable } from './log-db.js';

export const DEFAULT_DB_FILE = 'k8ts.db';

export interface SqliteBackendOptions {
  /** Directory holding the database file (DEFAULT_DB_FILE). One of dataDir or path is required. */
  dataDir?: string;
  /** Explicit database file path. */
  path?: string;
  /** History kept by the periodic compactor, in ms; 0 turns it off. Default 5 minutes. */
  compactWindowMs?: number;
  /** How often the periodic compactor runs. Default: the smaller of 30 s and the window. */
  compactIntervalMs?: number;
  /** Revisions per compaction transaction, fixed. Default: adaptive, about 4 ms per transaction. */
  compactBatchRevisions?: number;
  /** Size the WAL file is cut back to after a checkpoint. Default 16 MiB. */
  walLimitBytes?: number;
  /** Clock for the periodic compactor (tests). */
  now?: () => number;
}

interface PendingWrite {
  write: PlannedWrite;
  resolve: (w: PlannedWrite) => void;
  reject: (err: K8tsError) => void;
}

/** Revisions of history read per step while a watch catches up; steps yield to the event loop. */
const HISTORY_STEP_REVISIONS = 2000;
/** Time a watch catch-up may hold the event loop before yielding. */
const SLICE_MS = 8;
/** Wanted duration of one compaction transaction. */
const COMPACT_TXN_TARGET_MS = 4;
/** Free pages returned to the filesystem per step after a compaction. */
const RELEASE_STEP_PAGES = 128;
/**
 * WAL pages (4 KiB each) that trigger a checkpoint. Measured here: a checkpoint costs ~5-10 ms of fsync
 * whatever its size, about the same up to ~500 pages, then grows with them (1000 pages: 17-46 ms).
 */
const CHECKPOINT_PAGES = 512;

export async function openSqliteBackend(opts: SqliteBackendOptions): Promise<SqliteBackend> {
  const path = opts.path ?? (opts.dataDir ? join(opts.dataDir, DEFAULT_DB_FILE) : undefined);
  if (!path) throw new TypeError('openSqliteBackend needs dataDir or path');
  const backend = new SqliteBackend(new LogDb(path, { walLimitBytes: opts.walLimitBytes }), opts);
  backend.start(opts);
  return backend;
}

export class SqliteBackend implements Backend {
  readonly name = 'sqlite';
  private readonly state = new CurrentState();
  private readonly hub = new WatchHub();
  private revision: number;
  private compacted: number;
  private closed = false;

  /** Writes of this event-loop turn, not yet in the file. */
  private pending: PendingWrite[] = [];
  /** Batches in the file but not yet durable, oldest first: the next WAL fsync covers them. */
  private unsynced: PendingWrite[][] = [];
  /** Batches the running fsync covers. */
  private syncing: PendingWrite[][] | undefined;
  /** Writes in `unsynced` and `syncing`: they hold the revisions after `revision`. */
  private notApplied = 0;
  /** settled() callers, each waiting for `revision` to reach its target. */
  private settleWaiters: Array<{ target: number; resolve: () => void }> = [];
  /** Resolves when the running fsync has been handled. */
  private synced: Promise<void> = Promise.resolve();
  /**
   * Latest value of keys with writes not yet applied (kv null: deleted), checked before the applied
   * state; `revision` tells whose write it is, so applying an older batch leaves a newer entry alone.
   */
  private readonly overlay = new Map<string, { kv: KeyValue | null; revision: number }>();
  private flushScheduled = false;
  private checkpointScheduled = false;

  private compactor: Compactor | undefined;
  private compaction: Promise<void> = Promise.resolve();
  private compactBatch: number;
  private readonly fixedCompactBatch: boolean;

  /** Counters for tests and benchmarks. */
  readonly counters = {
    commits: 0,
    committedWrites: 0,
    compactTransactions: 0,
    longestCompactTransactionMs: 0,
    checkpoints: 0,
    longestCheckpointMs: 0,
    pastListsByUndo: 0,
    pastListsFromLog: 0,
  };

  constructor(
    private readonly db: LogDb,
    opts: SqliteBackendOptions,
  ) {
    this.compactBatch = opts.compactBatchRevisions ?? 200;
    this.fixedCompactBatch = opts.compactBatchRevisions !== undefined;
    const { kvs, maxRevision } = db.loadCurrent();
    for (const kv of kvs) this.state.set(kv);
    this.compacted = db.meta('compacted');
    // A delete at the compacted revision leaves no row behind, so the revision can exceed every row.
    this.revision = Math.max(maxRevision, this.compacted);
  }

  /** Starts background work: an interrupted compaction resumes, and the periodic compactor runs. */
  start(opts: SqliteBackendOptions): void {
    // A failure here is not lost: the next compact() resumes from the last finished transaction.
    if (this.db.meta('compact_done') < this.compacted) this.runCompaction(this.compacted).catch(() => {});
    const windowMs = opts.compactWindowMs ?? DEFAULT_COMPACT_WINDOW_MS;
    if (windowMs > 0) {
      this.compactor = startCompactor(this, {
        windowMs,
        intervalMs: opts.compactIntervalMs,
        now: opts.now,
      });
    }
  }

  get path(): string {
    return this.db.path;
  }

  private ensureOpen(): void {
    if (this.closed) throw closedError(this.name);
  }

  async get(key: string, opts: { revision?: number } = {}): Promise<GetResult> {
    this.ensureOpen();
    checkKey(key);
    const at = readRevision(opts.revision, this.revision, this.compacted);
    const kv = at === this.revision ? this.state.get(key) : this.db.getAt(key, at);
    return { kv: kv ? copyKv(kv) : null, revision: at };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.ensureOpen();
    checkPrefix(prefix);
    const at = readRevision(opts.revision, this.revision, this.compacted);
    if (at === this.revision)
      return { ...this.state.list(prefix, opts.limit, opts.continueFrom), revision: at };

    // Two ways to the state at a past revision: undo the writes made since (cheap when few happened),
    // or ask SQLite for every key's row at that revision (cheap when the prefix holds few keys).
    const since = this.revision - at;
    const page =
      since <= 2 * this.state.countUnder(prefix)
        ? this.listByUndo(prefix, at, opts.limit, opts.continueFrom)
        : this.listFromLog(prefix, at, opts.limit, opts.continueFrom);
    return { ...page, revision: at };
  }

  /** The current keys, with those written after `at` replaced by their value at `at`. */
  private listByUndo(
    prefix: string,
    at: number,
    limit: number | undefined,
    continueFrom: string | undefined,
  ): Page {
    this.counters.pastListsByUndo++;
    const end = prefixEnd(prefix);
    const touched = this.db.touchedAfter(at, prefix, end);
    let count = this.state.countUnder(prefix);
    const wasLive: Array<{ key: string; revAt: number }> = [];
    const touchedKeys = new Set<string>();
    for (const t of touched) {
      touchedKeys.add(t.key);
      if (this.state.get(t.key)) count--;
      if (t.revAt > 0) {
        count++;
        wasLive.push(t);
      }
    }
    const items: KeyValue[] = [];
    let more = false;
    const want = limit || Number.POSITIVE_INFINITY;
    // Merge the untouched current keys with the touched keys that were live at `at`, both key-ordered.
    const current = this.state.keysFrom(prefix, end, continueFrom);
    let cur = current.next();
    let ti = 0;
    while (continueFrom !== undefined && ti < wasLive.length && wasLive[ti].key <= continueFrom) ti++;
    for (;;) {
      while (!cur.done && touchedKeys.has(cur.value)) cur = current.next();
      const fromState = cur.done ? undefined : cur.value;
      const fromLog = ti < wasLive.length ? wasLive[ti] : undefined;
      if (fromState === undefined && fromLog === undefined) break;
      if (items.length >= want) {
        more = true;
        break;
      }
      if (fromLog && (fromState === undefined || fromLog.key < fromState)) {
        items.push(this.db.kvAt(fromLog.revAt));
        ti++;
      } else {
        items.push(copyKv(this.state.get(fromState!)!));
        cur = current.next();
      }
    }
    return { items, count, more };
  }

  /** Every key's newest row at or below `at`, from the (key, rev) index. */
  private listFromLog(
    prefix: string,
    at: number,
    limit: number | undefined,
    continueFrom: string | undefined,
  ): Page {
    this.counters.pastListsFromLog++;
    const keys = this.db.keysAt(prefix, prefixEnd(prefix), at);
    let start = 0;
    if (continueFrom !== undefined) {
      let hi = keys.length;
      while (start < hi) {
        const mid = (start + hi) >>> 1;
        if (keys[mid].key <= continueFrom) start = mid + 1;
        else hi = mid;
      }
    }
    const end = limit ? Math.min(keys.length, start + limit) : keys.length;
    const items: KeyValue[] = [];
    for (let i = start; i < end; i++) items.push(this.db.kvAt(keys[i].rev));
    return { items, count: keys.length, more: end < keys.length };
  }

  async create(key: string, value: Buffer): Promise<WriteResult> {
    const w = await this.write({ kind: 'create', key, value });
    return { revision: w.revision };
  }

  async update(key: string, value: Buffer, opts: UpdateOptions): Promise<WriteResult> {
    const w = await this.write({ kind: 'update', key, value, expectedModRevision: opts.expectedModRevision });
    return { revision: w.revision };
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    const w = await this.write({ kind: 'delete', key, expectedModRevision: opts.expectedModRevision });
    return { revision: w.revision, prev: copyKv(w.prev!) };
  }

  private write(op: WriteOp): Promise<PlannedWrite> {
    this.ensureOpen();
    checkKey(op.key);
    if (op.kind !== 'delete') checkValue(op.key, op.value);
    const ahead = this.overlay.get(op.key);
    const latest = ahead ? (ahead.kv ?? undefined) : this.state.get(op.key);
    const write = planWrite(op, latest, this.revision + this.notApplied + this.pending.length + 1);
    this.overlay.set(op.key, { kv: write.kv, revision: write.revision });
    return new Promise<PlannedWrite>((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate runs after this turn's I/O callbacks, so requests arriving together share a commit.
    setImmediate(() => this.flush());
  }

  settled(): Promise<void> {
    const target = this.revision + this.notApplied + this.pending.length;
    if (target <= this.revision) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push({ target, resolve }));
  }

  /** Wakes settled() callers: those reached (all of them when `all`, after failed writes). */
  private wakeSettled(all: boolean): void {
    if (this.settleWaiters.length === 0) return;
    const waiting = this.settleWaiters;
    this.settleWaiters = [];
    for (const w of waiting) {
      if (all || w.target <= this.revision) w.resolve();
      else this.settleWaiters.push(w);
    }
  }

  /** Writes every pending write in one transaction, then has the WAL synced. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      this.db.append(batch.map((p) => p.write));
    } catch (err) {
      // Nothing of the batch is in the file (the transaction rolled back), so nothing is applied; the
      // overlay forgets its writes (every pending write was in this batch).
      for (const p of batch) {
        if (this.overlay.get(p.write.key)?.revision === p.write.revision) this.overlay.delete(p.write.key);
        p.reject(err as K8tsError);
      }
      this.wakeSettled(true);
      return;
    }
    this.unsynced.push(batch);
    this.notApplied += batch.length;
    this.syncWal();
  }

  /** Starts an fsync of the WAL for the batches written so far, unless one is running already. */
  private syncWal(): void {
    if (this.syncing || this.unsynced.length === 0) return;
    const batches = this.unsynced;
    this.unsynced = [];
    this.syncing = batches;
    this.synced = new Promise<void>((resolve) => {
      this.db.syncWal((err) => {
        this.syncing = undefined;
        if (err) this.failUnsynced(batches, err);
        else this.apply(batches);
        resolve();
        this.syncWal();
      });
    });
  }

  /** Applies durable batches in order: state, revision, watchers, then the writers' answers. */
  private apply(batches: PendingWrite[][]): void {
    const events: WatchEvent[] = [];
    for (const batch of batches) {
      this.counters.commits++;
      this.counters.committedWrites += batch.length;
      for (const { write: w } of batch) {
        if (w.kv) this.state.set(w.kv);
        else this.state.delete(w.key);
        if (this.overlay.get(w.key)?.revision === w.revision) this.overlay.delete(w.key);
        events.push(eventOf(w));
      }
      this.notApplied -= batch.length;
    }
    this.revision = batches.at(-1)!.at(-1)!.write.revision; // batches are never empty
    this.hub.publish(events);
    for (const batch of batches) for (const p of batch) p.resolve(p.write);
    this.wakeSettled(false);
    this.scheduleCheckpoint();
  }

  /**
   * The WAL could not be synced: whether those writes survive a crash is unknown, so this process
   * cannot go on answering from its in-memory view (as upstream etcd and PostgreSQL after a failed
   * fsync). Every write not yet answered fails and the store closes; reopening it reads the file.
   */
  private failUnsynced(batches: PendingWrite[][], err: Error): void {
    const failure = unavailable('syncing the WAL', err);
    for (const batch of [...batches, ...this.unsynced, this.pending])
      for (const p of batch) p.reject(failure);
    this.unsynced = [];
    this.pending = [];
    this.overlay.clear();
    this.notApplied = 0;
    this.wakeSettled(true);
    void this.close();
  }

  /** After the writers of this turn have their answer, checkpoint if the WAL has grown enough. */
  private scheduleCheckpoint(): void {
    if (this.checkpointScheduled) return;
    this.checkpointScheduled = true;
    setImmediate(() => {
      this.checkpointScheduled = false;
      this.checkpointIfDue();
    });
  }

  private checkpointIfDue(): void {
    if (this.closed) return;
    try {
      if (this.db.walPages() < CHECKPOINT_PAGES) return;
      const t0 = performance.now();
      this.db.checkpoint('PASSIVE');
      this.counters.checkpoints++;
      this.counters.longestCheckpointMs = Math.max(this.counters.longestCheckpointMs, performance.now() - t0);
    } catch {
      // Nothing waits on a checkpoint: the committed writes are durable in the WAL, and the next
      // commit schedules another attempt.
    }
  }

  watch(prefix: string, opts: WatchOptions, handlers: WatchHandlers): Watch {
    let from: number;
    try {
      this.ensureOpen();
      checkPrefix(prefix);
      from = opts.fromRevision || this.revision;
      if (from < this.compacted) throw compactedError(from, this.compacted);
    } catch (err) {
      if (isK8tsError(err)) return failedWatch(handlers, err);
      throw err;
    }
    // History covers (from, upTo]; live events start right after upTo. Both are fixed in this same
    // synchronous step, so nothing committed can fall between them.
    const upTo = this.revision;
    const w = this.hub.open(prefix, handlers, Math.max(from, upTo), from < upTo);
    if (from < upTo) this.catchUp(w, prefix, from, upTo);
    return w;
  }

  /** Feeds a watcher history from the log in slices, then lets it go live. */
  private catchUp(w: Watcher, prefix: string, from: number, upTo: number): void {
    const end = prefixEnd(prefix);
    let cursor = from;
    const step = (): void => {
      const started = performance.now();
      while (w.active && !this.closed) {
        // A compaction that started since the last slice may have dropped rows this watch still needs.
        if (this.compacted > cursor) {
          w.fail(compactedError(cursor, this.compacted));
          return;
        }
        const to = Math.min(upTo, cursor + HISTORY_STEP_REVISIONS);
        try {
          w.backlog(this.db.history(cursor, to, prefix, end));
        } catch (err) {
          if (isK8tsError(err)) w.fail(err);
          return;
        }
        cursor = to;
        if (cursor >= upTo) {
          w.goLive();
          return;
        }
        if (performance.now() - started > SLICE_MS) {
          setImmediate(step);
          return;
        }
      }
    };
    step();
  }

  async compact(revision: number): Promise<void> {
    this.ensureOpen();
    if (revision > this.revision) throw futureRevisionError(revision, this.revision);
    if (revision <= this.compacted) return this.compaction;
    // From here on reads below `revision` fail, before any row is dropped.
    this.compacted = revision;
    this.db.setMeta('compacted', revision);
    return this.runCompaction(revision);
  }

  /** Queues the row deletion for a compaction; runs are serialized. */
  private runCompaction(target: number): Promise<void> {
    const run = this.compaction.catch(() => {}).then(() => this.dropHistory(target));
    this.compaction = run;
    return run;
  }

  private async dropHistory(target: number): Promise<void> {
    let done = this.db.meta('compact_done');
    while (done < target) {
      if (this.closed) return;
      const hi = Math.min(target, done + this.compactBatch);
      const t0 = performance.now();
      this.db.compactRange(done, hi);
      const took = performance.now() - t0;
      this.counters.compactTransactions++;
      this.counters.longestCompactTransactionMs = Math.max(this.counters.longestCompactTransactionMs, took);
      done = hi;
      if (!this.fixedCompactBatch) this.compactBatch = nextBatchSize(this.compactBatch, took);
      // Every transaction is followed by a turn of the event loop, so pending writes commit in between;
      // so is every checkpoint of the pages the transactions freed.
      await yieldToEventLoop();
      if (this.closed) return;
      this.checkpointIfDue();
      await yieldToEventLoop();
    }
    await this.releaseSpace();
    if (this.closed) return;
    // Leave the WAL empty: everything is in the file by now, so this is quick.
    this.db.checkpoint('TRUNCATE');
  }

  /**
   * Hands free pages beyond a 10% reserve back to the filesystem. Small steps, each checkpointed right
   * away, keep every pause short: moving pages and truncating the file are the slow parts.
   */
  private async releaseSpace(): Promise<void> {
    for (;;) {
      await yieldToEventLoop();
      if (this.closed) return;
      const s = this.db.pages();
      const excess = s.freePages - Math.max(256, Math.floor(s.pageCount / 10));
      if (excess <= 0) return;
      this.db.releaseFreePages(Math.min(excess, RELEASE_STEP_PAGES));
      await yieldToEventLoop();
      if (this.closed) return;
      this.db.checkpoint('PASSIVE');
    }
  }

  async currentRevision(): Promise<number> {
    this.ensureOpen();
    return this.revision;
  }

  async compactedRevision(): Promise<number> {
    this.ensureOpen();
    return this.compacted;
  }

  /** File statistics (pages, free pages, log rows); for tests and benchmarks. */
  fileStats(): FileStats {
    this.ensureOpen();
    return this.db.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Writes already accepted get their answer: commit them now rather than drop them.
    if (this.pending.length > 0) this.flush();
    this.closed = true;
    while (this.syncing || this.unsynced.length > 0) {
      this.syncWal();
      await this.synced;
    }
    this.compactor?.stop();
    await this.compaction.catch(() => {});
    this.hub.failAll(closedError(this.name));
    this.db.close();
  }
}

/** Sizes compaction transactions to about COMPACT_TXN_TARGET_MS on this machine and its current load. */
function nextBatchSize(size: number, tookMs: number): number {
  if (tookMs > 2 * COMPACT_TXN_TARGET_MS) return Math.max(20, Math.floor(size / 2));
  if (tookMs < COMPACT_TXN_TARGET_MS / 2) return Math.min(1000, Math.ceil(size * 1.25));
  return size;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
