// The official @kubernetes/client-node against a real `k8ts server`: list, watch, informer with
// reconnect, and patch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type Cluster, startCluster } from '../helpers/cluster.js';

describe('@kubernetes/client-node', () => {
  let cluster: Cluster;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  const ns = 'client-node';

  before(async () => {
    // Watches end after 1-2 s here, so the informer test sees the server close its watch.
    cluster = await startCluster({ args: ['--min-request-timeout', '1'] });
    kc = new k8s.KubeConfig();
    // client-node refuses plain http unless skipTLSVerify is set; the server speaks TLS once the
    // authentication issue lands, and then this test loads cluster.kubeconfig as it is.
    kc.loadFromOptions({
      clusters: [{ name: 'k8ts', server: cluster.url, skipTLSVerify: true }],
      users: [{ name: 'admin' }],
      contexts: [{ name: 'k8ts', cluster: 'k8ts', user: 'admin' }],
      currentContext: 'k8ts',
    });
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('creates and lists', async () => {
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'a', labels: { app: 'x' } }, data: { k: 'v' } },
    });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'b' }, data: { k: 'w' } },
    });
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    // Every namespace also holds the root CA publisher's kube-root-ca.crt (as upstream), maybe not yet.
    assert.deepEqual(
      list.items.map((i) => i.metadata?.name).filter((n) => n !== 'kube-root-ca.crt'),
      ['a', 'b'],
    );
    const sel = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app=x' });
    assert.deepEqual(
      sel.items.map((i) => i.metadata?.name),
      ['a'],
    );
    const err = await core.readNamespacedConfigMap({ namespace: ns, name: 'nope' }).catch((e) => e);
    assert.equal(err.code, 404);
  });

  it('patches with a merge patch', async () => {
    const patched = await core.patchNamespacedConfigMap(
      { namespace: ns, name: 'a', body: { data: { extra: '1' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(patched.data, { k: 'v', extra: '1' });
  });

  it('watches changes', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const req = await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: list.metadata?.resourceVersion },
      (type, obj: k8s.V1ConfigMap) => {
        seen.push(`${type} ${obj.metadata?.name}`);
        if (seen.length === 2) done();
      },
      () => {},
    );
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'w' } } });
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'w' });
    await finished;
    req.abort();
    assert.deepEqual(seen, ['ADDED w', 'DELETED w']);
  });

  it('keeps an informer in sync across a watch that the server ends', async () => {
    // The server ends each watch after 1-2 s (--min-request-timeout 1), forcing the informer to re-list
    // and re-watch; changes made after that must still arrive.
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/configmaps`, () =>
      core.listNamespacedConfigMap({ namespace: ns, timeoutSeconds: 1 }),
    ) as k8s.Informer<k8s.V1ConfigMap> & k8s.ObjectCache<k8s.V1ConfigMap>;
    const events: string[] = [];
    informer.on('add', (o) => events.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => events.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => events.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      assert.ok(informer.get('a', ns));
      await new Promise((r) => setTimeout(r, 2500));
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'inf' } } });
      const until = async (pred: () => boolean) => {
        for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(pred(), `events so far: ${events.join(', ')}`);
      };
      await until(() => events.includes('add inf'));
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'inf' });
      await until(() => events.includes('delete inf'));
      assert.equal(informer.get('inf', ns), undefined);
    } finally {
      await informer.stop();
    }
  });
});
