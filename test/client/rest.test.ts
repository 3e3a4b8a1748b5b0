import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ApiError,
  isAlreadyExists,
  isConflict,
  isExpired,
  isInvalid,
  isNotFound,
} from '../../src/client/apierror.js';
import { FakeClock, settle } from '../../src/client/clock.js';
import { restListerWatcher } from '../../src/client/informer.js';
import { RestClient } from '../../src/client/rest.js';
import type { WatchEvent } from '../../src/client/watch.js';
import { K8tsError } from '../../src/errors.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { cm, configMaps, namespaces, recordingServer } from './fixtures.js';

describe('RestClient against the API server', () => {
  let t: TestApi;
  let client: RestClient;
  before(async () => {
    t = await startTestApi();
    client = new RestClient({ baseUrl: t.url });
    await client.resource(namespaces).create({ metadata: { name: 'rc' } });
  });
  after(async () => {
    client.close();
    await t.close();
  });

  it('creates, gets, updates, patches and deletes', async () => {
    const cms = client.resource(configMaps).in('rc');
    const created = await cms.create(cm('one'));
    assert.equal(created.metadata.namespace, 'rc');
    assert.ok(created.metadata.uid);
    const got = await cms.get('one');
    assert.deepEqual(got, created);
    const updated = await cms.update({ ...got, data: { a: '2' } });
    assert.equal(updated.data.a, '2');
    assert.notEqual(updated.metadata.resourceVersion, got.metadata.resourceVersion);
    const patched = await cms.patch('one', { data: { b: '3' } });
    assert.deepEqual(patched.data, { a: '2', b: '3' });
    const status = await cms.delete('one');
    assert.equal(status.kind, 'Status');
    assert.equal(status.status, 'Success');
    await assert.rejects(cms.get('one'), isNotFound);
  });

  it('takes the namespace from the object when the client is not scoped', async () => {
    const cms = client.resource(configMaps);
    const created = await cms.create({ ...cm('from-obj'), metadata: { name: 'from-obj', namespace: 'rc' } });
    assert.equal(created.metadata.namespace, 'rc');
    await assert.rejects(
      cms.get('from-obj'),
      (e: unknown) => e instanceof K8tsError && e.code === 'BadRequest',
    );
  });

  it('turns Status answers into ApiErrors that keep reason, code, message and details', async () => {
    const cms = client.resource(configMaps).in('rc');
    const err = await cms.get('missing').catch((e) => e);
    assert.ok(err instanceof ApiError);
    assert.ok(err instanceof K8tsError);
    assert.equal(err.httpStatus, 404);
    assert.equal(err.reason, 'NotFound');
    assert.equal(err.code, 'NotFound');
    assert.equal(err.message, 'configmaps "missing" not found');
    assert.equal(err.details?.name, 'missing');
    assert.equal(err.status?.kind, 'Status');

    const c = await cms.create(cm('dup'));
    await assert.rejects(cms.create(cm('dup')), isAlreadyExists);
    await cms.update({ ...c, data: { x: '1' } });
    const stale = await cms.update({ ...c, data: { x: '2' } }).catch((e) => e);
    assert.ok(isConflict(stale));
    assert.equal(stale.reason, 'Conflict');
    const bad = await cms.create({ ...cm('Not_Valid') }).catch((e) => e);
    assert.ok(isInvalid(bad));
    assert.equal(bad.reason, 'Invalid');
    assert.ok(bad.details.causes.length > 0);
    assert.equal(bad.details.causes[0].field, 'metadata.name');
  });

  it('sends DeleteOptions: preconditions and propagation policy are enforced by the server', async () => {
    const cms = client.resource(configMaps).in('rc');
    await cms.create(cm('pre'));
    const wrong = await cms.delete('pre', { preconditions: { uid: 'not-the-uid' } }).catch((e) => e);
    assert.ok(isConflict(wrong));
    assert.match(wrong.message, /Precondition failed: UID in precondition: not-the-uid/);
    const invalid = await cms.delete('pre', { propagationPolicy: 'Sideways' as never }).catch((e) => e);
    assert.ok(isInvalid(invalid));
    const foreground = await cms.delete('pre', { propagationPolicy: 'Foreground' });
    assert.ok(foreground.metadata.deletionTimestamp, 'foreground deletion leaves the object pending');
    assert.deepEqual(foreground.metadata.finalizers, ['foregroundDeletion']);
  });

  it('lists with selectors, pages with limit/continue, and listAll follows every page', async () => {
    const cms = client.resource(configMaps).in('rc');
    for (let i = 0; i < 7; i++)
      await cms.create(cm(`page-${i}`, { i: String(i) }, { set: 'paging', odd: String(i % 2) }));
    const odd = await cms.list({ labelSelector: 'set=paging,odd=1' });
    assert.deepEqual(
      odd.items.map((o) => o.metadata.name),
      ['page-1', 'page-3', 'page-5'],
    );
    const first = await cms.list({ labelSelector: 'set=paging', limit: 3 });
    assert.equal(first.items.length, 3);
    assert.ok(first.metadata.continue);
    const second = await cms.list({
      labelSelector: 'set=paging',
      limit: 3,
      continue: first.metadata.continue,
    });
    assert.deepEqual(
      second.items.map((o) => o.metadata.name),
      ['page-3', 'page-4', 'page-5'],
    );
    const all = await cms.listAll({ labelSelector: 'set=paging', pageSize: 2 });
    assert.equal(all.items.length, 7);
    assert.equal(all.kind, 'ConfigMapList');
    const byField = await cms.list({ fieldSelector: 'metadata.name=page-2' });
    assert.deepEqual(
      byField.items.map((o) => o.metadata.name),
      ['page-2'],
    );
  });

  it('updates status through the status subresource and reads subresources', async () => {
    const ns = client.resource(namespaces);
    const n = await ns.create({ metadata: { name: 'status-ns' } });
    const s = await ns.updateStatus({
      ...n,
      status: { phase: 'Active', conditions: [{ type: 'X', status: 'True' }] },
    });
    assert.equal(s.status.conditions[0].type, 'X');
    const viaGet = await ns.getSubresource('status-ns', 'status');
    assert.equal(viaGet.status.conditions[0].type, 'X');
  });

  it('watches: parsed events in order, stop() ends the iteration', async () => {
    const cms = client.resource(configMaps).in('rc');
    const rv = (await cms.list()).metadata.resourceVersion;
    const w = await cms.watch({ resourceVersion: rv, allowWatchBookmarks: true });
    const seen: WatchEvent<any>[] = [];
    const consumed = (async () => {
      for await (const ev of w) {
        seen.push(ev);
        if (seen.length === 3) w.stop();
      }
    })();
    const c = await cms.create(cm('w1'));
    await cms.update({ ...c, data: { a: 'changed' } });
    await cms.delete('w1');
    await consumed;
    assert.deepEqual(
      seen.map((e) => [e.type, e.object.metadata.name]),
      [
        ['ADDED', 'w1'],
        ['MODIFIED', 'w1'],
        ['DELETED', 'w1'],
      ],
    );
    assert.equal(seen[1].object.data.a, 'changed');
  });

  it('watch of a compacted resourceVersion fails with 410 Expired', async () => {
    // A second server on the same store has a fresh watch cache, so old versions go to the compacted store.
    const cms = client.resource(configMaps).in('rc');
    await cms.create(cm('compact-1'));
    const rev = await t.backend.currentRevision();
    await t.backend.compact(rev);
    const t2 = await startTestApi({ backend: t.backend });
    const c2 = new RestClient({ baseUrl: t2.url });
    try {
      const err = await (async () => {
        const w = await c2.resource(configMaps).in('rc').watch({ resourceVersion: '2' });
        for await (const _ of w) {
          // no events expected
        }
      })().catch((e) => e);
      assert.ok(isExpired(err), `expected 410, got ${err}`);
      assert.equal(err.httpStatus, 410);
      assert.equal(err.reason, 'Expired');
    } finally {
      c2.close();
      await t2.api.close();
    }
  });
});

describe('RestClient on the wire', () => {
  it('sends the right paths, content types and bodies', async () => {
    const srv = await recordingServer();
    const client = new RestClient({
      baseUrl: `${srv.url}/prefix/`,
      bearerToken: 'tok',
      headers: { 'X-Extra': '1' },
    });
    try {
      const pods = client.resource({ group: '', version: 'v1', plural: 'pods', namespaced: true }).in('ns 1');
      const deps = client
        .resource({ group: 'apps', version: 'v1', plural: 'deployments', namespaced: true })
        .in('d');
      await pods.patch('p', [{ op: 'add', path: '/x', value: 1 }], { type: 'json' });
      await pods.patch('p', { a: 1 }, { type: 'strategic', subresource: 'status' });
      await deps.patch('d1', { spec: {} }, { type: 'apply', fieldManager: 'me', force: true });
      await deps.patch('d1', { spec: {} }, { dryRun: true });
      await pods.createSubresource('p', 'binding', { target: { kind: 'Node', name: 'n1' } });
      await deps.updateSubresource('d1', 'scale', { spec: { replicas: 3 } });
      await deps.getSubresource('d1', 'scale');
      await pods.delete('p', {
        gracePeriodSeconds: 0,
        propagationPolicy: 'Background',
        preconditions: { uid: 'u' },
      });
      await deps.list({ labelSelector: 'a in (x,y)', limit: 5, resourceVersion: '0' });
      const r = srv.requests;
      assert.equal(r[0].url, '/prefix/api/v1/namespaces/ns%201/pods/p');
      assert.equal(r[0].method, 'PATCH');
      assert.equal(r[0].headers['content-type'], 'application/json-patch+json');
      assert.equal(r[0].headers.authorization, 'Bearer tok');
      assert.equal(r[0].headers['x-extra'], '1');
      assert.equal(r[0].headers.accept, 'application/json');
      assert.deepEqual(JSON.parse(r[0].body), [{ op: 'add', path: '/x', value: 1 }]);
      assert.equal(r[1].url, '/prefix/api/v1/namespaces/ns%201/pods/p/status');
      assert.equal(r[1].headers['content-type'], 'application/strategic-merge-patch+json');
      assert.equal(r[2].url, '/prefix/apis/apps/v1/namespaces/d/deployments/d1?fieldManager=me&force=true');
      assert.equal(r[2].headers['content-type'], 'application/apply-patch+yaml');
      assert.equal(r[3].url, '/prefix/apis/apps/v1/namespaces/d/deployments/d1?dryRun=All');
      assert.equal(r[3].headers['content-type'], 'application/merge-patch+json');
      assert.equal(r[4].method, 'POST');
      assert.equal(r[4].url, '/prefix/api/v1/namespaces/ns%201/pods/p/binding');
      assert.equal(r[5].method, 'PUT');
      assert.equal(r[5].url, '/prefix/apis/apps/v1/namespaces/d/deployments/d1/scale');
      assert.equal(r[6].method, 'GET');
      assert.equal(r[7].method, 'DELETE');
      assert.deepEqual(JSON.parse(r[7].body), {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        gracePeriodSeconds: 0,
        propagationPolicy: 'Background',
        preconditions: { uid: 'u' },
      });
      assert.equal(
        r[8].url,
        '/prefix/apis/apps/v1/namespaces/d/deployments?labelSelector=a%20in%20(x%2Cy)&limit=5&resourceVersion=0',
      );
      assert.equal(srv.connections, 1, 'one keep-alive connection for sequential requests');
      await assert.rejects(deps.patch('d1', {}, { type: 'apply' }), /fieldManager/);
    } finally {
      client.close();
      await srv.close();
    }
  });

  it('restListerWatcher gives list items the kind and apiVersion upstream leaves out of lists', async () => {
    const srv = await recordingServer((_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'DeploymentList',
          metadata: { resourceVersion: '5' },
          items: [{ metadata: { name: 'd', namespace: 'n' } }],
        }),
      );
    });
    const client = new RestClient({ baseUrl: srv.url });
    try {
      const lw = restListerWatcher(
        client.resource({ group: 'apps', version: 'v1', plural: 'deployments', namespaced: true }),
      );
      const list = await lw.list({ limit: 10 });
      assert.equal(list.items[0].kind, 'Deployment');
      assert.equal(list.items[0].apiVersion, 'apps/v1');
      assert.equal(srv.requests[0].url, '/apis/apps/v1/deployments?limit=10');
    } finally {
      client.close();
      await srv.close();
    }
  });

  it('parses watch events split anywhere, including inside multi-byte characters', async () => {
    const events = [
      { type: 'ADDED', object: { metadata: { name: 'a' }, data: { x: 'héllo wörld ☃' } } },
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } },
      { type: 'DELETED', object: { metadata: { name: 'a' } } },
    ];
    const bytes = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const srv = await recordingServer((_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let i = 0;
      const step = () => {
        if (i >= bytes.length) {
          res.end();
          return;
        }
        res.write(bytes.subarray(i, i + 3));
        i += 3;
        setImmediate(step);
      };
      step();
    });
    const client = new RestClient({ baseUrl: srv.url });
    try {
      const w = await client.resource(configMaps).watch({ resourceVersion: '1' });
      const got: unknown[] = [];
      for await (const ev of w) got.push(ev);
      assert.deepEqual(got, events);
      assert.match(srv.requests[0].url, /^\/api\/v1\/configmaps\?watch=true&resourceVersion=1$/);
    } finally {
      client.close();
      await srv.close();
    }
  });

  it('a broken watch connection is an error, an ERROR event is an ApiError', async () => {
    let mode = 'cut';
    const srv = await recordingServer((_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`);
      if (mode === 'cut') setImmediate(() => res.socket?.destroy());
      else
        res.end(
          `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' } })}\n`,
        );
    });
    const client = new RestClient({ baseUrl: srv.url });
    try {
      const drain = async () => {
        const w = await client.resource(configMaps).watch();
        const seen: string[] = [];
        try {
          for await (const ev of w) seen.push(ev.type);
        } catch (err) {
          return { seen, err };
        }
        return { seen, err: undefined };
      };
      const cut = await drain();
      assert.deepEqual(cut.seen, ['ADDED']);
      assert.ok(cut.err instanceof Error);
      mode = 'error';
      const expired = await drain();
      assert.deepEqual(expired.seen, ['ADDED']);
      assert.ok(isExpired(expired.err));
      assert.equal((expired.err as ApiError).message, 'too old');
    } finally {
      client.close();
      await srv.close();
    }
  });

  it('times out a request that gets no answer, and aborts on a signal', async () => {
    const srv = await recordingServer(() => {
      // never answer
    });
    const client = new RestClient({ baseUrl: srv.url, timeoutMs: 50 });
    try {
      const err = await client.request({ path: '/api/v1/configmaps' }).catch((e) => e);
      assert.ok(err instanceof K8tsError && err.code === 'Timeout', String(err));
      const ac = new AbortController();
      const p = client.request({ path: '/api/v1/configmaps', timeoutMs: 0, signal: ac.signal });
      ac.abort(new Error('stop now'));
      await assert.rejects(p, /stop now/);
      assert.equal(client.stats.inFlight, 0);
    } finally {
      client.close();
      await srv.close();
    }
  });

  it('client-side qps limit waits on the clock', async () => {
    const srv = await recordingServer();
    const clock = new FakeClock();
    const client = new RestClient({ baseUrl: srv.url, qps: 2, burst: 1, clock });
    try {
      await client.request({ path: '/a' });
      let second = false;
      const p = client.request({ path: '/b' }).then(() => {
        second = true;
      });
      await settle();
      assert.equal(srv.requests.length, 1, 'the second request waits for a token');
      await clock.tick(500);
      await p;
      assert.equal(second, true);
      assert.equal(client.stats.throttledMs, 500);
    } finally {
      client.close();
      await srv.close();
    }
  });
});
