// Pod-specific API behaviour: binding, graceful deletion, eviction with disruption budgets, and
// watches that resume across an API server restart over the same store.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteBackend } from '../../src/storage/sqlite/index.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';

const pod = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

describe('pods', () => {
  let t: TestApi;
  before(async () => {
    t = await startTestApi();
  });
  after(() => t.close());

  it('defaults a new pod and starts it Pending with a QoS class', async () => {
    const r = await t.req('POST', '/api/v1/namespaces/default/pods', pod('p0'));
    assert.equal(r.status, 201);
    assert.equal(r.body.status.phase, 'Pending');
    assert.equal(r.body.status.qosClass, 'BestEffort');
    assert.equal(r.body.spec.restartPolicy, 'Always');
    assert.equal(r.body.spec.containers[0].imagePullPolicy, 'Always');
    assert.equal(r.body.metadata.generation, undefined);
  });

  it('binds a pod to a node once', async () => {
    await t.req('POST', '/api/v1/namespaces/default/pods', pod('b1'));
    const bind = (node: string) =>
      t.req('POST', '/api/v1/namespaces/default/pods/b1/binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'b1' },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
    assert.equal((await bind('n1')).status, 201);
    const g = await t.req('GET', '/api/v1/namespaces/default/pods/b1');
    assert.equal(g.body.spec.nodeName, 'n1');
    assert.equal(g.body.status.conditions.find((c: any) => c.type === 'PodScheduled').status, 'True');
    const again = await bind('n2');
    assert.equal(again.status, 409);
    assert.match(again.body.message, /already assigned to node "n1"/);
    // An ordinary update cannot move the pod.
    const moved = await t.req('PUT', '/api/v1/namespaces/default/pods/b1', {
      ...g.body,
      spec: { ...g.body.spec, nodeName: 'n2' },
    });
    assert.equal(moved.status, 422);
  });

  it('deletes an unscheduled pod at once and a scheduled one gracefully', async () => {
    await t.req('POST', '/api/v1/namespaces/default/pods', pod('g0'));
    const now = await t.req('DELETE', '/api/v1/namespaces/default/pods/g0');
    assert.equal(now.status, 200);
    assert.equal((await t.req('GET', '/api/v1/namespaces/default/pods/g0')).status, 404);

    await t.req('POST', '/api/v1/namespaces/default/pods', pod('g1'));
    await t.req('POST', '/api/v1/namespaces/default/pods/g1/binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'g1' },
      target: { kind: 'Node', name: 'n1' },
    });
    const soft = await t.req('DELETE', '/api/v1/namespaces/default/pods/g1');
    assert.equal(soft.status, 202);
    assert.equal(soft.body.metadata.deletionGracePeriodSeconds, 30);
    assert.ok(soft.body.metadata.deletionTimestamp);
    assert.equal((await t.req('GET', '/api/v1/namespaces/default/pods/g1')).status, 200);
    // The kubelet confirms with grace 0.
    const hard = await t.req('DELETE', '/api/v1/namespaces/default/pods/g1', {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
    });
    assert.equal(hard.status, 200);
    assert.equal((await t.req('GET', '/api/v1/namespaces/default/pods/g1')).status, 404);
  });

  it('checks the pod, its node and the upgrade before proxying exec to the node agent', async () => {
    await t.req('POST', '/api/v1/namespaces/default/pods', pod('logs'));
    const unscheduled = await t.req('GET', '/api/v1/namespaces/default/pods/logs/exec');
    assert.equal(unscheduled.status, 400);
    assert.equal(unscheduled.body.message, 'pod logs does not have a host assigned');
    await t.req('POST', '/api/v1/namespaces/default/pods/logs/binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'logs' },
      target: { kind: 'Node', name: 'n1' },
    });
    const noCommand = await t.req('GET', '/api/v1/namespaces/default/pods/logs/exec?stdout=true');
    assert.equal(noCommand.status, 400);
    assert.equal(noCommand.body.message, 'you must specify at least one command for the container');
    // Streams need an upgraded connection (test/apiserver/podstreams.test.ts covers those).
    const bound = await t.req('GET', '/api/v1/namespaces/default/pods/logs/exec?command=ls&stdout=true');
    assert.equal(bound.status, 400);
    assert.equal(bound.body.message, 'Upgrade request required');
    assert.equal((await t.req('GET', '/api/v1/namespaces/default/pods/missing/exec')).status, 404);
  });

  it('evicts unless a disruption budget forbids it', async () => {
    await t.req('POST', '/api/v1/namespaces/default/pods', pod('e1', { app: 'guarded' }));
    await t.req('POST', '/api/v1/namespaces/default/pods', pod('e2', { app: 'free' }));
    const evict = (name: string) =>
      t.req('POST', `/api/v1/namespaces/default/pods/${name}/eviction`, {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name },
      });
    const pdb = await t.req('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'guard' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } },
    });
    assert.equal(pdb.status, 201);
    // Nothing has computed the budget's status yet, so no disruption is allowed.
    const refused = await evict('e1');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.reason, 'TooManyRequests');
    assert.equal((await t.req('GET', '/api/v1/namespaces/default/pods/e1')).status, 200);
    const ok = await evict('e2');
    assert.equal(ok.status, 201);
    assert.equal((await t.req('GET', '/api/v1/namespaces/default/pods/e2')).status, 404);
    // With one disruption allowed, the eviction goes through and uses it up.
    const g = await t.req('GET', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/guard');
    const st = await t.req('PUT', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/guard/status', {
      ...g.body,
      status: {
        observedGeneration: g.body.metadata.generation,
        disruptionsAllowed: 1,
        currentHealthy: 1,
        desiredHealthy: 1,
        expectedPods: 1,
      },
    });
    assert.equal(st.status, 200);
    assert.equal((await evict('e1')).status, 201);
    const used = await t.req('GET', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/guard');
    assert.equal(used.body.status.disruptionsAllowed, 0);
    assert.ok(used.body.status.disruptedPods.e1);
  });
});

describe('watch across an API server restart', () => {
  it('resumes from a resourceVersion older than the new server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-restart-'));
    const backend = await openSqliteBackend({ dataDir: dir });
    try {
      const first = await startTestApi({ backend });
      const c1 = await first.req('POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'before' },
      });
      const rv = c1.body.metadata.resourceVersion;
      await first.req('POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'during' },
      });
      await first.api.close();
      // A new server over the same store: its cache starts after `rv`.
      const second = await startTestApi({ backend });
      await second.req('POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'after' },
      });
      const ac = new AbortController();
      const res = await fetch(
        `${second.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`,
        {
          signal: ac.signal,
        },
      );
      const reader = res.body!.getReader();
      let text = '';
      while (text.split('\n').length < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      ac.abort();
      const events = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        events.map((e) => `${e.type} ${e.object.metadata.name}`),
        ['ADDED during', 'ADDED after'],
      );
      await second.api.close();
    } finally {
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
