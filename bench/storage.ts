// bench/storage: the sqlite and etcd drivers side by side, in one run, through the same Backend calls.
// Prints sequential and 64-way creates/updates/gets per second (1 KiB values), list latency, watch
// latency from write to delivery under a paced load, the longest writer stall while compacting 100,000
// revisions, and the database size after 1,000,000 updates to 1,000 keys with a compaction that keeps
// 10,000 revisions. etcd is a real single-member etcd on loopback (test/helpers/etcd.ts, fsync on).
//
//   npm run build && node dist/bench/storage.js [--quick] [--etcd-full-size]
//     --quick: about 10x smaller counts, a smoke run.
//     --etcd-full-size: etcd also gets 1,000,000 updates in the size phase; by default it gets 200,000
//       (at ~3-5k updates/s the full figure alone takes 4-5 minutes here; with compaction keeping a fixed
//       window the size has reached its steady state long before).

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import type { Backend } from '../src/storage/backend.js';
import { openEtcdBackend } from '../src/storage/etcd/index.js';
import { openSqliteBackend, SqliteBackend } from '../src/storage/sqlite/index.js';
import { type EtcdCluster, startEtcd } from '../test/helpers/etcd.js';

const quick = process.argv.includes('--quick');
const etcdFullSize = process.argv.includes('--etcd-full-size');
const scale = quick ? 10 : 1;
const CONCURRENCY = 64;
const VALUE = Buffer.alloc(1024, 'v');

const COUNTS = {
  seqCreates: 2_000 / scale,
  seqUpdates: 2_000 / scale,
  seqGets: 5_000 / scale,
  /** The 64-way creates fill the keys the lists read: smallList under one prefix, bigList in all. */
  smallList: 10_000 / scale,
  bigList: 100_000 / scale,
  parUpdates: 20_000 / scale,
  parGets: 50_000 / scale,
  watchRate: 1_000,
  watchMs: 5_000 / (quick ? 5 : 1),
  compactHistory: 100_000 / scale,
  sizeKeys: 1_000,
  sizeUpdates: 1_000_000 / scale,
  etcdSizeUpdates: quick || etcdFullSize ? 1_000_000 / scale : 200_000,
  sizeWindow: 10_000 / scale,
};

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (bytes: number): string => `${fmt(bytes / 1048576, 1)} MiB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (msg: string) => process.stderr.write(`  ${msg}\n`);

/** Temp dirs and etcd processes to remove on exit, including Ctrl-C. */
const cleanups = new Set<() => Promise<void> | void>();
async function cleanUp(): Promise<void> {
  for (const c of [...cleanups].reverse()) {
    cleanups.delete(c);
    await c();
  }
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

// ---- the two drivers ----

interface SizeReport {
  /** The database file (sqlite: db + wal; etcd: bbolt db as reported by Status). */
  dbBytes: number;
  /** etcd only: the db after Defragment. */
  defragBytes?: number;
  /** Everything in the data dir (etcd: also its WAL segments and snapshots). */
  dirBytes: number;
  note: string;
}

interface Store {
  backend: Backend;
  size(): Promise<SizeReport>;
  close(): Promise<void>;
}

interface Driver {
  name: 'sqlite' | 'etcd';
  /** A fresh, empty store with the periodic compactor off (the bench compacts explicitly). */
  open(): Promise<Store>;
}

function dirSize(path: string): number {
  let total = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    total += e.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}

const sqliteDriver: Driver = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-sqlite-'));
    const removeDir = () => rmSync(dir, { recursive: true, force: true });
    cleanups.add(removeDir);
    const b: SqliteBackend = await openSqliteBackend({ dataDir: dir, compactWindowMs: 0 });
    return {
      backend: b,
      async size() {
        const fileSize = (p: string) => {
          try {
            return statSync(p).size;
          } catch {
            return 0;
          }
        };
        const db = fileSize(b.path);
        const wal = fileSize(`${b.path}-wal`);
        const s = b.fileStats();
        return {
          dbBytes: db + wal,
          dirBytes: dirSize(dir),
          note: `sqlite: ${mib(db)} db + ${mib(wal)} wal, ${fmt(s.logRows)} log rows, ${fmt(s.freePages)}/${fmt(s.pageCount)} pages free`,
        };
      },
      async close() {
        await b.close();
        removeDir();
        cleanups.delete(removeDir);
      },
    };
  },
};

/** etcd's Maintenance service, only the two calls the size report needs (fields per etcd's rpc.proto). */
interface StatusReply {
  dbSize: number;
  dbSizeInUse: number;
}
interface MaintenanceClient extends grpc.Client {
  Status(req: object, opts: grpc.CallOptions, cb: (err: Error | null, res: StatusReply) => void): void;
  Defragment(req: object, opts: grpc.CallOptions, cb: (err: Error | null) => void): void;
}
function maintenanceClient(endpoint: string): MaintenanceClient {
  const descriptor = {
    nested: {
      etcdserverpb: {
        nested: {
          Maintenance: {
            methods: {
              Status: { requestType: 'StatusRequest', responseType: 'StatusResponse' },
              Defragment: { requestType: 'DefragmentRequest', responseType: 'DefragmentResponse' },
            },
          },
          StatusRequest: { fields: {} },
          StatusResponse: {
            fields: { dbSize: { type: 'int64', id: 3 }, dbSizeInUse: { type: 'int64', id: 9 } },
          },
          DefragmentRequest: { fields: {} },
          DefragmentResponse: { fields: {} },
        },
      },
    },
  };
  const def = fromJSON(descriptor as unknown as Parameters<typeof fromJSON>[0], {
    keepCase: true,
    longs: Number,
    defaults: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    etcdserverpb: { Maintenance: new (target: string, creds: grpc.ChannelCredentials) => MaintenanceClient };
  };
  return new pkg.etcdserverpb.Maintenance(endpoint, grpc.credentials.createInsecure());
}

const etcdDriver: Driver = {
  name: 'etcd',
  async open() {
    const cluster: EtcdCluster = await startEtcd();
    const stopCluster = () => cluster.stop();
    cleanups.add(stopCluster);
    const member = cluster.members[0];
    const backend = await openEtcdBackend({ endpoints: cluster.endpoints, compactWindowMs: 0 });
    const maint = maintenanceClient(member.endpoint);
    const deadline = () => ({ deadline: Date.now() + 120_000 });
    const status = () =>
      new Promise<StatusReply>((res, rej) =>
        maint.Status({}, deadline(), (err, r) => (err ? rej(err) : res(r))),
      );
    return {
      backend,
      async size() {
        const before = await status();
        const dirBefore = dirSize(member.dataDir);
        await new Promise<void>((res, rej) =>
          maint.Defragment({}, deadline(), (err) => (err ? rej(err) : res())),
        );
        const after = await status();
        return {
          dbBytes: before.dbSize,
          defragBytes: after.dbSize,
          dirBytes: dirBefore,
          note: `etcd: Status dbSize ${mib(before.dbSize)} (in use ${mib(before.dbSizeInUse)}), after Defragment ${mib(after.dbSize)}`,
        };
      },
      async close() {
        maint.close();
        await backend.close();
        await cluster.stop();
        cleanups.delete(stopCluster);
      },
    };
  },
};

// ---- load helpers ----

/** Longest gap between 1 ms timer ticks: how long this process's event loop was blocked. */
function loopGapMonitor(): { reset(): void; max(): number; stop(): void } {
  let max = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 1);
  return {
    reset: () => {
      max = 0;
    },
    max: () => max,
    stop: () => clearInterval(timer),
  };
}

/** Runs `total` operations with `concurrency` workers pulling the next index; returns ops/s. */
async function opsPerSecond(
  total: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

/**
 * `total` updates spread over `keys`, each worker owning the keys congruent to its index, so CAS writes
 * never conflict. `after` sees each new revision (the size phase compacts from there).
 */
async function updateRounds(
  b: Backend,
  keys: string[],
  mods: Map<string, number>,
  total: number,
  after?: (revision: number) => void,
): Promise<void> {
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, keys.length) }, async (_, w) => {
      const own = keys.filter((_, i) => i % CONCURRENCY === w);
      for (let i = 0; done < total; i++) {
        done++;
        const k = own[i % own.length];
        const { revision } = await b.update(k, VALUE, { expectedModRevision: mods.get(k)! });
        mods.set(k, revision);
        after?.(revision);
      }
    }),
  );
}

async function createAll(b: Backend, keys: string[], mods: Map<string, number>): Promise<number> {
  return opsPerSecond(keys.length, CONCURRENCY, async (i) => {
    mods.set(keys[i], (await b.create(keys[i], VALUE)).revision);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];
}

async function medianMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

// ---- phases ----

type Results = Map<string, number>;

async function throughput(b: Backend, r: Results): Promise<void> {
  const mods = new Map<string, number>();
  const seqKeys = Array.from({ length: COUNTS.seqCreates }, (_, i) => `/seq/${i}`);
  progress('sequential creates');
  r.set('seqCreates', await opsPerSecond(seqKeys.length, 1, (i) => b.create(seqKeys[i], VALUE)));

  // The keys the lists read: smallList under /l/a/, the rest under /l/b/.
  const keys = Array.from({ length: COUNTS.bigList }, (_, i) =>
    i < COUNTS.smallList ? `/l/a/${i}` : `/l/b/${i}`,
  );
  progress(`${CONCURRENCY}-way creates (${fmt(keys.length)} keys)`);
  const before = b instanceof SqliteBackend ? { ...b.counters } : undefined;
  r.set('parCreates', await createAll(b, keys, mods));
  if (b instanceof SqliteBackend && before) {
    const c = b.counters;
    r.set('writesPerCommit', (c.committedWrites - before.committedWrites) / (c.commits - before.commits));
  }

  progress('sequential updates');
  r.set(
    'seqUpdates',
    await opsPerSecond(COUNTS.seqUpdates, 1, async (i) => {
      const k = keys[i];
      mods.set(k, (await b.update(k, VALUE, { expectedModRevision: mods.get(k)! })).revision);
    }),
  );
  // Each index a distinct key, so concurrent CAS updates never collide.
  progress(`${CONCURRENCY}-way updates`);
  const offset = COUNTS.seqUpdates;
  r.set(
    'parUpdates',
    await opsPerSecond(COUNTS.parUpdates, CONCURRENCY, async (i) => {
      const k = keys[(offset + i) % keys.length];
      mods.set(k, (await b.update(k, VALUE, { expectedModRevision: mods.get(k)! })).revision);
    }),
  );

  const someKey = (i: number) => keys[(i * 7919) % keys.length];
  progress('gets');
  r.set('seqGets', await opsPerSecond(COUNTS.seqGets, 1, (i) => b.get(someKey(i))));
  r.set('parGets', await opsPerSecond(COUNTS.parGets, CONCURRENCY, (i) => b.get(someKey(i))));

  progress('lists');
  const listed = async (prefix: string, want: number) => {
    const res = await b.list(prefix);
    if (res.items.length !== want) throw new Error(`list ${prefix}: ${res.items.length} items, want ${want}`);
  };
  r.set('listSmall', await medianMs(3, () => listed('/l/a/', COUNTS.smallList)));
  r.set('listBig', await medianMs(3, () => listed('/l/', COUNTS.bigList)));
}

/** Creates paced at COUNTS.watchRate/s on a watched prefix; latency from the call to delivery. */
async function watchLatency(b: Backend, r: Results): Promise<void> {
  progress(`watch latency at ${fmt(COUNTS.watchRate)} writes/s`);
  const started = new Map<string, number>();
  const latencies: number[] = [];
  let warm: (() => void) | undefined;
  let failure: Error | undefined;
  let gaps: ReturnType<typeof loopGapMonitor> | undefined;
  const w = b.watch(
    '/w/',
    { fromRevision: 0 },
    {
      onEvents(events) {
        const now = performance.now();
        for (const e of events) {
          if (e.kv.key === '/w/warm') warm?.();
          const t = started.get(e.kv.key);
          if (t !== undefined) latencies.push(now - t);
        }
      },
      onError(err) {
        failure = err;
      },
    },
  );
  try {
    // The first event proves the watch stream is live, so no latency includes setting it up.
    const warmed = new Promise<void>((res) => {
      warm = res;
    });
    await b.create('/w/warm', VALUE);
    await warmed;

    const inflight = new Set<Promise<unknown>>();
    gaps = loopGapMonitor();
    const t0 = performance.now();
    let sent = 0;
    for (;;) {
      const elapsed = performance.now() - t0;
      if (elapsed >= COUNTS.watchMs) break;
      const due = Math.floor((elapsed * COUNTS.watchRate) / 1000);
      while (sent < due) {
        const key = `/w/${sent++}`;
        started.set(key, performance.now());
        const p = b.create(key, VALUE);
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
      await sleep(1);
    }
    await Promise.all(inflight);
    const deadline = Date.now() + 10_000;
    while (latencies.length < sent && !failure && Date.now() < deadline) await sleep(5);
    if (failure) throw failure;
    if (latencies.length < sent) throw new Error(`watch delivered ${latencies.length} of ${sent} events`);
  } finally {
    w.cancel();
    gaps?.stop();
  }
  r.set('watchLoopGap', gaps?.max() ?? Number.NaN);
  latencies.sort((a, b) => a - b);
  r.set('watchP50', percentile(latencies, 0.5));
  r.set('watchP99', percentile(latencies, 0.99));
}

/**
 * Builds COUNTS.compactHistory revisions (1,000 keys updated over and over), then compacts all of it
 * while one writer updates a probe key back to back; the stall is that writer's longest write.
 */
async function compactionStall(b: Backend, r: Results): Promise<void> {
  progress(`building ${fmt(COUNTS.compactHistory)} revisions of history`);
  const mods = new Map<string, number>();
  const keys = Array.from({ length: 1000 }, (_, i) => `/h/${i}`);
  await createAll(b, keys, mods);
  await updateRounds(b, keys, mods, COUNTS.compactHistory - keys.length);
  const target = await b.currentRevision();
  let probeRev = (await b.create('/probe', VALUE)).revision;

  let maxWrite = 0;
  let writes = 0;
  let stop = false;
  const gaps = loopGapMonitor();
  const writer = (async () => {
    while (!stop) {
      const t = performance.now();
      probeRev = (await b.update('/probe', VALUE, { expectedModRevision: probeRev })).revision;
      maxWrite = Math.max(maxWrite, performance.now() - t);
      writes++;
    }
  })();
  try {
    // The same writer without a compaction first: the baseline its stall compares to.
    await sleep(1000);
    r.set('baselineWrite', maxWrite);
    maxWrite = 0;
    gaps.reset();
    writes = 0;
    progress(`compacting ${fmt(COUNTS.compactHistory)} revisions`);
    const t0 = performance.now();
    await b.compact(target);
    r.set('compactMs', performance.now() - t0);
  } finally {
    stop = true;
    await writer;
    gaps.stop();
  }
  r.set('stallMs', maxWrite);
  r.set('loopGapMs', gaps.max());
  r.set('writesDuringCompaction', writes);
  if (b instanceof SqliteBackend) {
    r.set('compactTxns', b.counters.compactTransactions);
    r.set('longestCompactTxn', b.counters.longestCompactTransactionMs);
    r.set('longestCheckpoint', b.counters.longestCheckpointMs);
  }
}

/**
 * COUNTS.sizeUpdates updates to COUNTS.sizeKeys keys on a fresh store, compacting to keep
 * COUNTS.sizeWindow revisions (a new compaction every half window, never two at once).
 */
async function sizeAfterUpdates(driver: Driver, r: Results): Promise<SizeReport> {
  const updates = driver.name === 'etcd' ? COUNTS.etcdSizeUpdates : COUNTS.sizeUpdates;
  r.set('sizeUpdates', updates);
  const store = await driver.open();
  try {
    const b = store.backend;
    const mods = new Map<string, number>();
    const keys = Array.from({ length: COUNTS.sizeKeys }, (_, i) => `/s/${i}`);
    await createAll(b, keys, mods);
    let compacting: Promise<void> | undefined;
    let compactedTo = 0;
    let compactions = 0;
    let compactError: unknown;
    const maybeCompact = (rev: number) => {
      const to = rev - COUNTS.sizeWindow;
      if (compacting || to - compactedTo < COUNTS.sizeWindow / 2) return;
      compactedTo = to;
      compactions++;
      compacting = b
        .compact(to)
        .catch((err) => {
          compactError = err;
        })
        .finally(() => {
          compacting = undefined;
        });
    };
    progress(`${fmt(updates)} updates to ${fmt(COUNTS.sizeKeys)} keys, compacting as they go`);
    const t0 = performance.now();
    let lastReport = t0;
    await updateRounds(b, keys, mods, updates, (rev) => {
      maybeCompact(rev);
      const now = performance.now();
      if (now - lastReport > 30_000) {
        lastReport = now;
        progress(`  revision ${fmt(rev)} after ${fmt((now - t0) / 1000)} s`);
      }
    });
    r.set('sizeUpdatesPerSec', updates / ((performance.now() - t0) / 1000));
    await compacting;
    if (compactError) throw compactError;
    r.set('sizeCompactions', compactions);
    r.set('sizeHistory', (await b.currentRevision()) - compactedTo);
    return await store.size();
  } finally {
    await store.close();
  }
}

async function runDriver(driver: Driver): Promise<{ r: Results; size: SizeReport }> {
  process.stderr.write(`${driver.name}:\n`);
  const r: Results = new Map();
  const store = await driver.open();
  try {
    await throughput(store.backend, r);
    await watchLatency(store.backend, r);
    await compactionStall(store.backend, r);
  } finally {
    await store.close();
  }
  const size = await sizeAfterUpdates(driver, r);
  return { r, size };
}

// ---- report ----

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const sq = await runDriver(sqliteDriver);
  const et = await runDriver(etcdDriver);
  const s = sq.r;
  const e = et.r;
  const v = (m: Results, k: string, d = 0) => fmt(m.get(k)!, d);
  const pass = (ok: boolean) => (ok ? 'pass' : 'MISS');
  const ratio = (k: string) => s.get(k)! / e.get(k)!;
  const fiveX = (k: string) => `sqlite >= 5x etcd: ${fmt(ratio(k), 1)}x ${pass(ratio(k) >= 5)}`;
  const under = (k: string, limit: number) =>
    `< ${limit} ms: sqlite ${pass(s.get(k)! < limit)}, etcd ${pass(e.get(k)! < limit)}`;
  const c = COUNTS;

  const rows: string[][] = [
    ['', 'sqlite', 'etcd', 'target'],
    ['creates/s, sequential', v(s, 'seqCreates'), v(e, 'seqCreates'), ''],
    [`creates/s, ${CONCURRENCY}-way`, v(s, 'parCreates'), v(e, 'parCreates'), fiveX('parCreates')],
    ['updates/s, sequential', v(s, 'seqUpdates'), v(e, 'seqUpdates'), ''],
    [`updates/s, ${CONCURRENCY}-way`, v(s, 'parUpdates'), v(e, 'parUpdates'), fiveX('parUpdates')],
    ['gets/s, sequential', v(s, 'seqGets'), v(e, 'seqGets'), ''],
    [`gets/s, ${CONCURRENCY}-way`, v(s, 'parGets'), v(e, 'parGets'), ''],
    [`list ${fmt(c.smallList)} keys (ms)`, v(s, 'listSmall', 1), v(e, 'listSmall', 1), ''],
    [`list ${fmt(c.bigList)} keys (ms)`, v(s, 'listBig', 1), v(e, 'listBig', 1), ''],
    [`watch latency p50 (ms) @ ${fmt(c.watchRate)} writes/s`, v(s, 'watchP50', 2), v(e, 'watchP50', 2), ''],
    ['watch latency p99 (ms)', v(s, 'watchP99', 2), v(e, 'watchP99', 2), under('watchP99', 10)],
    ['  longest event-loop gap during it (ms)', v(s, 'watchLoopGap', 1), v(e, 'watchLoopGap', 1), ''],
    [`compaction of ${fmt(c.compactHistory)} revisions (ms)`, v(s, 'compactMs'), v(e, 'compactMs'), ''],
    ['  longest write during it (ms)', v(s, 'stallMs', 1), v(e, 'stallMs', 1), under('stallMs', 50)],
    ['  longest write, no compaction (ms)', v(s, 'baselineWrite', 1), v(e, 'baselineWrite', 1), ''],
    ['  writes during it', v(s, 'writesDuringCompaction'), v(e, 'writesDuringCompaction'), ''],
    ['  longest event-loop gap during it (ms)', v(s, 'loopGapMs', 1), v(e, 'loopGapMs', 1), ''],
    [
      `db after N updates to ${fmt(c.sizeKeys)} keys (MiB)`,
      fmt(sq.size.dbBytes / 1048576, 1),
      fmt(et.size.dbBytes / 1048576, 1),
      '',
    ],
    ['  N (updates made)', v(s, 'sizeUpdates'), v(e, 'sizeUpdates'), ''],
    ['  after etcd Defragment (MiB)', '-', fmt((et.size.defragBytes ?? 0) / 1048576, 1), ''],
    ['  whole data dir (MiB)', fmt(sq.size.dirBytes / 1048576, 1), fmt(et.size.dirBytes / 1048576, 1), ''],
    ['  updates/s during it', v(s, 'sizeUpdatesPerSec'), v(e, 'sizeUpdatesPerSec'), ''],
    ['  revisions kept at the end', v(s, 'sizeHistory'), v(e, 'sizeHistory'), ''],
  ];
  console.log(
    `\nstorage bench${quick ? ' (--quick: counts about 10x smaller)' : ''}: 1 KiB values, ` +
      `both drivers durable (sqlite group-commits fsynced transactions; etcd single member, fsync on)\n`,
  );
  console.log(table(rows));
  console.log(
    `\nsize phase: fresh store per driver, compacting to (revision - ${fmt(c.sizeWindow)}) every ` +
      `${fmt(c.sizeWindow / 2)} revisions (${fmt(s.get('sizeCompactions')!)} compactions on sqlite, ` +
      `${fmt(e.get('sizeCompactions')!)} on etcd).\n  ${sq.size.note}\n  ${et.size.note}` +
      `\n  data dir: sqlite db + wal; etcd member dir (bbolt db, raft WAL segments preallocated 64 MB, snapshots)` +
      (c.etcdSizeUpdates < c.sizeUpdates
        ? `\n  etcd made ${fmt(c.etcdSizeUpdates)} updates, not ${fmt(c.sizeUpdates)}, to keep the run short ` +
          '(steady state: compaction keeps a fixed window); --etcd-full-size runs all of them'
        : ''),
  );
  console.log(
    `\nsqlite: ${fmt(s.get('writesPerCommit')!, 1)} writes per fsynced commit during the ${CONCURRENCY}-way creates; ` +
      `compaction ran as ${fmt(s.get('compactTxns')!)} transactions, the longest ${fmt(s.get('longestCompactTxn')!, 1)} ms; ` +
      `the longest WAL checkpoint (run in its own event-loop turn) took ${fmt(s.get('longestCheckpoint')!, 1)} ms.`,
  );
  console.log(`\ntotal bench time ${fmt((performance.now() - t0) / 1000)} s`);
}

try {
  await main();
} finally {
  await cleanUp();
}
