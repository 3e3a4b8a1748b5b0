import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteBackend } from '../../src/storage/sqlite/index.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';

const cm = (name: string, data: Record<string, string> = { a: '1' }, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

describe('apiserver CRUD', () => {
  let t: TestApi;
  before(async () => {
    t = await startTestApi();
  });
  after(() => t.close());

  it('serves /version at API level 1.33 and health endpoints', async () => {
    const v = await t.req('GET', '/version');
    assert.equal(v.status, 200);
    assert.equal(v.body.major, '1');
    assert.equal(v.body.minor, '33');
    for (const p of ['/healthz', '/livez', '/readyz']) assert.equal((await t.req('GET', p)).status, 200);
  });

  it('has the system namespaces from the start', async () => {
    const r = await t.req('GET', '/api/v1/namespaces');
    const names = r.body.items.map((n: any) => n.metadata.name).sort();
    assert.deepEqual(names, ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    assert.equal(r.body.items[0].status.phase, 'Active');
  });

  it('creates with system metadata and reads it back', async () => {
    const c = await t.req('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
    assert.equal(c.status, 201);
    const m = c.body.metadata;
    assert.match(m.uid, /^[0-9a-f-]{36}$/);
    assert.match(m.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Number(m.resourceVersion) > 0);
    assert.equal(m.namespace, 'default');
    const g = await t.req('GET', '/api/v1/namespaces/default/configmaps/one');
    assert.equal(g.status, 200);
    assert.deepEqual(g.body, c.body);
  });

  it('answers 409 AlreadyExists for a duplicate and changes nothing', async () => {
    await t.req('POST', '/api/v1/namespaces/default/configmaps', cm('dup', { v: 'first' }));
    const r = await t.req('POST', '/api/v1/namespaces/default/configmaps', cm('dup', { v: 'second' }));
    assert.equal(r.status, 409);
    assert.equal(r.body.kind, 'Status');
    assert.equal(r.body.reason, 'AlreadyExists');
    assert.equal(r.body.message, 'configmaps "dup" already exists');
    const g = await t.req('GET', '/api/v1/namespaces/default/configmaps/dup');
    assert.equal(g.body.data.v, 'first');
  });

  it('generates names from generateName', async () => {
    const r = await t.req('POST', '/api/v1/namespaces/default/configmaps', {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { generateName: 'gen-' },
    });
    assert.equal(r.status, 201);
    assert.match(r.body.metadata.name, /^gen-[a-z0-9]{5}$/);
  });

  it('rejects a stale resourceVersion with 409 Conflict', async () => {
    const c = await t.req('POST', '/api/v1/namespaces/default/configmaps', cm('cas'));
    const first = { ...c.body, data: { a: '2' } };
    const u1 = await t.req('PUT', '/api/v1/namespaces/default/configmaps/cas', first);
    assert.equal(u1.status, 200);
    assert.notEqual(u1.body.metadata.resourceVersion, c.body.metadata.resourceVersion);
    const u2 = await t.req('PUT', '/api/v1/namespaces/default/configmaps/cas', {
      ...c.body,
      data: { a: '3' },
    });
    assert.equal(u2.status, 409);
    assert.equal(u2.body.reason, 'Conflict');
    assert.match(u2.body.message, /the object has been modified/);
    const g = await t.req('GET', '/api/v1/namespaces/default/configmaps/cas');
    assert.equal(g.body.data.a, '2');
  });

  it('keeps uid and creationTimestamp across updates and skips no-op writes', async () => {
    const c = await t.req('POST', '/api/v1/namespaces/default/configmaps', cm('keep'));
    const u = await t.req('PUT', '/api/v1/namespaces/default/configmaps/keep', {
      ...c.body,
      metadata: { ...c.body.metadata, uid: 'forged', creationTimestamp: '2000-01-01T00:00:00Z' },
    });
    assert.equal(u.body.metadata.uid, c.body.metadata.uid);
    assert.equal(u.body.metadata.creationTimestamp, c.body.metadata.creationTimestamp);
    assert.equal(
      u.body.metadata.resourceVersion,
      c.body.metadata.resourceVersion,
      'no-op update keeps the version',
    );
  });

  it('returns 404 with a Status for missing objects, namespaces and kinds', async () => {
    const a = await t.req('GET', '/api/v1/namespaces/default/configmaps/nope');
    assert.equal(a.status, 404);
    assert.equal(a.body.message, 'configmaps "nope" not found');
    const b = await t.req('POST', '/api/v1/namespaces/missing/configmaps', cm('x'));
    assert.equal(b.status, 404);
    assert.equal(b.body.message, 'namespaces "missing" not found');
    const c = await t.req('GET', '/api/v1/namespaces/default/widgets');
    assert.equal(c.status, 404);
    assert.equal(c.body.kind, 'Status');
  });

  it('rejects malformed bodies with 400 and oversized ones with 413', async () => {
    const bad = await t.req('POST', '/api/v1/namespaces/default/configmaps', '{"kind": ');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.reason, 'BadRequest');
    const wrongKind = await t.req('POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('k'),
      kind: 'Secret',
    });
    assert.equal(wrongKind.status, 400);
    const big = await t.req(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      cm('big', { a: 'x'.repeat(3.2 * 1024 * 1024) }),
    );
    assert.equal(big.status, 413);
    assert.equal((await t.req('GET', '/api/v1/namespaces/default/configmaps/big')).status, 404);
  });

  it('rejects invalid names with 422 and field causes', async () => {
    const r = await t.req('POST', '/api/v1/namespaces/default/configmaps', cm('Bad_Name'));
    assert.equal(r.status, 422);
    assert.equal(r.body.reason, 'Invalid');
    assert.match(r.body.message, /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value/);
    assert.equal(r.body.details.causes[0].field, 'metadata.name');
  });

  it('dry-run validates but stores nothing', async () => {
    const r = await t.req('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    assert.equal(r.status, 201);
    assert.equal((await t.req('GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
  });

  it('filters lists by label and field selectors', async () => {
    await t.req(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      cm('sel-a', {}, { tier: 'web', env: 'prod' }),
    );
    await t.req(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      cm('sel-b', {}, { tier: 'db', env: 'prod' }),
    );
    const names = async (q: string) =>
      (await t.req('GET', `/api/v1/namespaces/default/configmaps?${q}`)).body.items.map(
        (i: any) => i.metadata.name,
      );
    assert.deepEqual(await names('labelSelector=tier%3Dweb'), ['sel-a']);
    assert.deepEqual(await names('labelSelector=env%3Dprod,tier!%3Dweb'), ['sel-b']);
    assert.deepEqual(await names('labelSelector=tier%20in%20(web,db)'), ['sel-a', 'sel-b']);
    assert.deepEqual(await names('fieldSelector=metadata.name%3Dsel-b'), ['sel-b']);
    const bad = await t.req('GET', '/api/v1/namespaces/default/configmaps?fieldSelector=spec.nope%3D1');
    assert.equal(bad.status, 400);
  });

  it('pages with limit/continue on one snapshot while writes continue', async () => {
    await t.req('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'pages' },
    });
    for (let i = 0; i < 7; i++) await t.req('POST', '/api/v1/namespaces/pages/configmaps', cm(`p${i}`));
    const p1 = await t.req('GET', '/api/v1/namespaces/pages/configmaps?limit=3');
    assert.equal(p1.body.items.length, 3);
    assert.ok(p1.body.metadata.continue);
    assert.equal(p1.body.metadata.remainingItemCount, 4);
    // A write after the first page must not show up in later pages.
    await t.req('POST', '/api/v1/namespaces/pages/configmaps', cm('p9'));
    const p2 = await t.req(
      'GET',
      `/api/v1/namespaces/pages/configmaps?limit=3&continue=${p1.body.metadata.continue}`,
    );
    const p3 = await t.req(
      'GET',
      `/api/v1/namespaces/pages/configmaps?limit=3&continue=${p2.body.metadata.continue}`,
    );
    const all = [...p1.body.items, ...p2.body.items, ...p3.body.items].map((i: any) => i.metadata.name);
    assert.deepEqual(all, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    assert.equal(p3.body.metadata.continue, undefined);
    assert.equal(p2.body.metadata.resourceVersion, p1.body.metadata.resourceVersion);
    const bad = await t.req('GET', '/api/v1/namespaces/pages/configmaps?limit=3&continue=garbage');
    assert.equal(bad.status, 400);
  });

  it('deletes and reports Success, with uid preconditions checked', async () => {
    const c = await t.req('POST', '/api/v1/namespaces/default/configmaps', cm('del'));
    const pre = await t.req('DELETE', '/api/v1/namespaces/default/configmaps/del', {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      preconditions: { uid: 'other' },
    });
    assert.equal(pre.status, 409);
    const d = await t.req('DELETE', '/api/v1/namespaces/default/configmaps/del');
    assert.equal(d.status, 200);
    assert.equal(d.body.status, 'Success');
    assert.equal(d.body.details.uid, c.body.metadata.uid);
    assert.equal((await t.req('GET', '/api/v1/namespaces/default/configmaps/del')).status, 404);
  });

  it('holds objects with finalizers until the last one is removed', async () => {
    const c = await t.req('POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('fin'),
      metadata: { name: 'fin', finalizers: ['example.com/hold'] },
    });
    const d = await t.req('DELETE', '/api/v1/namespaces/default/configmaps/fin');
    assert.equal(d.status, 202);
    assert.ok(d.body.metadata.deletionTimestamp);
    const g = await t.req('GET', '/api/v1/namespaces/default/configmaps/fin');
    assert.equal(g.status, 200);
    const u = await t.req('PUT', '/api/v1/namespaces/default/configmaps/fin', {
      ...g.body,
      metadata: { ...g.body.metadata, finalizers: [] },
    });
    assert.equal(u.status, 200);
    assert.equal((await t.req('GET', '/api/v1/namespaces/default/configmaps/fin')).status, 404);
    assert.ok(c.body.metadata.uid);
  });

  it('terminates a namespace until its finalizers are cleared through /finalize', async () => {
    await t.req('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'doomed' },
    });
    const d = await t.req('DELETE', '/api/v1/namespaces/doomed');
    assert.equal(d.status, 202);
    assert.equal(d.body.status.phase, 'Terminating');
    assert.deepEqual(d.body.spec.finalizers, ['kubernetes']);
    const c = await t.req('POST', '/api/v1/namespaces/doomed/configmaps', cm('late'));
    assert.equal(c.status, 403);
    assert.match(
      c.body.message,
      /unable to create new content in namespace doomed because it is being terminated/,
    );
    // A plain update cannot drop the namespace's finalizers; /finalize can.
    const g = await t.req('GET', '/api/v1/namespaces/doomed');
    const plain = await t.req('PUT', '/api/v1/namespaces/doomed', { ...g.body, spec: { finalizers: [] } });
    assert.deepEqual(plain.body.spec.finalizers, ['kubernetes']);
    const f = await t.req('PUT', '/api/v1/namespaces/doomed/finalize', {
      ...g.body,
      spec: { finalizers: [] },
    });
    assert.equal(f.status, 200);
    assert.equal((await t.req('GET', '/api/v1/namespaces/doomed')).status, 404);
  });

  it('serves tables with upstream columns', async () => {
    const r = await t.req('GET', '/api/v1/namespaces', undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    assert.equal(r.body.kind, 'Table');
    assert.deepEqual(
      r.body.columnDefinitions.map((c: any) => c.name),
      ['Name', 'Status', 'Age'],
    );
    assert.equal(r.body.rows[0].object.kind, 'PartialObjectMetadata');
  });

  it('serves aggregated discovery when asked', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const apis = await t.req('GET', '/apis', undefined, { accept });
    assert.match(apis.headers.get('content-type') ?? '', /as=APIGroupDiscoveryList/);
    assert.equal(apis.body.apiVersion, 'apidiscovery.k8s.io/v2');
    const apps = apis.body.items.find((i: any) => i.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((r: any) => r.resource === 'deployments');
    assert.deepEqual(deploy.responseKind, { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.equal(deploy.subresources.find((x: any) => x.subresource === 'scale').responseKind.kind, 'Scale');
    const core = await t.req('GET', '/api', undefined, { accept: accept.replace('v=v2;', 'v=v2beta1;') });
    assert.equal(core.body.apiVersion, 'apidiscovery.k8s.io/v2beta1');
    assert.ok(core.body.items[0].versions[0].resources.some((r: any) => r.resource === 'pods'));
    const legacy = await t.req('GET', '/apis');
    assert.equal(legacy.body.kind, 'APIGroupList');
  });

  it('serves discovery for the core group', async () => {
    const r = await t.req('GET', '/api/v1');
    const cms = r.body.resources.find((x: any) => x.name === 'configmaps');
    assert.deepEqual(cms.shortNames, ['cm']);
    assert.ok(cms.verbs.includes('watch'));
    assert.equal((await t.req('GET', '/api')).body.versions[0], 'v1');
  });
});

describe('apiserver flow control', () => {
  it('answers 429 with Retry-After past the in-flight limit and recovers', async () => {
    const { request } = await import('node:http');
    const { ApiServer } = await import('../../src/apiserver/server.js');
    const { openMemoryBackend } = await import('../../src/storage/memory/index.js');
    const backend = await openMemoryBackend();
    const api = new ApiServer({ backend, inflight: { readOnly: 1, mutating: 1 } });
    const addr = await api.listen(0);
    const url = `http://127.0.0.1:${addr.port}`;
    const body = (name: string) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
    try {
      // Hold one mutating slot: send the headers and half the body, and keep the rest back.
      const held = body('held');
      const slow = request(`${url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(held) },
      });
      const slowDone = new Promise<number>((resolve) =>
        slow.on('response', (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        }),
      );
      slow.write(held.slice(0, 10));
      await new Promise((r) => setTimeout(r, 50));
      const limited = await fetch(`${url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body('limited'),
      });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '1');
      assert.equal(((await limited.json()) as any).reason, 'TooManyRequests');
      // Reads have their own budget.
      assert.equal((await fetch(`${url}/api/v1/namespaces/default/configmaps`)).status, 200);
      slow.end(held.slice(10));
      assert.equal(await slowDone, 201);
      const names = (
        (await fetch(`${url}/api/v1/namespaces/default/configmaps`).then((r) => r.json())) as any
      ).items.map((i: any) => i.metadata.name);
      assert.deepEqual(names, ['held'], 'the limited request stored nothing');
      const after = await fetch(`${url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body('later'),
      });
      assert.equal(after.status, 201, 'the slot is released after the request ends');
    } finally {
      await api.close();
      await backend.close();
    }
  });
});

// On the sqlite store concurrent writers really interleave: each write is checked against the writes of
// its group commit, so a patch read before another's write lands gets a CAS conflict from the store.
describe('apiserver patches on the sqlite store', () => {
  let t: TestApi;
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-crud-sqlite-'));
  before(async () => {
    t = await startTestApi({ backend: await openSqliteBackend({ dataDir: dir, compactWindowMs: 0 }) });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies concurrent patches without a resourceVersion one after another, never 409', async () => {
    await t.req('POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'racy' },
    });
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        t.req(
          'PATCH',
          '/api/v1/namespaces/default/configmaps/racy',
          { data: { [`k${i}`]: String(i) } },
          {
            'content-type': 'application/merge-patch+json',
          },
        ),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      results.map(() => 200),
    );
    const g = await t.req('GET', '/api/v1/namespaces/default/configmaps/racy');
    for (let i = 0; i < 24; i++) assert.equal(g.body.data[`k${i}`], String(i));
    // A patch that names an old resourceVersion is still refused.
    const stale = await t.req(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/racy',
      { metadata: { resourceVersion: results[0].body.metadata.resourceVersion }, data: { z: '1' } },
      { 'content-type': 'application/merge-patch+json' },
    );
    assert.equal(stale.status, 409);
  });
});
