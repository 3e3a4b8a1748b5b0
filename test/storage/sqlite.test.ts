import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isK8tsError, K8tsError } from '../../src/errors.js';
import type { Backend } from '../../src/storage/backend.js';
import { openBackend } from '../../src/storage/index.js';
import { openMemoryBackend } from '../../src/storage/memory/index.js';
import { openSqliteBackend, type SqliteBackend } from '../../src/storage/sqlite/index.js';
import { runConformance } from './conformance.js';

const root = mkdtempSync(join(tmpdir(), 'k8ts-sqlite-test-'));
let n = 0;
const freshDir = (): string => join(root, `db${n++}`);
after(() => rmSync(root, { recursive: true, force: true }));

const enc = (s: string): Buffer => Buffer.from(s);

runConformance('sqlite', () => openSqliteBackend({ dataDir: freshDir(), compactWindowMs: 0 }));

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err) => isK8tsError(err) && err.code === code);
}

describe('sqlite driver', () => {
  it('keeps data, revisions and the compacted revision across reopen', async () => {
    const dir = freshDir();
    let b = await openSqliteBackend({ dataDir: dir, compactWindowMs: 0 });
    const a = await b.create('/r/a', enc('a1'));
    const u = await b.update('/r/a', enc('a2'), { expectedModRevision: a.revision });
    await b.create('/r/b', enc('b'));
    await b.compact(u.revision);
    const c = await b.create('/r/c', enc('c'));
    const d = await b.delete('/r/b'); // the newest revision is a delete
    await b.close();

    b = await openSqliteBackend({ dataDir: dir, compactWindowMs: 0 });
    try {
      assert.equal(await b.currentRevision(), d.revision);
      assert.equal(await b.compactedRevision(), u.revision);
      const l = await b.list('/r/');
      assert.deepEqual(
        l.items.map((kv) => [kv.key, kv.value.toString(), kv.createRevision, kv.modRevision]),
        [
          ['/r/a', 'a2', a.revision, u.revision],
          ['/r/c', 'c', c.revision, c.revision],
        ],
      );
      assert.equal((await b.get('/r/b', { revision: c.revision })).kv?.value.toString(), 'b');
      await expectCode(b.get('/r/a', { revision: a.revision }), 'Compacted');
      const next = await b.create('/r/d', enc('d'));
      assert.equal(next.revision, d.revision + 1);
    } finally {
      await b.close();
    }
  });

  it('keeps the revision when the newest write was a delete that got compacted', async () => {
    const dir = freshDir();
    let b = await openSqliteBackend({ dataDir: dir, compactWindowMs: 0 });
    await b.create('/r/a', enc('a'));
    const d = await b.delete('/r/a');
    await b.compact(d.revision);
    await b.close();
    b = await openSqliteBackend({ dataDir: dir, compactWindowMs: 0 });
    try {
      assert.equal(await b.currentRevision(), d.revision);
      assert.equal((await b.create('/r/a', enc('again'))).revision, d.revision + 1);
    } finally {
      await b.close();
    }
  });

  it('shares one fsynced commit among concurrent writes', async () => {
    const b = await openSqliteBackend({ dataDir: freshDir(), compactWindowMs: 0 });
    try {
      const before = b.counters.commits;
      await Promise.all(Array.from({ length: 64 }, (_, i) => b.create(`/g/${i}`, enc(String(i)))));
      assert.equal(b.counters.commits - before, 1);
      assert.equal((await b.list('/g/')).count, 64);
    } finally {
      await b.close();
    }
  });

  it('rejects a whole batch when its transaction fails and keeps the store consistent', async () => {
    const b = await openSqliteBackend({ dataDir: freshDir(), compactWindowMs: 0 });
    try {
      const base = await b.create('/f/base', enc('0'));
      // Make the next commit fail as a full disk would.
      const db = (b as unknown as { db: { append: (w: unknown[]) => void } }).db;
      const append = db.append.bind(db);
      db.append = () => {
        db.append = append;
        throw new K8tsError('StoreUnavailable', 'disk full');
      };
      const results = await Promise.allSettled([
        b.create('/f/x', enc('x')),
        b.update('/f/base', enc('1'), { expectedModRevision: base.revision }),
        b.delete('/f/base'),
      ]);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
      }
      assert.ok(
        results
          .slice(0, 2)
          .every((r) => r.status === 'rejected' && isK8tsError(r.reason, 'StoreUnavailable')),
      );
      assert.equal(await b.currentRevision(), base.revision);
      assert.equal((await b.get('/f/x')).kv, null);
      // The failed writes left no trace: the same writes now succeed with the next revisions.
      const x = await b.create('/f/x', enc('x'));
      assert.equal(x.revision, base.revision + 1);
      const u = await b.update('/f/base', enc('1'), { expectedModRevision: base.revision });
      assert.equal(u.revision, base.revision + 2);
    } finally {
      await b.close();
    }
  });

  it('answers and applies a write only once the WAL fsync that covers it is done', async () => {
    const b = await openSqliteBackend({ dataDir: freshDir(), compactWindowMs: 0 });
    try {
      const first = await b.create('/s/first', enc('0'));
      // Hold the next WAL fsyncs until the test lets them go.
      const db = (b as unknown as { db: { syncWal: (done: (err: Error | null) => void) => void } }).db;
      const realSync = db.syncWal.bind(db);
      const held: Array<() => void> = [];
      db.syncWal = (done) => held.push(() => realSync(done));
      let answered = false;
      const write = b.create('/s/a', enc('a')).then((r) => {
        answered = true;
        return r;
      });
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      assert.equal(held.length, 1, 'the batch is in the file and waits for its fsync');
      // Writes in the meantime get the following revisions and see the one not yet durable.
      const later = b.update('/s/a', enc('a2'), { expectedModRevision: first.revision + 1 });
      await new Promise((r) => setImmediate(r));
      assert.equal(answered, false);
      assert.equal((await b.get('/s/a')).kv, null, 'not visible before it is durable');
      assert.equal(await b.currentRevision(), first.revision);
      assert.equal(held.length, 1, 'one fsync at a time; the next batch waits for it');
      db.syncWal = realSync;
      held.shift()!();
      assert.equal((await write).revision, first.revision + 1);
      assert.equal((await later).revision, first.revision + 2);
      assert.equal((await b.get('/s/a')).kv?.value.toString(), 'a2');
    } finally {
      await b.close();
    }
  });

  it('fails unanswered writes and closes the store when the WAL fsync fails', async () => {
    const dir = freshDir();
    const b = await openSqliteBackend({ dataDir: dir, compactWindowMs: 0 });
    await b.create('/e/kept', enc('k'));
    const db = (b as unknown as { db: { syncWal: (done: (err: Error | null) => void) => void } }).db;
    db.syncWal = (done) => setImmediate(() => done(new Error('EIO')));
    await expectCode(b.create('/e/lost', enc('x')), 'StoreUnavailable');
    // The store has closed: this process's view can no longer be trusted until it is reopened.
    await expectCode(b.create('/e/after', enc('y')), 'StoreClosed');
    await b.close();
    const again = await openSqliteBackend({ dataDir: dir, compactWindowMs: 0 });
    try {
      assert.equal((await again.get('/e/kept')).kv?.value.toString(), 'k');
    } finally {
      await again.close();
    }
  });

  it('refuses a second open of the same file with StoreUnavailable', async () => {
    const dir = freshDir();
    const b = await openSqliteBackend({ dataDir: dir, compactWindowMs: 0 });
    try {
      await b.create('/l/a', enc('a'));
      await expectCode(openSqliteBackend({ dataDir: dir, compactWindowMs: 0 }), 'StoreUnavailable');
      assert.equal((await b.get('/l/a')).kv?.value.toString(), 'a');
    } finally {
      await b.close();
    }
  });

  it('reads past revisions like the memory driver, by both strategies', async () => {
    const s = await openSqliteBackend({ dataDir: freshDir(), compactWindowMs: 0 });
    const m = await openMemoryBackend();
    try {
      // A seeded pseudo-random history over four prefixes, applied identically to both stores.
      let seed = 42;
      const rand = (k: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % k;
      };
      const apply = async (b: Backend, op: number, key: string, i: number): Promise<void> => {
        const cur = (await b.get(key)).kv;
        if (!cur) await b.create(key, enc(`c${i}`));
        else if (op === 0) await b.delete(key);
        else await b.update(key, enc(`u${i}`), { expectedModRevision: cur.modRevision });
      };
      for (let i = 0; i < 800; i++) {
        const key = `/p${rand(4)}/k${rand(40)}`;
        const op = rand(4);
        await apply(s, op, key, i);
        await apply(m, op, key, i);
      }
      const cur = await s.currentRevision();
      assert.equal(await m.currentRevision(), cur);
      for (let q = 0; q < 150; q++) {
        // Half the reads are recent (undoing a few writes is cheaper), half anywhere in the history.
        const at = q % 2 === 0 ? cur - rand(40) : 1 + rand(cur);
        const prefix = q % 5 === 4 ? '/' : `/p${rand(4)}/`;
        const limit = rand(3) === 0 ? 0 : 1 + rand(15);
        const ls = await s.list(prefix, { revision: at, limit });
        const lm = await m.list(prefix, { revision: at, limit });
        assert.deepEqual(ls, lm, `list ${prefix} at ${at} limit ${limit}`);
        if (ls.more) {
          const cont = ls.items[ls.items.length - 1].key;
          assert.deepEqual(
            await s.list(prefix, { revision: at, limit, continueFrom: cont }),
            await m.list(prefix, { revision: at, limit, continueFrom: cont }),
          );
        }
        const key = `/p${rand(4)}/k${rand(40)}`;
        assert.deepEqual(await s.get(key, { revision: at }), await m.get(key, { revision: at }));
      }
      assert.ok(s.counters.pastListsByUndo > 10, `undo strategy used ${s.counters.pastListsByUndo} times`);
      assert.ok(s.counters.pastListsFromLog > 10, `log strategy used ${s.counters.pastListsFromLog} times`);
    } finally {
      await s.close();
      await m.close();
    }
  });

  it('compacts in many short transactions while writes keep committing', async () => {
    const b = await openSqliteBackend({
      dataDir: freshDir(),
      compactWindowMs: 0,
      compactBatchRevisions: 100,
    });
    try {
      const mods: number[] = [];
      for (let k = 0; k < 50; k++) mods.push((await b.create(`/c/k${k}`, enc('v'))).revision);
      for (let round = 0; round < 40; round++) {
        const rs = await Promise.all(
          mods.map((m, k) => b.update(`/c/k${k}`, enc(`r${round}`), { expectedModRevision: m })),
        );
        rs.forEach((r, k) => {
          mods[k] = r.revision;
        });
      }
      const target = await b.currentRevision(); // 2,050 revisions, 2,000 of them superseded
      const rowsBefore = b.fileStats().logRows;
      const tx0 = b.counters.compactTransactions;
      let compacted = false;
      const compaction = b.compact(target).then(() => {
        compacted = true;
      });
      // A write issued after the compaction started commits before the compaction ends.
      const w = await b.update('/c/k0', enc('during'), { expectedModRevision: mods[0] });
      assert.equal(compacted, false);
      await compaction;
      assert.ok(
        b.counters.compactTransactions - tx0 >= 20,
        `${b.counters.compactTransactions - tx0} transactions`,
      );
      const stats = b.fileStats();
      assert.equal(rowsBefore, 2050);
      assert.equal(stats.logRows, 51); // one row per key at the compacted revision, plus the write during it
      assert.equal((await b.get('/c/k0')).kv?.modRevision, w.revision);
      assert.equal((await b.list('/c/', { revision: target })).count, 50);
      await expectCode(b.list('/c/', { revision: target - 1 }), 'Compacted');
    } finally {
      await b.close();
    }
  });

  it('checkpoints the WAL in a turn of its own, after the writers that filled it have their answer', async () => {
    const b = await openSqliteBackend({ dataDir: freshDir(), compactWindowMs: 0 });
    try {
      // 200 writes of 16 KiB in one commit put well over 512 pages (2 MiB) into the WAL.
      const value = Buffer.alloc(16 * 1024, 'v');
      await Promise.all(Array.from({ length: 200 }, (_, i) => b.create(`/ck/k${i}`, value)));
      assert.equal(b.counters.checkpoints, 0, 'the commit itself ran no checkpoint');
      await new Promise((r) => setImmediate(r));
      assert.equal(b.counters.checkpoints, 1);
      // A small write afterwards finds the WAL copied in: nothing more to checkpoint.
      await b.create('/ck/small', enc('x'));
      await new Promise((r) => setImmediate(r));
      assert.equal(b.counters.checkpoints, 1);
    } finally {
      await b.close();
    }
  });

  it('keeps the file and the WAL bounded under churn with compaction', async () => {
    const walLimit = 1024 * 1024;
    const b = await openSqliteBackend({ dataDir: freshDir(), compactWindowMs: 0, walLimitBytes: walLimit });
    try {
      const value = Buffer.alloc(2000, 'v');
      const mods: number[] = [];
      for (let k = 0; k < 100; k++) mods.push((await b.create(`/b/k${k}`, value)).revision);
      const sizes: number[] = [];
      let maxWal = 0;
      const walSize = (): number => (existsSync(`${b.path}-wal`) ? statSync(`${b.path}-wal`).size : 0);
      for (let cycle = 0; cycle < 8; cycle++) {
        for (let round = 0; round < 20; round++) {
          const rs = await Promise.all(
            mods.map((m, k) => b.update(`/b/k${k}`, value, { expectedModRevision: m })),
          );
          rs.forEach((r, k) => {
            mods[k] = r.revision;
          });
          maxWal = Math.max(maxWal, walSize());
        }
        await b.compact(await b.currentRevision());
        sizes.push(statSync(b.path).size);
      }
      // 16,000 updates of 2 KB (32 MB written); live data is 100 keys. The file stops growing after the
      // first cycles because compaction frees pages that later cycles reuse. (The file shrinks whenever
      // the checkpoint worker copies released pages in, so sizes wobble a little.)
      const early = Math.max(...sizes.slice(0, 4));
      const late = Math.max(...sizes.slice(4));
      assert.ok(late <= early * 1.1, `file sizes per cycle: ${sizes.join(', ')}`);
      assert.ok(late < 8 * 1024 * 1024, `file is ${late} bytes`);
      // The WAL is checkpointed every ~2 MB as it goes, and emptied after each compaction.
      assert.ok(maxWal < 6 * 1024 * 1024, `WAL reached ${maxWal} bytes`);
      assert.equal(walSize(), 0);
    } finally {
      await b.close();
    }
  });

  it('resumes a compaction interrupted by close when reopened', async () => {
    const dir = freshDir();
    let b = await openSqliteBackend({ dataDir: dir, compactWindowMs: 0, compactBatchRevisions: 10 });
    let mod = (await b.create('/i/a', enc('0'))).revision;
    for (let i = 1; i <= 500; i++)
      mod = (await b.update('/i/a', enc(String(i)), { expectedModRevision: mod })).revision;
    const compaction = b.compact(mod).catch(() => {});
    await b.close(); // stops the compaction between two transactions
    await compaction;
    b = await openSqliteBackend({ dataDir: dir, compactWindowMs: 0 });
    try {
      assert.equal(await b.compactedRevision(), mod);
      await b.compact(mod); // waits for the resumed run
      assert.equal((b as SqliteBackend).fileStats().logRows, 1);
      assert.equal((await b.get('/i/a')).kv?.value.toString(), '500');
    } finally {
      await b.close();
    }
  });

  it('survives SIGKILL: every acknowledged write is present after reopening', async () => {
    const path = join(freshDir(), 'crash.db');
    const script = fileURLToPath(new URL('./fixtures/crash-writer.js', import.meta.url));
    const child = spawn(process.execPath, [script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked = new Map<string, { counter: number; revision: number }>();
    let maxRevision = 0;
    let lines = 0;
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, sig) => resolve(sig)),
    );
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000); // never hang the suite on a stuck child
    try {
      for await (const line of createInterface({ input: child.stdout! })) {
        const [tag, key, counter, revision] = line.split(' ');
        if (tag !== 'ack') continue;
        const prev = acked.get(key);
        if (!prev || Number(counter) > prev.counter)
          acked.set(key, { counter: Number(counter), revision: Number(revision) });
        maxRevision = Math.max(maxRevision, Number(revision));
        if (++lines === 3000) child.kill('SIGKILL');
      }
    } finally {
      clearTimeout(guard);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    assert.equal(await exited, 'SIGKILL');
    assert.ok(lines >= 3000, `child acknowledged only ${lines} writes`);

    const b = await openSqliteBackend({ path, compactWindowMs: 0 });
    try {
      assert.ok((await b.currentRevision()) >= maxRevision);
      for (const [key, { counter, revision }] of acked) {
        const kv = (await b.get(key)).kv;
        assert.ok(kv, `${key} acknowledged at revision ${revision} is missing`);
        assert.ok(Number(kv.value.toString()) >= counter, `${key}: ${kv.value} < acknowledged ${counter}`);
        assert.ok(kv.modRevision >= revision);
      }
    } finally {
      await b.close();
    }
  });
});

describe('openBackend', () => {
  it('opens sqlite by default, sqlite:// paths and memory://', async () => {
    const dir = freshDir();
    const stores = [
      await openBackend('', { dataDir: dir, compactWindowMs: 0 }),
      await openBackend(`sqlite://${join(freshDir(), 'x.db')}`, { compactWindowMs: 0 }),
      await openBackend('memory://'),
    ];
    assert.deepEqual(
      stores.map((s) => s.name),
      ['sqlite', 'sqlite', 'memory'],
    );
    for (const s of stores) await s.close();
    assert.ok(existsSync(join(dir, 'k8ts.db')));
  });

  it('rejects an unknown scheme with BadRequest', async () => {
    await expectCode(openBackend('mysql://localhost'), 'BadRequest');
    await expectCode(openBackend('etcd://'), 'BadRequest');
  });
});
