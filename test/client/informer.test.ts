// Informers against a real in-process API server over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiServer } from '../../src/apiserver/server.js';
import { FakeClock } from '../../src/client/clock.js';
import { restListerWatcher, SharedInformer } from '../../src/client/informer.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { silentLogger } from '../../src/client/log.js';
import { RestClient } from '../../src/client/rest.js';
import { openMemoryBackend } from '../../src/storage/memory/index.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { cm, configMaps, namespaces, until } from './fixtures.js';

type Obj = Record<string, any>;

function track(inf: SharedInformer<Obj>) {
  const log: string[] = [];
  inf.addEventHandler({
    onAdd: (o) => log.push(`add ${o.metadata.name}`),
    onUpdate: (a, b) => {
      if (a.metadata.resourceVersion !== b.metadata.resourceVersion) log.push(`update ${b.metadata.name}`);
    },
    onDelete: (o, unknown) => log.push(`delete ${o.metadata.name}${unknown ? ' (unknown)' : ''}`),
  });
  return log;
}

describe('informer against the API server', () => {
  let t: TestApi;
  let client: RestClient;
  before(async () => {
    t = await startTestApi();
    client = new RestClient({ baseUrl: t.url });
    for (const n of ['inf', 'other']) await client.resource(namespaces).create({ metadata: { name: n } });
  });
  after(async () => {
    client.close();
    await t.close();
  });

  it('fills the cache from the list, then follows adds, updates and deletes', async () => {
    const cms = client.resource(configMaps).in('inf');
    await cms.create(cm('pre-1'));
    await cms.create(cm('pre-2'));
    const inf = new SharedInformer<Obj>(restListerWatcher(cms), { log: silentLogger });
    const log = track(inf);
    inf.start();
    assert.equal(await inf.waitForSync(), true);
    assert.deepEqual(log, ['add pre-1', 'add pre-2']);
    const c = await cms.create(cm('live'));
    await cms.update({ ...c, data: { a: 'changed' } });
    await cms.delete('pre-1');
    await until(() => log.length === 5, 5000, 'events');
    assert.deepEqual(log.slice(2), ['add live', 'update live', 'delete pre-1']);
    assert.equal(inf.store.get('inf/live')?.data.a, 'changed');
    assert.equal(inf.store.has('inf/pre-1'), false);
    assert.equal(inf.lastSyncResourceVersion(), String(await t.backend.currentRevision()));
    await inf.stop();
  });

  it('a label-selected informer sees objects enter and leave the selection as add and delete', async () => {
    const cms = client.resource(configMaps).in('inf');
    const inf = new SharedInformer<Obj>(
      restListerWatcher(client.resource(configMaps), { labelSelector: 'tier=web' }),
      {
        log: silentLogger,
      },
    );
    const log = track(inf);
    inf.start();
    await inf.waitForSync();
    const a = await cms.create(cm('sel-a', {}, { tier: 'db' }));
    const moved = await cms.update({ ...a, metadata: { ...a.metadata, labels: { tier: 'web' } } });
    await cms.create(cm('sel-b', {}, { tier: 'web' }));
    await cms.update({ ...moved, metadata: { ...moved.metadata, labels: { tier: 'cache' } } });
    await until(() => log.length === 3, 5000, 'selector events');
    assert.deepEqual(log, ['add sel-a', 'add sel-b', 'delete sel-a']);
    assert.deepEqual(inf.store.keys(), ['inf/sel-b']);
    await inf.stop();
  });

  it('a field-selected informer only holds matching objects (the kubelet pattern)', async () => {
    await client.resource(configMaps).in('other').create(cm('elsewhere'));
    await client.resource(configMaps).in('inf').create(cm('here'));
    const inf = new SharedInformer<Obj>(
      restListerWatcher(client.resource(configMaps), { fieldSelector: 'metadata.namespace=other' }),
      { log: silentLogger },
    );
    inf.start();
    await inf.waitForSync();
    assert.deepEqual(inf.store.keys(), ['other/elsewhere']);
    await client.resource(configMaps).in('inf').create(cm('here-2'));
    await client.resource(configMaps).in('other').create(cm('elsewhere-2'));
    await until(() => inf.store.size === 2, 5000, 'second match');
    assert.deepEqual(inf.store.keys().sort(), ['other/elsewhere', 'other/elsewhere-2']);
    await inf.stop();
  });

  it('reconnects when the server ends the watch (timeoutSeconds) and misses nothing', async () => {
    const cms = client.resource(configMaps).in('inf');
    const inf = new SharedInformer<Obj>(restListerWatcher(cms, { labelSelector: 'reconnect=yes' }), {
      log: silentLogger,
      minWatchTimeoutSeconds: 1,
    });
    const log = track(inf);
    inf.start();
    await inf.waitForSync();
    await cms.create(cm('r-1', {}, { reconnect: 'yes' }));
    await until(() => inf.stats.watches >= 2, 5000, 'a second watch after the server timeout');
    await cms.create(cm('r-2', {}, { reconnect: 'yes' }));
    await until(() => log.length === 2, 5000, 'event after reconnect');
    assert.deepEqual(log, ['add r-1', 'add r-2']);
    assert.equal(inf.stats.lists, 1, 'a timeout is resumed from the last version, not relisted');
    assert.equal(inf.stats.errors, 0);
    await inf.stop();
  });

  it('SharedInformerFactory shares one informer per resource and selection', async () => {
    const f = new SharedInformerFactory(client, { log: silentLogger });
    const a = f.informerFor(configMaps);
    const b = f.informerFor(configMaps);
    const c = f.informerFor(configMaps, { labelSelector: 'x=y' });
    const d = f.informerFor(namespaces, { namespace: 'ignored-for-cluster-scope' });
    assert.equal(a, b);
    assert.notEqual(a, c);
    f.start();
    assert.equal(await f.waitForSync(), true);
    assert.ok(a.store.size > 0);
    assert.ok(d.store.getByName(undefined, 'default'));
    const late = f.informerFor(configMaps, { namespace: 'other' });
    assert.equal(await late.waitForSync(), true, 'informers made after start() start at once');
    assert.deepEqual(
      late.store.list().map((o) => o.metadata.namespace),
      late.store.list().map(() => 'other'),
    );
    await f.stop();
  });
});

describe('informer across an API server restart', () => {
  it('retries with backoff while the server is down, then relists after 410 and reports what it missed', async () => {
    const backend = await openMemoryBackend();
    const api1 = new ApiServer({ backend });
    const { port } = await api1.listen(0);
    const url = `http://127.0.0.1:${port}`;
    const client = new RestClient({ baseUrl: url });
    const clock = new FakeClock();
    const cms = client.resource(configMaps).in('default');
    for (const n of ['keep', 'change', 'gone']) await cms.create(cm(n));
    const inf = new SharedInformer<Obj>(restListerWatcher(cms), {
      clock,
      log: silentLogger,
      backoff: { initialMs: 1000, jitter: 0 },
    });
    const log = track(inf);
    inf.start();
    await inf.waitForSync();
    const rvBefore = inf.lastSyncResourceVersion();

    await api1.close(); // cuts the watch connection
    await until(() => inf.stats.errors >= 1, 5000, 'the informer to notice');

    // A new server on the same store; changes happen while the informer waits, then history is compacted.
    const api2 = new ApiServer({ backend });
    await api2.listen(port);
    const writer = new RestClient({ baseUrl: url });
    try {
      await writer.resource(namespaces).create({ metadata: { name: 'bump' } });
      const w = writer.resource(configMaps).in('default');
      const change = await w.get('change');
      await w.update({ ...change, data: { a: 'new' } });
      await w.delete('gone');
      await w.create(cm('added'));
      await backend.compact(await backend.currentRevision());

      assert.equal(log.length, 3, 'nothing seen while waiting');
      await clock.tick(1000); // the backoff ends: rewatch from rvBefore -> 410 -> relist
      await until(() => log.length === 6, 5000, 'relist differences');
      assert.deepEqual(log.slice(3), ['add added', 'update change', 'delete gone (unknown)']);
      assert.equal(inf.stats.expiredRelists, 1);
      assert.equal(inf.stats.lists, 2);
      assert.notEqual(inf.lastSyncResourceVersion(), rvBefore);
      assert.equal(inf.store.get('default/change')?.data.a, 'new');

      // And it follows live events again.
      await w.create(cm('after'));
      await until(() => log.length === 7, 5000, 'live event after relist');
    } finally {
      await inf.stop();
      client.close();
      writer.close();
      await api2.close();
      await backend.close();
    }
  });
});
