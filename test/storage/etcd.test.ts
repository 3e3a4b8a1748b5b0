// The etcd driver against real etcd processes: the shared conformance suite on one single-member etcd
// (every case works under its own key prefix), then driver-specific cases: prefixes, compaction done by
// another client, unavailability, and a 3-member cluster that loses the member we talk to.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Backend } from '../../src/storage/backend.js';
import { openEtcdBackend } from '../../src/storage/etcd/index.js';
import { type EtcdCluster, freePort, startEtcd } from '../helpers/etcd.js';
import { expectCode, runConformance, WatchRecorder } from './conformance.js';

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

let single: EtcdCluster;
before(async () => {
  single = await startEtcd();
});
after(async () => {
  await single?.stop();
});

runConformance('etcd', () =>
  openEtcdBackend({ endpoints: single.endpoints, prefix: '/k8ts-conformance', compactWindowMs: 0 }),
);

/** Opens a backend, runs fn, closes it. */
async function using<T>(open: Promise<Backend>, fn: (b: Backend) => Promise<T>): Promise<T> {
  const b = await open;
  try {
    return await fn(b);
  } finally {
    await b.close();
  }
}

describe('etcd driver', () => {
  it('keeps stores with different prefixes apart', async () => {
    const a = await openEtcdBackend({ endpoints: single.endpoints, prefix: '/tenant-a' });
    const b = await openEtcdBackend({ endpoints: [`http://${single.endpoints[0]}`], prefix: '/tenant-b/' });
    try {
      await a.create('/shared/key', enc('a'));
      assert.equal((await b.get('/shared/key')).kv, null);
      await b.create('/shared/key', enc('b'));
      const la = await a.list('/shared/');
      assert.deepEqual(
        la.items.map((kv) => [kv.key, kv.value.toString()]),
        [['/shared/key', 'a']],
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('sees a compaction done by another client (reads, watches, compactedRevision)', async () => {
    const p = `/foreign-compaction/${Date.now()}/`;
    await using(openEtcdBackend({ endpoints: single.endpoints }), async (mine) => {
      const c = await mine.create(`${p}a`, enc('1'));
      const u = await mine.update(`${p}a`, enc('2'), { expectedModRevision: c.revision });
      await mine.create(`${p}b`, enc('3'));
      await using(openEtcdBackend({ endpoints: single.endpoints }), (other) => other.compact(u.revision));

      assert.equal(await mine.compactedRevision(), u.revision);
      const err = await expectCode(mine.get(`${p}a`, { revision: c.revision }), 'Compacted');
      assert.match(err.message, new RegExp(`oldest available revision is ${u.revision}`));
      // The boundary is the contract's: fromRevision just below the compacted revision fails...
      const w = new WatchRecorder(mine, p, u.revision - 1);
      await w.until(() => w.errors.length > 0, 'Compacted');
      assert.equal(w.errors[0].code, 'Compacted');
      assert.equal(w.events.length, 0);
      // ...and fromRevision at it delivers what follows.
      const w2 = new WatchRecorder(mine, p, u.revision);
      await w2.until(() => w2.events.length > 0, 'the event after the compacted revision');
      assert.equal(w2.events[0].kv.key, `${p}b`);
      w2.cancel();
    });
  });

  it('checks value size before sending anything', async () => {
    await using(openEtcdBackend({ endpoints: single.endpoints }), async (b) => {
      const before = await b.currentRevision();
      await expectCode(b.create('/too-big', Buffer.alloc(2 * 1024 * 1024)), 'ValueTooLarge');
      assert.equal(await b.currentRevision(), before);
    });
  });

  it('runs the periodic compactor it was opened with, and stops it on close', async () => {
    let now = 1_000_000;
    await using(
      openEtcdBackend({
        endpoints: single.endpoints,
        compactWindowMs: 60_000,
        compactIntervalMs: 5,
        now: () => now,
      }),
      async (b) => {
        const w = await b.create(`/windowed/${Date.now()}`, enc('x'));
        // Each step moves the injected clock a full window ahead, so the next ticks compact up to w.
        const deadline = Date.now() + 5000;
        while ((await b.compactedRevision()) < w.revision) {
          assert.ok(Date.now() < deadline, 'the compactor did not compact');
          now += 60_000;
          await new Promise((r) => setTimeout(r, 10));
        }
      },
    );
  });

  it('fails to open with StoreUnavailable when no member answers', async () => {
    const port = await freePort();
    await expectCode(
      openEtcdBackend({ endpoints: [`127.0.0.1:${port}`], requestTimeoutMs: 2000 }),
      'StoreUnavailable',
    );
  });

  it('reports StoreUnavailable for requests and watches once etcd is gone', async () => {
    const lone = await startEtcd();
    try {
      const b = await openEtcdBackend({
        endpoints: lone.endpoints,
        requestTimeoutMs: 2000,
        watchRetryMs: 500,
      });
      try {
        const w = new WatchRecorder(b, '/x/', 0);
        await b.create('/x/a', enc('1'));
        await w.until(() => w.events.length === 1, 'first event');
        await lone.stop();
        await expectCode(b.get('/x/a'), 'StoreUnavailable');
        await expectCode(b.create('/x/b', enc('2')), 'StoreUnavailable');
        await w.until(() => w.errors.length > 0, 'the watch to give up', 5000);
        assert.equal(w.errors[0].code, 'StoreUnavailable');
      } finally {
        await b.close();
      }
    } finally {
      await lone.stop();
    }
  });
});

describe('etcd driver on a 3-member cluster', () => {
  let cluster: EtcdCluster;
  before(async () => {
    cluster = await startEtcd({ members: 3 });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('writes, reads and watches, and carries on when the member in use stops', async () => {
    await using(openEtcdBackend({ endpoints: cluster.endpoints, prefix: '/ha' }), async (b) => {
      const start = await b.currentRevision();
      const w = new WatchRecorder(b, '/k/', start);
      const revs: number[] = [];
      for (let i = 0; i < 10; i++) revs.push((await b.create(`/k/${i}`, enc(String(i)))).revision);
      await w.until(() => w.events.length === 10, '10 events');

      // pick_first talks to the first endpoint: take it away (it may also be the raft leader).
      await cluster.stopMember(0);
      const deadline = Date.now() + 10_000;
      for (let i = 10; i < 20; i++) {
        for (;;) {
          try {
            revs.push((await b.create(`/k/${i}`, enc(String(i)))).revision);
            break;
          } catch (err) {
            // A write in flight when the member died has an unknown outcome; retry only if it did not land.
            if (Date.now() > deadline) throw err;
            const got = await b.get(`/k/${i}`).catch(() => null);
            if (got?.kv) {
              revs.push(got.kv.modRevision);
              break;
            }
          }
        }
      }
      await w.until(() => w.events.length === 20, '20 events across the failover', 10_000);
      assert.equal(w.errors.length, 0);
      assert.deepEqual(
        w.events.map((e) => e.kv.modRevision),
        revs,
      );
      assert.equal((await b.list('/k/')).count, 20);
      w.cancel();
    });
  });
});
