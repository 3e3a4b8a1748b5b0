// The SQLite file behind the sqlite driver: an append-only log of writes, one row per revision, plus a
// small meta table. All SQL lives here; the driver above keeps the current state in memory and uses
// this module for durability, past-revision reads, watch history and compaction.
//
//   log(rev PRIMARY KEY, key, deleted, create_rev, prev_rev, value)
//     prev_rev: the revision of the row this write replaced (0 for a create), so a row knows its
//     watch event's previous value, and compaction knows which row each write supersedes.
//   meta(name PRIMARY KEY, value)
//     compacted:    reads below this revision fail with Compacted
//     compact_done: rows up to this revision have been compacted (lags `compacted` while a run is going)

import { closeSync, fsync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { K8tsError } from '../../errors.js';
import type { KeyValue, WatchEvent } from '../backend.js';
import type { PlannedWrite } from '../write-plan.js';

const SCHEMA_VERSION = 1;
const DEFAULT_WAL_LIMIT_BYTES = 16 * 1024 * 1024;

interface LogRow {
  rev: number;
  key: string;
  deleted: number;
  create_rev: number;
  value: Buffer | null;
}

interface HistoryRow extends LogRow {
  prev_rev: number;
  prev_create_rev: number | null;
  prev_value: Buffer | null;
}

interface KeyRevRow {
  key: string;
  rev: number;
  deleted: number;
}

export interface LogDbOptions {
  /** SQLite page cache, in KiB. */
  cacheKiB?: number;
  /** Size the WAL file is truncated back to after checkpoints, in bytes. */
  walLimitBytes?: number;
}

export interface FileStats {
  pageSize: number;
  pageCount: number;
  freePages: number;
  logRows: number;
}

export function unavailable(what: string, err: unknown): K8tsError {
  return new K8tsError('StoreUnavailable', `sqlite store: ${what} failed: ${(err as Error)?.message ?? err}`);
}

export class LogDb {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly appendTxn: Database.Transaction<(writes: PlannedWrite[]) => void>;
  private readonly getAtStmt: Database.Statement;
  private readonly keysAtStmt: Database.Statement;
  private readonly touchedStmt: Database.Statement;
  private readonly rowStmt: Database.Statement;
  private readonly historyStmt: Database.Statement;
  private readonly compactTxn: Database.Transaction<(lo: number, hi: number) => void>;
  private readonly setMetaStmt: Database.Statement;
  private readonly walStmt: Database.Statement;
  /** A descriptor on the WAL file, for syncWal (opened at the first sync: the file exists by then). */
  private walFd: number | undefined;

  constructor(
    readonly path: string,
    opts: LogDbOptions = {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    try {
      // The file is ours alone (EXCLUSIVE locking below), so waiting on a lock only delays the error
      // for a second process opening it.
      this.db = new Database(path, { timeout: 200 });
    } catch (err) {
      throw unavailable(`opening ${path}`, err);
    }
    try {
      this.configure(opts);
    } catch (err) {
      this.db.close();
      const msg = String((err as Error)?.message ?? err);
      if (/locked|busy/i.test(msg)) {
        throw new K8tsError('StoreUnavailable', `sqlite store ${path} is in use by another process`);
      }
      throw unavailable(`opening ${path}`, err);
    }

    this.insert = this.db.prepare(
      'INSERT INTO log (rev, key, deleted, create_rev, prev_rev, value) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.appendTxn = this.db.transaction((writes: PlannedWrite[]) => {
      for (const w of writes) {
        if (w.kv)
          this.insert.run(w.revision, w.key, 0, w.kv.createRevision, w.prev?.modRevision ?? 0, w.kv.value);
        else this.insert.run(w.revision, w.key, 1, w.prev!.createRevision, w.prev!.modRevision, null);
      }
    });
    this.getAtStmt = this.db.prepare(
      'SELECT rev, key, deleted, create_rev, value FROM log WHERE key = ? AND rev <= ? ORDER BY rev DESC LIMIT 1',
    );
    // One row per key: its newest revision at or below the read revision (SQLite takes the bare
    // `deleted` column from the row holding max(rev)). Covered by the (key, rev, deleted) index.
    this.keysAtStmt = this.db.prepare(
      'SELECT key, max(rev) AS rev, deleted FROM log WHERE key >= ? AND key < ? AND rev <= ? GROUP BY key ORDER BY key',
    );
    // Keys written after a revision, each with the row its first later write replaced (prev_rev 0:
    // the key did not exist at that revision). Scans only the rows after the revision.
    this.touchedStmt = this.db.prepare(
      'SELECT key, min(rev) AS rev, prev_rev FROM log WHERE rev > ? AND key >= ? AND key < ? GROUP BY key ORDER BY key',
    );
    this.rowStmt = this.db.prepare('SELECT rev, key, deleted, create_rev, value FROM log WHERE rev = ?');
    this.historyStmt = this.db.prepare(
      `SELECT l.rev, l.key, l.deleted, l.create_rev, l.value, l.prev_rev,
              p.create_rev AS prev_create_rev, p.value AS prev_value
         FROM log l LEFT JOIN log p ON p.rev = l.prev_rev
        WHERE l.rev > ? AND l.rev <= ? AND l.key >= ? AND l.key < ?
        ORDER BY l.rev`,
    );
    // Asked after every commit: prepared once (db.pragma() would prepare it on every call).
    this.walStmt = this.db.prepare('PRAGMA wal_checkpoint(NOOP)');
    this.setMetaStmt = this.db.prepare(
      'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    // Compacting (lo, hi]: every write in the range supersedes the row it replaced, and a delete leaves
    // nothing behind once it is at or below the compacted revision. Rows still needed (the newest put of
    // each key at or below the compacted revision, and everything above it) are never touched.
    const dropSuperseded = this.db.prepare(
      'DELETE FROM log WHERE rev IN (SELECT prev_rev FROM log WHERE rev > ? AND rev <= ? AND prev_rev > 0)',
    );
    const dropDeletes = this.db.prepare('DELETE FROM log WHERE rev > ? AND rev <= ? AND deleted = 1');
    this.compactTxn = this.db.transaction((lo: number, hi: number) => {
      dropSuperseded.run(lo, hi);
      dropDeletes.run(lo, hi);
      this.setMetaStmt.run('compact_done', hi);
    });
  }

  private configure(opts: LogDbOptions): void {
    const db = this.db;
    // One process owns the file: the driver caches state in memory, so a second writer would corrupt
    // both views. EXCLUSIVE also lets WAL run without the shared-memory index file.
    db.pragma('locking_mode = EXCLUSIVE');
    // Only takes effect on a new file; lets compaction hand free pages back to the filesystem.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    // NORMAL: a commit writes its WAL frames but does not fsync them; the driver calls syncWal() and
    // acknowledges the writes only once that fsync is done, so an acknowledged write survives kill -9 and
    // power loss, while the event loop goes on (the fsync runs on libuv's thread pool). Checkpoints still
    // sync the WAL before copying it and the database file after, as SQLite does in NORMAL mode.
    db.pragma('synchronous = NORMAL');
    // No automatic checkpoints: SQLite would run one inside whichever commit passes 1000 pages, so that
    // commit (a write, or a compaction transaction) would also pay for copying ~4 MB into the file and
    // fsyncing it, 40-170 ms here. The driver checkpoints instead, in an event-loop turn of its own and
    // in smaller steps (see walPages). As the only connection, each checkpoint completes and the WAL
    // restarts from its beginning. (A worker-thread checkpointer was tried: on ext4 its fsyncs stalled
    // this thread's WAL writes just the same, and it had to hold commits to let the WAL rewind.)
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${opts.walLimitBytes ?? DEFAULT_WAL_LIMIT_BYTES}`);
    db.pragma(`cache_size = -${opts.cacheKiB ?? 32 * 1024}`);
    db.pragma('temp_store = MEMORY');
    db.exec(`
      CREATE TABLE IF NOT EXISTS log (
        rev INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        deleted INTEGER NOT NULL,
        create_rev INTEGER NOT NULL,
        prev_rev INTEGER NOT NULL,
        value BLOB
      );
      CREATE INDEX IF NOT EXISTS log_key_rev ON log (key, rev, deleted);
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    const version = this.meta('schema');
    if (version === 0) {
      db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run('schema', SCHEMA_VERSION);
    } else if (version !== SCHEMA_VERSION) {
      throw new Error(`unsupported schema version ${version} (this build reads ${SCHEMA_VERSION})`);
    }
  }

  meta(name: string): number {
    const row = this.db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as
      | { value: number }
      | undefined;
    return row?.value ?? 0;
  }

  setMeta(name: string, value: number): void {
    try {
      this.setMetaStmt.run(name, value);
    } catch (err) {
      throw unavailable('writing metadata', err);
    }
  }

  /** The live keys at the newest revision, and that revision (the highest row). */
  loadCurrent(): { kvs: KeyValue[]; maxRevision: number } {
    const rows = this.db
      .prepare(
        `SELECT l.rev, l.key, l.deleted, l.create_rev, l.value
           FROM log l JOIN (SELECT max(rev) AS rev FROM log GROUP BY key) m ON l.rev = m.rev
          WHERE l.deleted = 0`,
      )
      .all() as LogRow[];
    const max = this.db.prepare('SELECT max(rev) AS rev FROM log').get() as { rev: number | null };
    return { kvs: rows.map(rowKv), maxRevision: max.rev ?? 0 };
  }

  /**
   * Writes a batch in one transaction, not yet durable: syncWal() makes it so. Throws StoreUnavailable.
   */
  append(writes: PlannedWrite[]): void {
    try {
      this.appendTxn.immediate(writes);
    } catch (err) {
      throw unavailable('committing writes', err);
    }
  }

  getAt(key: string, revision: number): KeyValue | undefined {
    const row = this.read('get', () => this.getAtStmt.get(key, revision)) as LogRow | undefined;
    return row && !row.deleted ? rowKv(row) : undefined;
  }

  /** The keys live at `revision` in [from, to), in key order, each with the revision of its row. */
  keysAt(from: string, to: string, revision: number): Array<{ key: string; rev: number }> {
    const rows = this.read('list', () => this.keysAtStmt.all(from, to, revision)) as KeyRevRow[];
    const live: Array<{ key: string; rev: number }> = [];
    for (const r of rows) if (!r.deleted) live.push({ key: r.key, rev: r.rev });
    return live;
  }

  /**
   * Keys in [from, to) written after `revision`, in key order, with the revision of their value at
   * `revision` (0: absent then).
   */
  touchedAfter(revision: number, from: string, to: string): Array<{ key: string; revAt: number }> {
    const rows = this.read('list', () => this.touchedStmt.all(revision, from, to)) as Array<{
      key: string;
      prev_rev: number;
    }>;
    return rows.map((r) => ({ key: r.key, revAt: r.prev_rev }));
  }

  /** The put stored at exactly `rev`. */
  kvAt(rev: number): KeyValue {
    const row = this.read('list', () => this.rowStmt.get(rev)) as LogRow | undefined;
    if (!row || row.deleted) throw new K8tsError('StoreUnavailable', `sqlite store: row ${rev} is missing`);
    return rowKv(row);
  }

  /** Watch events with revision in (after, upTo] for keys in [from, to), in revision order. */
  history(after: number, upTo: number, from: string, to: string): WatchEvent[] {
    const rows = this.read('watch history', () =>
      this.historyStmt.all(after, upTo, from, to),
    ) as HistoryRow[];
    return rows.map((r) => {
      const prev: KeyValue | undefined =
        r.prev_rev > 0
          ? {
              key: r.key,
              value: r.prev_value ?? Buffer.alloc(0),
              createRevision: r.prev_create_rev ?? 0,
              modRevision: r.prev_rev,
            }
          : undefined;
      if (r.deleted) {
        return {
          type: 'DELETE',
          kv: { key: r.key, value: Buffer.alloc(0), createRevision: 0, modRevision: r.rev },
          prev,
        };
      }
      const kv = rowKv(r);
      return prev ? { type: 'PUT', kv, prev } : { type: 'PUT', kv };
    });
  }

  /**
   * Drops the history superseded within (lo, hi] in one short transaction. Nothing waits for its fsync:
   * losing it to a crash only means redoing it (compact_done lags), and the next syncWal() covers it.
   */
  compactRange(lo: number, hi: number): void {
    try {
      this.compactTxn.immediate(lo, hi);
    } catch (err) {
      throw unavailable('compacting', err);
    }
  }

  /** Pages in the WAL not yet copied into the database file (cheap: reads the WAL index only). */
  walPages(): number {
    const r = this.read('checkpoint', () => this.walStmt.get()) as
      | { log: number; checkpointed: number }
      | undefined;
    return r ? Math.max(0, r.log - r.checkpointed) : 0;
  }

  /** Copies the WAL into the database file; TRUNCATE also empties the WAL file. */
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): void {
    this.read('checkpoint', () => this.db.pragma(`wal_checkpoint(${mode})`));
  }

  /** Returns up to `pages` free pages to the filesystem; the rest stay for reuse. */
  releaseFreePages(pages: number): void {
    this.read('vacuum', () => this.db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`));
  }

  /** Pages in the file and how many of them are free. */
  pages(): { pageCount: number; freePages: number } {
    const n = (p: string): number => this.db.pragma(p, { simple: true }) as number;
    return { pageCount: n('page_count'), freePages: n('freelist_count') };
  }

  stats(): FileStats {
    const n = (p: string): number => this.db.pragma(p, { simple: true }) as number;
    const rows = this.db.prepare('SELECT count(*) AS n FROM log').get() as { n: number };
    return {
      pageSize: n('page_size'),
      pageCount: n('page_count'),
      freePages: n('freelist_count'),
      logRows: rows.n,
    };
  }

  /**
   * fsyncs the WAL on the thread pool: every transaction committed before the call is durable once the
   * callback runs without an error. fsync flushes the file, whichever descriptor asks.
   */
  syncWal(done: (err: Error | null) => void): void {
    try {
      this.walFd ??= openSync(`${this.path}-wal`, 'r');
    } catch (err) {
      done(err as Error);
      return;
    }
    fsync(this.walFd, done);
  }

  close(): void {
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
    if (this.db.open) this.db.close();
  }

  private read<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw unavailable(what, err);
    }
  }
}

function rowKv(r: LogRow): KeyValue {
  return { key: r.key, value: r.value ?? Buffer.alloc(0), createRevision: r.create_rev, modRevision: r.rev };
}
