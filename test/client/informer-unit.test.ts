// Informer logic against a scripted ListerWatcher and a fake clock: no network, no sleeps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/client/apierror.js';
import { FakeClock, settle } from '../../src/client/clock.js';
import { type ListerWatcher, SharedInformer } from '../../src/client/informer.js';
import { silentLogger } from '../../src/client/log.js';
import type { ObjectList } from '../../src/client/resource.js';
import { Store } from '../../src/client/store.js';
import type { EventStream, WatchEvent } from '../../src/client/watch.js';

type Obj = Record<string, any>;

const obj = (name: string, rv: number, extra: Obj = {}, namespace = 'ns'): Obj => ({
  metadata: { name, namespace, resourceVersion: String(rv), ...extra },
});

/** A watch stream the test feeds by hand. */
class FakeStream implements EventStream<Obj> {
  private queue: WatchEvent<Obj>[] = [];
  private wake?: () => void;
  private ended = false;
  private error?: Error;
  stopped = false;
  push(type: WatchEvent<Obj>['type'], o: Obj) {
    this.queue.push({ type, object: o });
    this.wake?.();
  }
  end(err?: Error) {
    this.ended = true;
    this.error = err;
    this.wake?.();
  }
  stop() {
    this.stopped = true;
    this.end();
  }
  async *[Symbol.asyncIterator]() {
    for (;;) {
      if (this.queue.length) {
        yield this.queue.shift()!;
        continue;
      }
      if (this.ended) {
        if (this.error) throw this.error;
        return;
      }
      await new Promise<void>((r) => {
        this.wake = r;
      });
    }
  }
}

/** Lists come from `state` (paged by limit); watches are FakeStreams the test controls. */
class FakeLW implements ListerWatcher<Obj> {
  state: Obj[] = [];
  rv = 1;
  lists: { limit?: number; continue?: string }[] = [];
  watches: { resourceVersion: string; stream: FakeStream }[] = [];
  watchError?: Error;
  listError?: Error;
  expireContinue = false;
  async list(o: { limit?: number; continue?: string }): Promise<ObjectList<Obj>> {
    this.lists.push({ limit: o.limit, continue: o.continue });
    if (this.listError) throw this.listError;
    if (o.continue && this.expireContinue)
      throw new ApiError(410, 'continue expired', { kind: 'Status', reason: 'Expired', code: 410 });
    const start = o.continue ? Number(o.continue) : 0;
    const end = o.limit ? start + o.limit : this.state.length;
    const items = this.state.slice(start, end);
    const more = end < this.state.length;
    return {
      apiVersion: 'v1',
      kind: 'List',
      metadata: { resourceVersion: String(this.rv), continue: more ? String(end) : undefined },
      items,
    };
  }
  async watch(o: { resourceVersion: string }): Promise<EventStream<Obj>> {
    if (this.watchError) {
      const e = this.watchError;
      this.watchError = undefined;
      throw e;
    }
    const stream = new FakeStream();
    this.watches.push({ resourceVersion: o.resourceVersion, stream });
    return stream;
  }
  get live(): FakeStream {
    return this.watches[this.watches.length - 1].stream;
  }
}

function recorder(inf: SharedInformer<Obj>) {
  const log: string[] = [];
  inf.addEventHandler({
    onAdd: (o, initial) => log.push(`add ${o.metadata.name}${initial ? ' (initial)' : ''}`),
    onUpdate: (a, b) =>
      log.push(`update ${b.metadata.name} ${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
    onDelete: (o, unknown) => log.push(`delete ${o.metadata.name}${unknown ? ' (unknown)' : ''}`),
  });
  return log;
}

function setup(opts: { resyncPeriodMs?: number; pageSize?: number } = {}) {
  const lw = new FakeLW();
  const clock = new FakeClock();
  const inf = new SharedInformer<Obj>(lw, {
    clock,
    log: silentLogger,
    backoff: { initialMs: 1000, maxMs: 8000, jitter: 0 },
    ...opts,
  });
  return { lw, clock, inf };
}

describe('informer (scripted source)', () => {
  it('lists, then watches from the list version; applies events and bookmarks', async () => {
    const { lw, inf } = setup();
    lw.state = [obj('a', 5), obj('b', 6)];
    lw.rv = 7;
    const log = recorder(inf);
    inf.start();
    assert.equal(await inf.waitForSync(), true);
    await settle();
    assert.deepEqual(log, ['add a (initial)', 'add b (initial)']);
    assert.equal(lw.watches[0].resourceVersion, '7');
    lw.live.push('ADDED', obj('c', 8));
    lw.live.push('MODIFIED', obj('a', 9, { labels: { x: 'y' } }));
    lw.live.push('DELETED', obj('b', 10));
    lw.live.push('DELETED', obj('never-seen', 11));
    lw.live.push('BOOKMARK', { metadata: { resourceVersion: '20' } });
    await settle();
    assert.deepEqual(log.slice(2), ['add c', 'update a 5->9', 'delete b']);
    assert.equal(inf.lastSyncResourceVersion(), '20');
    assert.deepEqual(inf.store.keys().sort(), ['ns/a', 'ns/c']);
    assert.equal(inf.store.get('ns/a')?.metadata.labels.x, 'y');
    assert.equal(inf.stats.bookmarks, 1);
    await inf.stop();
    assert.equal(lw.live.stopped, true);
  });

  it('a handler added after sync first gets every cached object as an initial add', async () => {
    const { lw, inf } = setup();
    lw.state = [obj('a', 2)];
    inf.start();
    await inf.waitForSync();
    const log = recorder(inf);
    assert.deepEqual(log, ['add a (initial)']);
    await inf.stop();
  });

  it('rewatches from the last version after a clean end, without backoff', async () => {
    const { lw, inf } = setup();
    lw.rv = 3;
    inf.start();
    await inf.waitForSync();
    await settle();
    lw.live.push('ADDED', obj('a', 4));
    lw.live.end();
    await settle();
    assert.equal(lw.watches.length, 2);
    assert.equal(lw.watches[1].resourceVersion, '4');
    assert.equal(lw.lists.length, 1, 'no relist');
    await inf.stop();
  });

  it('backs off on the clock after errors, doubling, and resumes the watch without relisting', async () => {
    const { lw, clock, inf } = setup();
    lw.rv = 3;
    inf.start();
    await inf.waitForSync();
    await settle();
    lw.live.end(new Error('connection reset'));
    lw.watchError = new Error('connection refused');
    await settle();
    assert.equal(inf.stats.errors, 1);
    assert.equal(lw.watches.length, 1);
    await clock.tick(999);
    assert.equal(lw.watches.length, 1, 'still waiting');
    await clock.tick(1);
    // The retry failed again (connection refused): next wait is 2000 ms.
    assert.equal(inf.stats.errors, 2);
    await clock.tick(1999);
    assert.equal(lw.watches.length, 1);
    await clock.tick(1);
    assert.equal(lw.watches.length, 2);
    assert.equal(lw.watches[1].resourceVersion, '3');
    assert.equal(lw.lists.length, 1);
    await inf.stop();
    assert.equal(clock.pendingTimers, 0, 'no timer left behind');
  });

  it('on 410 relists and reports differences; deletes it missed are finalStateUnknown', async () => {
    const { lw, inf } = setup();
    lw.state = [obj('keep', 2), obj('change', 3), obj('gone', 4)];
    lw.rv = 4;
    const log = recorder(inf);
    inf.start();
    await inf.waitForSync();
    await settle();
    log.length = 0;
    lw.state = [obj('keep', 2), obj('change', 8), obj('new', 9)];
    lw.rv = 10;
    lw.live.end(
      new ApiError(410, 'too old resource version', { kind: 'Status', reason: 'Expired', code: 410 }),
    );
    await settle();
    assert.deepEqual(log, ['add new', 'update change 3->8', 'delete gone (unknown)']);
    assert.equal(inf.stats.expiredRelists, 1);
    assert.equal(inf.stats.errors, 0, 'an expiry is not an error and needs no backoff');
    assert.equal(lw.watches[1].resourceVersion, '10');
    await inf.stop();
  });

  it('lists in pages and falls back to one full list when the continue token expires', async () => {
    const { lw, inf } = setup({ pageSize: 2 });
    lw.state = [obj('a', 1), obj('b', 2), obj('c', 3), obj('d', 4), obj('e', 5)];
    lw.rv = 5;
    inf.start();
    await inf.waitForSync();
    assert.deepEqual(
      lw.lists.map((l) => l.continue ?? '-'),
      ['-', '2', '4'],
    );
    assert.equal(inf.store.size, 5);
    await inf.stop();

    const second = setup({ pageSize: 2 });
    second.lw.state = lw.state;
    second.lw.expireContinue = true;
    second.inf.start();
    await second.inf.waitForSync();
    assert.equal(second.inf.store.size, 5);
    assert.deepEqual(
      second.lw.lists.map((l) => l.limit ?? 'all'),
      [2, 2, 'all'],
    );
    await second.inf.stop();
  });

  it('retries a failing list with backoff before it has synced', async () => {
    const { lw, clock, inf } = setup();
    lw.listError = new Error('apiserver down');
    inf.start();
    await settle();
    assert.equal(inf.hasSynced(), false);
    lw.listError = undefined;
    lw.state = [obj('a', 1)];
    await clock.tick(1000);
    assert.equal(inf.hasSynced(), true);
    await inf.stop();
  });

  it('resyncs every period as onUpdate(obj, obj)', async () => {
    const { lw, clock, inf } = setup({ resyncPeriodMs: 30_000 });
    lw.state = [obj('a', 1), obj('b', 2)];
    const log = recorder(inf);
    inf.start();
    await inf.waitForSync();
    await clock.tick(30_000);
    assert.deepEqual(log.slice(2), ['update a 1->1', 'update b 2->2']);
    await clock.tick(30_000);
    assert.equal(inf.stats.resyncs, 2);
    await inf.stop();
    assert.equal(clock.pendingTimers, 0);
  });

  it('a throwing handler does not stop the others or the informer', async () => {
    const { lw, inf } = setup();
    inf.addEventHandler({
      onAdd: () => {
        throw new Error('boom');
      },
    });
    const log = recorder(inf);
    lw.state = [obj('a', 1)];
    inf.start();
    await inf.waitForSync();
    await settle();
    lw.live.push('ADDED', obj('b', 2));
    await settle();
    assert.deepEqual(log, ['add a (initial)', 'add b']);
    await inf.stop();
  });

  it('stop before sync: waitForSync resolves false', async () => {
    const { lw, inf } = setup();
    lw.listError = new Error('down');
    inf.start();
    const waiting = inf.waitForSync();
    await settle();
    await inf.stop();
    assert.equal(await waiting, false);
  });
});

describe('store indexes', () => {
  it('indexes by namespace and by custom functions, following updates and deletes', () => {
    const s = new Store<Obj>({ byNode: (o) => (o.spec?.nodeName ? [o.spec.nodeName] : []) });
    s.upsert({ metadata: { name: 'p1', namespace: 'a' }, spec: { nodeName: 'n1' } });
    s.upsert({ metadata: { name: 'p2', namespace: 'a' }, spec: { nodeName: 'n2' } });
    s.upsert({ metadata: { name: 'p3', namespace: 'b' }, spec: {} });
    s.upsert({ metadata: { name: 'node1' } });
    assert.deepEqual(
      s.byNamespace('a').map((o) => o.metadata.name),
      ['p1', 'p2'],
    );
    assert.deepEqual(s.indexKeys('byNode', 'n1'), ['a/p1']);
    s.upsert({ metadata: { name: 'p1', namespace: 'a' }, spec: { nodeName: 'n2' } });
    assert.deepEqual(s.indexKeys('byNode', 'n1'), []);
    assert.deepEqual(s.indexKeys('byNode', 'n2').sort(), ['a/p1', 'a/p2']);
    s.remove('a/p2');
    assert.deepEqual(s.indexKeys('byNode', 'n2'), ['a/p1']);
    assert.deepEqual(s.indexValues('byNode'), ['n2']);
    assert.equal(s.getByName(undefined, 'node1')?.metadata.name, 'node1');
    s.addIndexers({ hasSpec: (o) => (o.spec ? ['yes'] : ['no']) });
    assert.equal(
      s.byIndex('hasSpec', 'yes').length,
      2,
      'existing objects are indexed when an index is added',
    );
    assert.throws(() => s.byIndex('nope', 'x'), /no index/);
  });
});
