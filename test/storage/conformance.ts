// The storage conformance suite: every Backend driver (memory, sqlite, etcd) runs these same cases.
// Usage from a driver's test file:
//   runConformance('sqlite', () => openSqliteBackend({ dataDir: tmp() }));
//
// Each case opens a fresh backend through `open()` and closes it at the end. Cases also write under a
// unique key prefix and only assert revisions relative to what they observed, so drivers that share one
// server between opens (etcd) pass as well.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type ErrorCode, isK8tsError, type K8tsError } from '../../src/errors.js';
import {
  type Backend,
  type KeyValue,
  MAX_VALUE_BYTES,
  type Watch,
  type WatchEvent,
} from '../../src/storage/backend.js';

export interface ConformanceOptions {
  /**
   * Run the case that drives the generic periodic compactor (src/storage/compactor.ts) against the
   * driver with a fake clock. Default true; a driver whose compaction is managed elsewhere can opt out.
   */
  supportsCompactWindow?: boolean;
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
const dec = (b: Buffer): string => b.toString('utf8');

let prefixCounter = 0;
function uniquePrefix(): string {
  prefixCounter++;
  return `/conformance/${process.pid}-${Date.now().toString(36)}-${prefixCounter}-${randomBytes(3).toString('hex')}/`;
}

/**
 * Writes a marker key beside `prefix` (not under it) and returns its revision: a watch start that is
 * never 0 (which would mean "from now"), even on a fresh store.
 */
async function revisionMark(b: Backend, prefix: string): Promise<number> {
  const key = `${prefix.slice(0, -1)}-mark/${randomBytes(4).toString('hex')}`;
  return (await b.create(key, Buffer.alloc(0))).revision;
}

/** Asserts that `p` rejects with a K8tsError carrying `code`. */
export async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<K8tsError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isK8tsError(err), `expected K8tsError(${code}), got ${String(err)}`);
    assert.equal((err as K8tsError).code, code, (err as Error).message);
    return err as K8tsError;
  }
  assert.fail(`expected K8tsError(${code}), but the call succeeded`);
}

/** Runs `fn` synchronously and asserts it throws K8tsError(code) or returns a promise rejecting with it. */
async function expectCodeSyncOrAsync(fn: () => unknown, code: ErrorCode): Promise<void> {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    assert.ok(isK8tsError(err, code), `expected K8tsError(${code}), got ${String(err)}`);
    return;
  }
  await expectCode(Promise.resolve(result), code);
}

/** Collects a watch's events and errors and lets a test wait for a condition on them. */
export class WatchRecorder {
  readonly events: WatchEvent[] = [];
  readonly errors: K8tsError[] = [];
  batches = 0;
  watch: Watch | undefined;
  private wakers: Array<() => void> = [];

  constructor(backend: Backend, prefix: string, fromRevision: number) {
    this.watch = backend.watch(
      prefix,
      { fromRevision },
      {
        onEvents: (events) => {
          this.batches++;
          this.events.push(...events);
          this.wake();
        },
        onError: (err) => {
          this.errors.push(err);
          this.wake();
        },
      },
    );
  }

  private wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  /** Resolves once `pred()` holds; fails after `timeoutMs`. */
  async until(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        assert.fail(
          `timed out waiting for ${what} (have ${this.events.length} events, ${this.errors.length} errors)`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.wakers.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  cancel(): void {
    this.watch?.cancel();
  }
}

/** Checks the watch contract on a stream: strictly increasing revisions, hence no duplicates. */
function assertOrdered(events: WatchEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    assert.ok(
      events[i].kv.modRevision > events[i - 1].kv.modRevision,
      `event ${i} revision ${events[i].kv.modRevision} does not follow ${events[i - 1].kv.modRevision}`,
    );
  }
}

function sameKv(
  actual: KeyValue | null | undefined,
  expected: { key: string; value: string; mod: number },
): void {
  assert.ok(actual, `expected ${expected.key} to be present`);
  assert.equal(actual.key, expected.key);
  assert.equal(dec(actual.value), expected.value);
  assert.equal(actual.modRevision, expected.mod);
}

export function runConformance(
  driverName: string,
  open: () => Promise<Backend>,
  opts: ConformanceOptions = {},
): void {
  // etcd-backed drivers share one server (and its revision counter) between opens.
  const sharedServer = driverName.startsWith('etcd');

  /** Opens a fresh backend, hands it a unique prefix, and always closes it. */
  async function withStore(fn: (b: Backend, prefix: string) => Promise<void>): Promise<void> {
    const b = await open();
    try {
      await fn(b, uniquePrefix());
    } finally {
      await b.close();
    }
  }

  describe(`storage conformance: ${driverName}`, () => {
    describe('create and read', () => {
      it('creates a key and reads it back with create and mod revisions', () =>
        withStore(async (b, p) => {
          const before = await b.currentRevision();
          const w = await b.create(`${p}a`, enc('one'));
          assert.ok(w.revision > before);
          const g = await b.get(`${p}a`);
          assert.ok(g.kv);
          assert.equal(g.kv.key, `${p}a`);
          assert.equal(dec(g.kv.value), 'one');
          assert.equal(g.kv.createRevision, w.revision);
          assert.equal(g.kv.modRevision, w.revision);
          assert.ok(g.revision >= w.revision);
          assert.ok((await b.currentRevision()) >= g.revision);
        }));

      it('returns null for a missing key, with the read revision', () =>
        withStore(async (b, p) => {
          const w = await b.create(`${p}x`, enc('x'));
          const g = await b.get(`${p}missing`);
          assert.equal(g.kv, null);
          assert.ok(g.revision >= w.revision);
        }));

      it('refuses to create a live key with KeyExists and leaves it unchanged', () =>
        withStore(async (b, p) => {
          const w = await b.create(`${p}a`, enc('first'));
          await expectCode(b.create(`${p}a`, enc('second')), 'KeyExists');
          sameKv((await b.get(`${p}a`)).kv, { key: `${p}a`, value: 'first', mod: w.revision });
        }));

      it('recreates a deleted key with a fresh create revision', () =>
        withStore(async (b, p) => {
          const c1 = await b.create(`${p}a`, enc('1'));
          await b.delete(`${p}a`);
          const c2 = await b.create(`${p}a`, enc('2'));
          assert.ok(c2.revision > c1.revision);
          const g = await b.get(`${p}a`);
          assert.equal(g.kv?.createRevision, c2.revision);
          assert.equal(dec(g.kv!.value), '2');
        }));

      it('copies values: mutating a buffer after create or after get changes nothing stored', () =>
        withStore(async (b, p) => {
          const v = enc('abc');
          await b.create(`${p}a`, v);
          v[0] = 0x7a;
          const g1 = await b.get(`${p}a`);
          assert.equal(dec(g1.kv!.value), 'abc');
          g1.kv!.value[0] = 0x79;
          assert.equal(dec((await b.get(`${p}a`)).kv!.value), 'abc');
        }));

      it('stores binary values and empty values byte for byte', () =>
        withStore(async (b, p) => {
          const bin = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13]);
          await b.create(`${p}bin`, bin);
          await b.create(`${p}empty`, Buffer.alloc(0));
          assert.deepEqual((await b.get(`${p}bin`)).kv!.value, bin);
          assert.equal((await b.get(`${p}empty`)).kv!.value.length, 0);
        }));
    });

    describe('update', () => {
      it('updates with the right expectedModRevision and keeps createRevision', () =>
        withStore(async (b, p) => {
          const c = await b.create(`${p}a`, enc('1'));
          const u = await b.update(`${p}a`, enc('2'), { expectedModRevision: c.revision });
          assert.ok(u.revision > c.revision);
          const g = await b.get(`${p}a`);
          assert.equal(g.kv?.createRevision, c.revision);
          assert.equal(g.kv?.modRevision, u.revision);
          assert.equal(dec(g.kv!.value), '2');
        }));

      it('rejects a stale expectedModRevision with RevisionConflict and keeps the value', () =>
        withStore(async (b, p) => {
          const c = await b.create(`${p}a`, enc('1'));
          const u = await b.update(`${p}a`, enc('2'), { expectedModRevision: c.revision });
          await expectCode(
            b.update(`${p}a`, enc('3'), { expectedModRevision: c.revision }),
            'RevisionConflict',
          );
          await expectCode(
            b.update(`${p}a`, enc('3'), { expectedModRevision: u.revision + 1000 }),
            'RevisionConflict',
          );
          sameKv((await b.get(`${p}a`)).kv, { key: `${p}a`, value: '2', mod: u.revision });
        }));

      it('rejects updating a missing or deleted key with KeyNotFound', () =>
        withStore(async (b, p) => {
          await expectCode(b.update(`${p}none`, enc('x'), { expectedModRevision: 1 }), 'KeyNotFound');
          const c = await b.create(`${p}a`, enc('1'));
          await b.delete(`${p}a`);
          await expectCode(b.update(`${p}a`, enc('x'), { expectedModRevision: c.revision }), 'KeyNotFound');
        }));
    });

    describe('delete', () => {
      it('deletes without a precondition and returns the previous value', () =>
        withStore(async (b, p) => {
          const c = await b.create(`${p}a`, enc('gone'));
          const d = await b.delete(`${p}a`);
          assert.ok(d.revision > c.revision);
          sameKv(d.prev, { key: `${p}a`, value: 'gone', mod: c.revision });
          assert.equal(d.prev.createRevision, c.revision);
          assert.equal((await b.get(`${p}a`)).kv, null);
        }));

      it('deletes with a matching expectedModRevision and refuses a stale one', () =>
        withStore(async (b, p) => {
          const c = await b.create(`${p}a`, enc('1'));
          const u = await b.update(`${p}a`, enc('2'), { expectedModRevision: c.revision });
          await expectCode(b.delete(`${p}a`, { expectedModRevision: c.revision }), 'RevisionConflict');
          assert.ok((await b.get(`${p}a`)).kv);
          const d = await b.delete(`${p}a`, { expectedModRevision: u.revision });
          sameKv(d.prev, { key: `${p}a`, value: '2', mod: u.revision });
        }));

      it('rejects deleting a missing key with KeyNotFound', () =>
        withStore(async (b, p) => {
          await expectCode(b.delete(`${p}none`), 'KeyNotFound');
          await expectCode(b.delete(`${p}none`, { expectedModRevision: 5 }), 'KeyNotFound');
        }));
    });

    describe('revisions', () => {
      it('bumps one global revision strictly with every write, across keys', () =>
        withStore(async (b, p) => {
          let last = await b.currentRevision();
          const seen: number[] = [];
          for (let i = 0; i < 10; i++) {
            const c = await b.create(`${p}k${i}`, enc(`v${i}`));
            seen.push(c.revision);
            const u = await b.update(`${p}k${i}`, enc(`w${i}`), { expectedModRevision: c.revision });
            seen.push(u.revision);
            if (i % 2 === 0) seen.push((await b.delete(`${p}k${i}`)).revision);
          }
          for (const r of seen) {
            assert.ok(r > last, `revision ${r} not above ${last}`);
            last = r;
          }
          assert.ok((await b.currentRevision()) >= last);
        }));

      it('does not bump the revision for a failed write', () =>
        withStore(async (b, p) => {
          const c = await b.create(`${p}a`, enc('1'));
          await expectCode(b.create(`${p}a`, enc('2')), 'KeyExists');
          await expectCode(
            b.update(`${p}a`, enc('2'), { expectedModRevision: c.revision - 1 }),
            'RevisionConflict',
          );
          await expectCode(b.delete(`${p}b`), 'KeyNotFound');
          const next = await b.create(`${p}c`, enc('3'));
          // Other clients of a shared server may write in between, so only the local view is exact.
          if (!sharedServer) assert.equal(next.revision, c.revision + 1);
        }));

      it('gives distinct revisions to concurrent writes', () =>
        withStore(async (b, p) => {
          const results = await Promise.all(
            Array.from({ length: 64 }, (_, i) => b.create(`${p}c${i}`, enc(String(i)))),
          );
          const revs = results.map((r) => r.revision);
          assert.equal(new Set(revs).size, revs.length);
          const max = Math.max(...revs);
          assert.ok((await b.currentRevision()) >= max);
          for (let i = 0; i < 64; i++) {
            assert.equal((await b.get(`${p}c${i}`)).kv?.modRevision, results[i].revision);
          }
        }));
    });

    describe('list', () => {
      it('lists keys under a prefix in key order with count and revision', () =>
        withStore(async (b, p) => {
          await b.create(`${p}b`, enc('b'));
          await b.create(`${p}a`, enc('a'));
          await b.create(`${p}c/x`, enc('cx'));
          const other = `${p.slice(0, -1)}-other/`;
          await b.create(`${other}z`, enc('z'));
          const last = await b.create(`${p}d`, enc('d'));
          const l = await b.list(p);
          assert.deepEqual(
            l.items.map((kv) => kv.key),
            [`${p}a`, `${p}b`, `${p}c/x`, `${p}d`],
          );
          assert.deepEqual(
            l.items.map((kv) => dec(kv.value)),
            ['a', 'b', 'cx', 'd'],
          );
          assert.equal(l.count, 4);
          assert.equal(l.more, false);
          assert.ok(l.revision >= last.revision);
          const empty = await b.list(`${p}nothing/`);
          assert.equal(empty.items.length, 0);
          assert.equal(empty.count, 0);
          assert.equal(empty.more, false);
        }));

      it('reads the state at a past revision: values, deletions and later creates', () =>
        withStore(async (b, p) => {
          await b.create(`${p.slice(0, -1)}-before`, enc('so that a.revision - 1 is a real revision'));
          const a = await b.create(`${p}a`, enc('a1'));
          await b.create(`${p}b`, enc('b1'));
          const c = await b.create(`${p}c`, enc('c1'));
          const past = c.revision;
          await b.update(`${p}a`, enc('a2'), { expectedModRevision: a.revision });
          await b.delete(`${p}b`);
          await b.create(`${p}d`, enc('d1'));

          const then = await b.list(p, { revision: past });
          assert.equal(then.revision, past);
          assert.deepEqual(
            then.items.map((kv) => [kv.key, dec(kv.value)]),
            [
              [`${p}a`, 'a1'],
              [`${p}b`, 'b1'],
              [`${p}c`, 'c1'],
            ],
          );
          assert.equal(then.count, 3);
          assert.equal(then.items[0].modRevision, a.revision);

          const now = await b.list(p);
          assert.deepEqual(
            now.items.map((kv) => [kv.key, dec(kv.value)]),
            [
              [`${p}a`, 'a2'],
              [`${p}c`, 'c1'],
              [`${p}d`, 'd1'],
            ],
          );

          const gb = await b.get(`${p}b`, { revision: past });
          assert.equal(gb.revision, past);
          assert.equal(dec(gb.kv!.value), 'b1');
          assert.equal((await b.get(`${p}d`, { revision: past })).kv, null);
          assert.equal((await b.get(`${p}a`, { revision: a.revision - 1 })).kv, null);
        }));

      it('refuses a revision in the future with FutureRevision', () =>
        withStore(async (b, p) => {
          await b.create(`${p}a`, enc('a'));
          const cur = await b.currentRevision();
          await expectCode(b.list(p, { revision: cur + 1000 }), 'FutureRevision');
          await expectCode(b.get(`${p}a`, { revision: cur + 1000 }), 'FutureRevision');
        }));

      it('paginates with limit and continueFrom, counting all keys', () =>
        withStore(async (b, p) => {
          for (let i = 0; i < 25; i++) await b.create(`${p}k${String(i).padStart(2, '0')}`, enc(String(i)));
          const first = await b.list(p, { limit: 10 });
          assert.equal(first.items.length, 10);
          assert.equal(first.count, 25);
          assert.equal(first.more, true);
          const keys = first.items.map((kv) => kv.key);
          let page = first;
          while (page.more) {
            page = await b.list(p, {
              limit: 10,
              revision: first.revision,
              continueFrom: page.items[page.items.length - 1].key,
            });
            assert.equal(page.count, 25);
            keys.push(...page.items.map((kv) => kv.key));
          }
          assert.equal(keys.length, 25);
          assert.deepEqual(
            keys,
            Array.from({ length: 25 }, (_, i) => `${p}k${String(i).padStart(2, '0')}`),
          );
          const exact = await b.list(p, { limit: 25 });
          assert.equal(exact.more, false);
        }));

      it('keeps pages consistent at a fixed revision while writes continue', () =>
        withStore(async (b, p) => {
          const expected = new Map<string, string>();
          for (let i = 0; i < 60; i++) {
            const k = `${p}k${String(i).padStart(3, '0')}`;
            const w = await b.create(k, enc(`v${i}`));
            expected.set(k, `v${i}:${w.revision}`);
          }
          const first = await b.list(p, { limit: 7 });
          const seen: KeyValue[] = [...first.items];
          let page = first;
          let n = 0;
          while (page.more) {
            // Churn between pages: update, delete and create keys on both sides of the cursor.
            const cursor = page.items[page.items.length - 1].key;
            const cur = await b.get(cursor);
            if (cur.kv) await b.update(cursor, enc('changed'), { expectedModRevision: cur.kv.modRevision });
            const ahead = `${p}k${String(Math.min(59, 7 * (n + 2))).padStart(3, '0')}`;
            if ((await b.get(ahead)).kv) await b.delete(ahead);
            await b.create(`${p}k${String(n).padStart(3, '0')}-new`, enc('new'));
            await b.create(`${p}zz${n}`, enc('new'));
            page = await b.list(p, { limit: 7, revision: first.revision, continueFrom: cursor });
            assert.equal(page.revision, first.revision);
            assert.equal(page.count, 60);
            seen.push(...page.items);
            n++;
          }
          assert.deepEqual(
            new Map(seen.map((kv) => [kv.key, `${dec(kv.value)}:${kv.modRevision}`])),
            expected,
          );
          assert.equal(seen.length, 60);
        }));
    });

    describe('watch', () => {
      it('delivers PUT and DELETE events with previous values', () =>
        withStore(async (b, p) => {
          const start = await revisionMark(b, p);
          const w = new WatchRecorder(b, p, start);
          try {
            const c = await b.create(`${p}a`, enc('1'));
            const u = await b.update(`${p}a`, enc('2'), { expectedModRevision: c.revision });
            const d = await b.delete(`${p}a`);
            await w.until(() => w.events.length >= 3, '3 events');
            const [e1, e2, e3] = w.events;
            assert.equal(e1.type, 'PUT');
            sameKv(e1.kv, { key: `${p}a`, value: '1', mod: c.revision });
            assert.equal(e1.kv.createRevision, c.revision);
            assert.equal(e1.prev, undefined);
            assert.equal(e2.type, 'PUT');
            sameKv(e2.kv, { key: `${p}a`, value: '2', mod: u.revision });
            assert.equal(e2.kv.createRevision, c.revision);
            sameKv(e2.prev, { key: `${p}a`, value: '1', mod: c.revision });
            assert.equal(e3.type, 'DELETE');
            assert.equal(e3.kv.key, `${p}a`);
            assert.equal(e3.kv.modRevision, d.revision);
            assert.equal(e3.kv.value.length, 0);
            sameKv(e3.prev, { key: `${p}a`, value: '2', mod: u.revision });
            assert.equal(w.errors.length, 0);
          } finally {
            w.cancel();
          }
        }));

      it('only delivers events under the prefix', () =>
        withStore(async (b, p) => {
          const w = new WatchRecorder(b, `${p}in/`, await revisionMark(b, p));
          try {
            await b.create(`${p}out/a`, enc('x'));
            await b.create(`${p}inside`, enc('x'));
            const c = await b.create(`${p}in/a`, enc('y'));
            await w.until(() => w.events.length >= 1, 'the in/ event');
            await b.create(`${p}out/b`, enc('x'));
            const c2 = await b.create(`${p}in/b`, enc('z'));
            await w.until(() => w.events.length >= 2, 'the second in/ event');
            assert.deepEqual(
              w.events.map((e) => [e.kv.key, e.kv.modRevision]),
              [
                [`${p}in/a`, c.revision],
                [`${p}in/b`, c2.revision],
              ],
            );
          } finally {
            w.cancel();
          }
        }));

      it('replays history from a past revision, then continues live, without gap or duplicate', () =>
        withStore(async (b, p) => {
          const c = await b.create(`${p}a`, enc('1'));
          const u = await b.update(`${p}a`, enc('2'), { expectedModRevision: c.revision });
          const d = await b.create(`${p}b`, enc('3'));
          const w = new WatchRecorder(b, p, c.revision);
          try {
            const e = await b.delete(`${p}b`);
            await w.until(() => w.events.length >= 3, 'replayed and live events');
            assert.deepEqual(
              w.events.map((ev) => [ev.type, ev.kv.key, ev.kv.modRevision]),
              [
                ['PUT', `${p}a`, u.revision],
                ['PUT', `${p}b`, d.revision],
                ['DELETE', `${p}b`, e.revision],
              ],
            );
            sameKv(w.events[0].prev, { key: `${p}a`, value: '1', mod: c.revision });
            sameKv(w.events[2].prev, { key: `${p}b`, value: '3', mod: d.revision });
          } finally {
            w.cancel();
          }
        }));

      it('watches from now when fromRevision is 0', () =>
        withStore(async (b, p) => {
          await b.create(`${p}old`, enc('old'));
          const w = new WatchRecorder(b, p, 0);
          try {
            // A watch opened with 0 has no defined start until the store answers; a read makes sure
            // it is registered before the next write on drivers that register asynchronously.
            await b.get(`${p}old`);
            await new Promise((r) => setTimeout(r, sharedServer ? 200 : 0));
            const c = await b.create(`${p}new`, enc('new'));
            await w.until(() => w.events.length >= 1, 'the new event');
            assert.deepEqual(
              w.events.map((ev) => ev.kv.key),
              [`${p}new`],
            );
            assert.equal(w.events[0].kv.modRevision, c.revision);
          } finally {
            w.cancel();
          }
        }));

      it('watches from a future revision: only events after it arrive', () =>
        withStore(async (b, p) => {
          const from = (await revisionMark(b, p)) + 2;
          const w = new WatchRecorder(b, p, from);
          try {
            const revs: number[] = [];
            for (let i = 0; i < 3; i++) revs.push((await b.create(`${p}f${i}`, enc(String(i)))).revision);
            const expected = revs.filter((r) => r > from);
            await w.until(() => w.events.length >= expected.length, 'the events after the future revision');
            await new Promise((r) => setTimeout(r, 20));
            assert.deepEqual(
              w.events.map((e) => e.kv.modRevision),
              expected,
            );
            assert.equal(w.errors.length, 0);
          } finally {
            w.cancel();
          }
        }));

      it('stops delivering after cancel', () =>
        withStore(async (b, p) => {
          const w = new WatchRecorder(b, p, await revisionMark(b, p));
          await b.create(`${p}a`, enc('1'));
          await w.until(() => w.events.length >= 1, 'first event');
          w.cancel();
          await b.create(`${p}b`, enc('2'));
          // Give a live driver time to (wrongly) deliver, then check nothing came.
          await new Promise((r) => setTimeout(r, 50));
          assert.equal(w.events.length, 1);
          assert.equal(w.errors.length, 0);
        }));

      it('streams many concurrent writers in order with no gap or duplicate (16 writers x 50 writes)', () =>
        withStore(async (b, p) => {
          const start = await revisionMark(b, p);
          const live = new WatchRecorder(b, p, start);
          let late: WatchRecorder | undefined;
          try {
            const acked: number[] = [];
            const writer = async (wi: number): Promise<void> => {
              let mod = 0;
              for (let i = 0; i < 50; i++) {
                const key = `${p}w${wi}`;
                const r =
                  i === 0
                    ? await b.create(key, enc(`${i}`))
                    : await b.update(key, enc(`${i}`), { expectedModRevision: mod });
                mod = r.revision;
                acked.push(r.revision);
                // Halfway through, open a second watch from the start: it must replay and join live.
                if (wi === 0 && i === 25) late = new WatchRecorder(b, p, start);
              }
            };
            await Promise.all(Array.from({ length: 16 }, (_, wi) => writer(wi)));
            assert.equal(acked.length, 800);
            const expected = [...acked].sort((x, y) => x - y);
            for (const rec of [live, late!]) {
              await rec.until(() => rec.events.length >= 800 || rec.errors.length > 0, '800 events', 10000);
              assert.equal(rec.errors.length, 0);
              assertOrdered(rec.events);
              assert.deepEqual(
                rec.events.map((e) => e.kv.modRevision),
                expected,
              );
              // Each writer's values arrive in the order written, each with its predecessor as prev.
              const lastByKey = new Map<string, number>();
              for (const e of rec.events) {
                const n = Number(dec(e.kv.value));
                const before = lastByKey.get(e.kv.key);
                assert.equal(n, before === undefined ? 0 : before + 1);
                if (before !== undefined) assert.equal(Number(dec(e.prev!.value)), before);
                lastByKey.set(e.kv.key, n);
              }
            }
            await new Promise((r) => setTimeout(r, 20));
            assert.equal(live.events.length, 800);
          } finally {
            live.cancel();
            late?.cancel();
          }
        }));

      it('ends an open watch with StoreClosed when the store closes', async () => {
        const b = await open();
        const p = uniquePrefix();
        const w = new WatchRecorder(b, p, await revisionMark(b, p));
        await b.create(`${p}a`, enc('1'));
        await w.until(() => w.events.length >= 1, 'first event');
        await b.close();
        await w.until(() => w.errors.length >= 1, 'StoreClosed on the open watch');
        assert.equal(w.errors[0].code, 'StoreClosed');
      });
    });

    describe('compaction', () => {
      it('fails reads and watches below the compacted revision with Compacted', () =>
        withStore(async (b, p) => {
          const c1 = await b.create(`${p}a`, enc('1'));
          const u1 = await b.update(`${p}a`, enc('2'), { expectedModRevision: c1.revision });
          const c2 = await b.create(`${p}b`, enc('b'));
          const u2 = await b.update(`${p}a`, enc('3'), { expectedModRevision: u1.revision });
          const after = await b.create(`${p}c`, enc('c'));
          await b.compact(u2.revision);
          assert.ok((await b.compactedRevision()) >= u2.revision);

          await expectCode(b.list(p, { revision: c2.revision }), 'Compacted');
          await expectCode(b.get(`${p}a`, { revision: c1.revision }), 'Compacted');
          const w = new WatchRecorder(b, p, c1.revision);
          try {
            await w.until(() => w.errors.length >= 1, 'Compacted on the watch');
            assert.equal(w.errors[0].code, 'Compacted');
            assert.equal(w.events.length, 0);
          } finally {
            w.cancel();
          }

          // The state at the compacted revision itself, and later ones, stay readable.
          const at = await b.list(p, { revision: u2.revision });
          assert.deepEqual(
            at.items.map((kv) => [kv.key, dec(kv.value)]),
            [
              [`${p}a`, '3'],
              [`${p}b`, 'b'],
            ],
          );
          const now = await b.list(p);
          assert.equal(now.count, 3);
          const w2 = new WatchRecorder(b, p, u2.revision);
          try {
            await w2.until(() => w2.events.length >= 1, 'the event after the compacted revision');
            assert.equal(w2.events[0].kv.modRevision, after.revision);
            assert.equal(w2.errors.length, 0);
          } finally {
            w2.cancel();
          }
          // Writes keep working after compaction.
          await b.update(`${p}a`, enc('4'), { expectedModRevision: u2.revision });
        }));

      it('keeps deleted keys out of the compacted state and tolerates repeated compaction', () =>
        withStore(async (b, p) => {
          await b.create(`${p}gone`, enc('x'));
          await b.delete(`${p}gone`);
          const keep = await b.create(`${p}keep`, enc('k'));
          await b.compact(keep.revision);
          await b.compact(keep.revision);
          await b.compact(keep.revision - 1);
          const l = await b.list(p, { revision: keep.revision });
          assert.deepEqual(
            l.items.map((kv) => kv.key),
            [`${p}keep`],
          );
          assert.equal((await b.get(`${p}gone`)).kv, null);
        }));

      it('refuses to compact a future revision with FutureRevision', () =>
        withStore(async (b, p) => {
          await b.create(`${p}a`, enc('a'));
          await expectCode(b.compact((await b.currentRevision()) + 1000), 'FutureRevision');
        }));

      if (opts.supportsCompactWindow !== false) {
        it('the periodic compactor keeps a window of history measured on an injected clock', () =>
          withStore(async (b, p) => {
            const { startCompactor } = await import('../../src/storage/compactor.js');
            let now = 1_000_000;
            const ticks: Array<() => void> = [];
            const compactor = startCompactor(b, {
              windowMs: 60_000,
              intervalMs: 10_000,
              now: () => now,
              setInterval: (fn) => {
                ticks.push(fn);
                return { stop: () => {} };
              },
            });
            try {
              const tick = async (): Promise<void> => {
                now += 10_000;
                await compactor.runOnce();
              };
              const zero = await b.create(`${p}z`, enc('z'));
              const first = await b.create(`${p}a`, enc('0'));
              await compactor.runOnce(); // records (t0, first)
              let mod = first.revision;
              for (let i = 1; i <= 5; i++) {
                await tick();
                mod = (await b.update(`${p}a`, enc(String(i)), { expectedModRevision: mod })).revision;
              }
              // At t0 + 50 s nothing is older than the 60 s window yet.
              assert.ok((await b.compactedRevision()) < first.revision);
              await tick(); // t0 + 60 s: the state at t0 (revision `first`) is the oldest one kept
              assert.ok((await b.compactedRevision()) >= first.revision);
              await expectCode(b.get(`${p}a`, { revision: zero.revision }), 'Compacted');
              assert.equal(dec((await b.get(`${p}a`)).kv!.value), '5');
              assert.equal(ticks.length, 1);
            } finally {
              compactor.stop();
            }
          }));
      }
    });

    describe('limits and bad input', () => {
      it('accepts a 1.5 MiB value and rejects a larger one with ValueTooLarge', () =>
        withStore(async (b, p) => {
          const big = randomBytes(MAX_VALUE_BYTES);
          const c = await b.create(`${p}big`, big);
          assert.deepEqual((await b.get(`${p}big`)).kv!.value, big);
          const tooBig = Buffer.alloc(MAX_VALUE_BYTES + 1, 1);
          await expectCode(b.create(`${p}huge`, tooBig), 'ValueTooLarge');
          await expectCode(b.update(`${p}big`, tooBig, { expectedModRevision: c.revision }), 'ValueTooLarge');
          assert.equal((await b.get(`${p}huge`)).kv, null);
          assert.equal((await b.get(`${p}big`)).kv!.modRevision, c.revision);
        }));

      it('rejects invalid keys with InvalidKey on every operation', () =>
        withStore(async (b, p) => {
          const bad = [
            '',
            'relative/key',
            `${p}a//b`,
            `${p}with space`,
            `${p}é`,
            `${p}tab\t`,
            `/${'x'.repeat(3000)}`,
          ];
          for (const k of bad) {
            await expectCode(b.create(k, enc('x')), 'InvalidKey');
            await expectCode(b.update(k, enc('x'), { expectedModRevision: 1 }), 'InvalidKey');
            await expectCode(b.delete(k), 'InvalidKey');
            await expectCode(b.get(k), 'InvalidKey');
            await expectCode(b.list(k), 'InvalidKey');
            await expectCodeSyncOrAsync(() => {
              const rec = new WatchRecorder(b, k, 0);
              if (rec.errors.length > 0) throw rec.errors[0];
              return rec
                .until(() => rec.errors.length > 0, 'watch InvalidKey', 1000)
                .then(() => {
                  throw rec.errors[0];
                });
            }, 'InvalidKey');
          }
          const l = await b.list(p);
          assert.equal(l.count, 0);
        }));

      it('rejects a non-Buffer value with BadRequest', () =>
        withStore(async (b, p) => {
          await expectCode(b.create(`${p}a`, 'text' as unknown as Buffer), 'BadRequest');
        }));
    });

    describe('concurrency', () => {
      it('lets exactly one of concurrent CAS writers on one key win each round', () =>
        withStore(async (b, p) => {
          const key = `${p}contended`;
          let mod = (await b.create(key, enc('start'))).revision;
          for (let round = 0; round < 20; round++) {
            const attempts = await Promise.allSettled(
              Array.from({ length: 8 }, (_, i) =>
                b.update(key, enc(`r${round}-w${i}`), { expectedModRevision: mod }),
              ),
            );
            const wins = attempts.filter((a) => a.status === 'fulfilled');
            assert.equal(wins.length, 1, `round ${round}: ${wins.length} winners`);
            for (const a of attempts) {
              if (a.status === 'rejected')
                assert.ok(isK8tsError(a.reason, 'RevisionConflict'), String(a.reason));
            }
            const winner = attempts.findIndex((a) => a.status === 'fulfilled');
            const g = await b.get(key);
            assert.equal(dec(g.kv!.value), `r${round}-w${winner}`);
            mod = (wins[0] as PromiseFulfilledResult<{ revision: number }>).value.revision;
            assert.equal(g.kv!.modRevision, mod);
          }
        }));

      it('lets exactly one of concurrent creates of one key win', () =>
        withStore(async (b, p) => {
          const attempts = await Promise.allSettled(
            Array.from({ length: 8 }, (_, i) => b.create(`${p}once`, enc(String(i)))),
          );
          assert.equal(attempts.filter((a) => a.status === 'fulfilled').length, 1);
          for (const a of attempts) {
            if (a.status === 'rejected') assert.ok(isK8tsError(a.reason, 'KeyExists'), String(a.reason));
          }
        }));
    });

    describe('closed store', () => {
      it('fails every operation on a closed store with StoreClosed', async () => {
        const b = await open();
        const p = uniquePrefix();
        const c = await b.create(`${p}a`, enc('1'));
        await b.close();
        await expectCode(b.get(`${p}a`), 'StoreClosed');
        await expectCode(b.list(p), 'StoreClosed');
        await expectCode(b.create(`${p}b`, enc('x')), 'StoreClosed');
        await expectCode(b.update(`${p}a`, enc('x'), { expectedModRevision: c.revision }), 'StoreClosed');
        await expectCode(b.delete(`${p}a`), 'StoreClosed');
        await expectCode(b.compact(c.revision), 'StoreClosed');
        await expectCode(b.currentRevision(), 'StoreClosed');
        await expectCode(b.compactedRevision(), 'StoreClosed');
        await expectCodeSyncOrAsync(() => {
          const rec = new WatchRecorder(b, p, 0);
          if (rec.errors.length > 0) throw rec.errors[0];
          return rec
            .until(() => rec.errors.length > 0, 'watch StoreClosed', 1000)
            .then(() => {
              throw rec.errors[0];
            });
        }, 'StoreClosed');
        await b.close(); // closing twice is harmless
      });
    });
  });
}
