// Quick figures for the sqlite driver: durable creates/s (sequential and 64-way with group commit),
// past-revision list cost, and the longest writer stall while compacting 100,000 revisions.
// Run: npx tsc -p tsconfig.json && node dist/bench/storage-sqlite.js [dir]

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteBackend, type SqliteBackend } from '../src/storage/sqlite/index.js';

const value = Buffer.alloc(1024, 'x');

async function creates(
  b: SqliteBackend,
  prefix: string,
  total: number,
  concurrency: number,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await b.create(`${prefix}${next++}`, value);
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

/** Write-to-delivery latency of watch events under 64-way load, p50 and p99 in ms. */
async function watchLatency(b: SqliteBackend): Promise<{ p50: number; p99: number }> {
  const started = new Map<string, number>();
  const latencies: number[] = [];
  const w = b.watch(
    '/lat/',
    { fromRevision: 0 },
    {
      onEvents: (events) => {
        const now = performance.now();
        for (const e of events) latencies.push(now - started.get(e.kv.key)!);
      },
      onError: (err) => {
        throw err;
      },
    },
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < 20_000) {
        const key = `/lat/${next++}`;
        started.set(key, performance.now());
        await b.create(key, value);
      }
    }),
  );
  await new Promise((r) => setImmediate(r));
  w.cancel();
  latencies.sort((x, y) => x - y);
  return {
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
  };
}

async function compactionStall(
  b: SqliteBackend,
): Promise<{ maxWriteMs: number; maxLoopGapMs: number; compactMs: number }> {
  // 100,000 revisions of history: 1,000 keys updated 100 times each, 64 writers at a time.
  const mods = new Map<string, number>();
  for (let i = 0; i < 1000; i++) mods.set(`/stall/k${i}`, (await b.create(`/stall/k${i}`, value)).revision);
  const keys = [...mods.keys()];
  let done = 0;
  await Promise.all(
    Array.from({ length: 64 }, async (_, w) => {
      for (let i = w; done < 99_000; i += 64) {
        const k = keys[i % keys.length];
        mods.set(k, (await b.update(k, value, { expectedModRevision: mods.get(k)! })).revision);
        done++;
      }
    }),
  );
  const target = await b.currentRevision();

  let maxWriteMs = 0;
  let maxLoopGapMs = 0;
  let stop = false;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    maxLoopGapMs = Math.max(maxLoopGapMs, now - last);
    last = now;
  }, 1);
  const writer = (async () => {
    let i = 0;
    while (!stop) {
      const k = keys[i++ % keys.length];
      const t = performance.now();
      mods.set(k, (await b.update(k, value, { expectedModRevision: mods.get(k)! })).revision);
      maxWriteMs = Math.max(maxWriteMs, performance.now() - t);
    }
  })();
  const t0 = performance.now();
  await b.compact(target);
  const compactMs = performance.now() - t0;
  stop = true;
  await writer;
  clearInterval(ticker);
  return { maxWriteMs, maxLoopGapMs, compactMs };
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'k8ts-bench-sqlite-'));
  const b = await openSqliteBackend({ dataDir: dir, compactWindowMs: 0 });
  try {
    const seq = await creates(b, '/seq/', 3000, 1);
    const c0 = b.counters.commits;
    const w0 = b.counters.committedWrites;
    const par = await creates(b, '/par/', 40_000, 64);
    const perCommit = (b.counters.committedWrites - w0) / (b.counters.commits - c0);
    console.log(`sequential creates/s:     ${seq.toFixed(0)}`);
    console.log(
      `64-way creates/s:         ${par.toFixed(0)} (${perCommit.toFixed(1)} writes per fsynced commit)`,
    );

    const rev = await b.currentRevision();
    await b.create('/par/extra', value);
    let t = performance.now();
    const past = await b.list('/par/', { revision: rev, limit: 500 });
    console.log(
      `list page of 500 at a past revision over ${past.count} keys: ${(performance.now() - t).toFixed(1)} ms`,
    );
    t = performance.now();
    const cur = await b.list('/par/');
    console.log(
      `list all ${cur.count} keys at the current revision: ${(performance.now() - t).toFixed(1)} ms`,
    );

    const lat = await watchLatency(b);
    console.log(
      `watch latency under 64-way creates: p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms`,
    );

    const s = await compactionStall(b);
    const stats = b.fileStats();
    console.log(
      `compaction of 100,000 revisions: ${s.compactMs.toFixed(0)} ms, ${b.counters.compactTransactions} transactions (longest ${b.counters.longestCompactTransactionMs.toFixed(1)} ms); ` +
        `longest write during it ${s.maxWriteMs.toFixed(1)} ms, longest event-loop gap ${s.maxLoopGapMs.toFixed(1)} ms`,
    );
    const dbBytes = statSync(b.path).size;
    let walBytes = 0;
    try {
      walBytes = statSync(`${b.path}-wal`).size;
    } catch {}
    console.log(
      `file after compaction: ${(dbBytes / 1048576).toFixed(1)} MiB db + ${(walBytes / 1048576).toFixed(1)} MiB wal, ` +
        `${stats.logRows} rows, ${stats.freePages}/${stats.pageCount} free pages`,
    );
  } finally {
    await b.close();
    if (!process.argv[2]) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
