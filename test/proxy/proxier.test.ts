// The proxier's sync loop on a FakeClock with a recording nft: nothing is written before both informers
// have listed; the first sync rewrites the whole table; changes inside the coalescing window become one
// transaction holding only the changed Service; unused chains are deleted a second later; a failed
// transaction makes the next sync a full one; stop() removes the table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, settle, silentLogger } from '../../src/client/index.js';
import { Proxier, type SyncResult } from '../../src/proxy/proxier.js';

type Obj = Record<string, any>;

function svc(name: string, ip: string): Obj {
  return {
    metadata: { namespace: 'default', name },
    spec: { type: 'ClusterIP', clusterIP: ip, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  };
}

function slice(service: string, ips: string[]): Obj {
  return {
    metadata: {
      namespace: 'default',
      name: `${service}-1`,
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'n1' })),
  };
}

function setup(failNext = { count: 0 }) {
  const clock = new FakeClock();
  const scripts: string[] = [];
  const results: SyncResult[] = [];
  const proxier = new Proxier({
    config: { table: 'k8ts-proxy', localTraffic: { bridge: 'k8ts0' } },
    nodeName: 'n1',
    nft: async (s) => {
      if (failNext.count > 0) {
        failNext.count--;
        throw new Error('nft: simulated failure');
      }
      scripts.push(s);
    },
    minSyncIntervalMs: 10,
    retryMs: 500,
    clock,
    log: silentLogger,
  });
  proxier.onSync((r) => results.push(r));
  return { clock, scripts, results, proxier };
}

describe('proxier sync loop', () => {
  it('waits for the informers, then writes the whole table once', async () => {
    const { clock, scripts, proxier } = setup();
    proxier.upsertService(svc('a', '10.43.0.1'));
    proxier.upsertSlice(slice('a', ['10.244.0.5']));
    await clock.tick(1000);
    assert.equal(scripts.length, 0, 'nothing before the first lists');
    proxier.setSynced();
    await clock.tick(0);
    assert.equal(scripts.length, 1);
    assert.match(scripts[0], /^add table ip k8ts-proxy\ndelete table ip k8ts-proxy\n/);
    assert.match(
      scripts[0],
      /add element ip k8ts-proxy service-ips \{ 10\.43\.0\.1 \. tcp \. 80 : goto service-/,
    );
    assert.deepEqual(proxier.appliedServices(), ['default/a']);
  });

  it('coalesces changes inside the window into one transaction with only the changed Service', async () => {
    const { clock, scripts, results, proxier } = setup();
    proxier.upsertService(svc('a', '10.43.0.1'));
    proxier.upsertService(svc('b', '10.43.0.2'));
    proxier.upsertSlice(slice('a', ['10.244.0.5']));
    proxier.upsertSlice(slice('b', ['10.244.0.6']));
    proxier.setSynced();
    await clock.tick(0);
    assert.equal(scripts.length, 1);
    proxier.upsertSlice(slice('b', ['10.244.0.6', '10.244.0.7']));
    await clock.tick(5);
    proxier.upsertSlice(slice('b', ['10.244.0.6', '10.244.0.8']));
    await clock.tick(4);
    assert.equal(scripts.length, 1, 'still inside the window');
    await clock.tick(1);
    assert.equal(scripts.length, 2);
    const s = scripts[1];
    assert.doesNotMatch(s, /add table|delete table/);
    assert.doesNotMatch(s, /default\/a\//, 'Service a is untouched');
    assert.match(s, /dnat to 10\.244\.0\.8:8080/);
    assert.doesNotMatch(s, /10\.244\.0\.7/, 'the intermediate state never reached nft');
    assert.equal(results[1].full, false);
    assert.equal(results[1].services, 1);
    assert.equal(results[1].oldestChangeAt, clock.now() - 10);
    // An update that changes nothing the rules use writes nothing.
    proxier.upsertService({
      ...svc('a', '10.43.0.1'),
      metadata: { namespace: 'default', name: 'a', labels: { x: 'y' } },
    });
    await clock.tick(20);
    assert.equal(scripts.length, 2);
  });

  it('deletes unused chains a second after flushing them', async () => {
    const { clock, scripts, proxier } = setup();
    proxier.upsertService(svc('a', '10.43.0.1'));
    proxier.upsertSlice(slice('a', ['10.244.0.5']));
    proxier.setSynced();
    await clock.tick(0);
    proxier.deleteService(svc('a', '10.43.0.1'));
    await clock.tick(10);
    assert.equal(scripts.length, 2);
    assert.match(scripts[1], /delete element ip k8ts-proxy service-ips \{ 10\.43\.0\.1 \. tcp \. 80 \}/);
    assert.match(scripts[1], /flush chain ip k8ts-proxy service-/);
    assert.doesNotMatch(scripts[1], /delete chain/);
    await clock.tick(999);
    assert.equal(scripts.length, 2);
    await clock.tick(1);
    assert.equal(scripts.length, 3);
    const deleted = scripts[2].trimEnd().split('\n');
    assert.equal(deleted.length, 2);
    for (const l of deleted)
      assert.match(l, /^delete chain ip k8ts-proxy (service|endpoint)-\w{8}-default\/a\/tcp\/http/);
    assert.deepEqual(proxier.appliedServices(), []);
  });

  it('after a failed transaction, retries with a full sync', async () => {
    const fail = { count: 0 };
    const { clock, scripts, proxier } = setup(fail);
    proxier.upsertService(svc('a', '10.43.0.1'));
    proxier.setSynced();
    await clock.tick(0);
    fail.count = 1;
    proxier.upsertSlice(slice('a', ['10.244.0.5']));
    await clock.tick(10);
    assert.equal(scripts.length, 1);
    assert.equal(proxier.stats.failures, 1);
    await clock.tick(499);
    assert.equal(scripts.length, 1, 'waits before retrying');
    await clock.tick(1);
    assert.equal(scripts.length, 2);
    assert.match(scripts[1], /^add table ip k8ts-proxy\ndelete table/);
    assert.match(scripts[1], /dnat to 10\.244\.0\.5:8080/);
    assert.equal(proxier.stats.fullSyncs, 2);
  });

  it('stop cancels pending syncs and removes the table', async () => {
    const { clock, scripts, proxier } = setup();
    proxier.setSynced();
    await clock.tick(0);
    proxier.upsertService(svc('a', '10.43.0.1'));
    await proxier.stop({ removeTable: true });
    await clock.tick(100);
    await settle();
    assert.equal(scripts.length, 2);
    assert.equal(scripts[1], 'add table ip k8ts-proxy\ndelete table ip k8ts-proxy\n');
  });
});
