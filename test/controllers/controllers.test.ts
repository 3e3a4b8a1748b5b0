// The controller manager against an in-process API server (memory store): ReplicaSet, garbage collector
// and namespace controllers, observed only through the API as kubectl would.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/client/index.js';
import { type ControllerManager, startControllerManager } from '../../src/controllers/manager.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { eventually } from '../helpers/eventually.js';

type Obj = Record<string, any>;

let api: TestApi;
let cm: ControllerManager;

before(async () => {
  api = await startTestApi();
  cm = startControllerManager({ baseUrl: api.url, log: silentLogger });
});

after(async () => {
  await cm.stop();
  await api.close();
});

async function createNamespace(name: string): Promise<void> {
  const r = await api.req('POST', '/api/v1/namespaces', { metadata: { name } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

function replicaSet(name: string, replicas: number, app = name): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  };
}

async function createRs(ns: string, rs: Obj): Promise<Obj> {
  const r = await api.req('POST', `/apis/apps/v1/namespaces/${ns}/replicasets`, rs);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function podsOf(ns: string, app: string): Promise<Obj[]> {
  const r = await api.req('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`);
  assert.equal(r.status, 200);
  return r.body.items;
}

async function podCount(ns: string, app: string, n: number): Promise<Obj[]> {
  return eventually(`${n} pods of ${app}`, async () => {
    const pods = (await podsOf(ns, app)).filter((p) => !p.metadata.deletionTimestamp);
    return pods.length === n ? pods : undefined;
  });
}

async function gone(path: string): Promise<void> {
  await eventually(`${path} gone`, async () =>
    (await api.req('GET', path)).status === 404 ? true : undefined,
  );
}

async function markReady(ns: string, pod: Obj): Promise<void> {
  const p = structuredClone(pod);
  p.status = {
    ...p.status,
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
  };
  const r = await api.req('PUT', `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/status`, p);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

describe('replicaset controller', () => {
  test('creates replicas with controller references and reports status', async () => {
    await createNamespace('rs1');
    const rs = await createRs('rs1', replicaSet('web', 3));
    const pods = await podCount('rs1', 'web', 3);
    for (const p of pods) {
      assert.match(p.metadata.name, /^web-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata.ownerReferences, [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    await markReady('rs1', pods[0]);
    const status = await eventually('status', async () => {
      const s = (await api.req('GET', '/apis/apps/v1/namespaces/rs1/replicasets/web')).body.status;
      return s?.readyReplicas === 1 ? s : undefined;
    });
    assert.equal(status.replicas, 3);
    assert.equal(status.fullyLabeledReplicas, 3);
    assert.equal(status.availableReplicas, 1);
    assert.equal(status.observedGeneration, 1);
    // No double creation once the cache has caught up.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await podsOf('rs1', 'web')).length, 3);
  });

  test('scaling down deletes the least valuable pods (not ready before ready)', async () => {
    await createNamespace('rs2');
    await createRs('rs2', replicaSet('api', 3));
    const pods = await podCount('rs2', 'api', 3);
    await markReady('rs2', pods[1]);
    await eventually('ready observed', async () => {
      const s = (await api.req('GET', '/apis/apps/v1/namespaces/rs2/replicasets/api')).body.status;
      return s?.readyReplicas === 1 ? true : undefined;
    });
    const r = await api.req(
      'PATCH',
      '/apis/apps/v1/namespaces/rs2/replicasets/api',
      { spec: { replicas: 1 } },
      { 'content-type': 'application/merge-patch+json' },
    );
    assert.equal(r.status, 200);
    const left = await podCount('rs2', 'api', 1);
    assert.equal(left[0].metadata.name, pods[1].metadata.name);
  });

  test('adopts a matching orphan instead of creating one more', async () => {
    await createNamespace('rs3');
    const orphan = await api.req('POST', '/api/v1/namespaces/rs3/pods', {
      metadata: { name: 'stray', labels: { app: 'db' } },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
    assert.equal(orphan.status, 201);
    const rs = await createRs('rs3', replicaSet('db', 2));
    const pods = await podCount('rs3', 'db', 2);
    assert.ok(pods.some((p) => p.metadata.name === 'stray'));
    const stray = pods.find((p) => p.metadata.name === 'stray')!;
    await eventually('adoption', async () => {
      const p = (await api.req('GET', '/api/v1/namespaces/rs3/pods/stray')).body;
      return p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid ? true : undefined;
    });
    assert.ok(stray);
  });
});

describe('garbage collector', () => {
  test('background deletion of a ReplicaSet removes its pods', async () => {
    await createNamespace('gc1');
    await createRs('gc1', replicaSet('bg', 2));
    await podCount('gc1', 'bg', 2);
    const r = await api.req('DELETE', '/apis/apps/v1/namespaces/gc1/replicasets/bg', {
      propagationPolicy: 'Background',
    });
    assert.equal(r.status, 200);
    await gone('/apis/apps/v1/namespaces/gc1/replicasets/bg');
    await podCount('gc1', 'bg', 0);
  });

  test('foreground deletion removes the pods first, then the ReplicaSet', async () => {
    await createNamespace('gc2');
    await createRs('gc2', replicaSet('fg', 2));
    await podCount('gc2', 'fg', 2);
    const r = await api.req('DELETE', '/apis/apps/v1/namespaces/gc2/replicasets/fg', {
      propagationPolicy: 'Foreground',
    });
    assert.equal(r.status, 202); // pending: the garbage collector finishes it
    assert.ok(r.body.metadata.finalizers.includes('foregroundDeletion'));
    await gone('/apis/apps/v1/namespaces/gc2/replicasets/fg');
    assert.equal((await podsOf('gc2', 'fg')).length, 0);
  });

  test('orphan deletion keeps the pods and drops their owner references', async () => {
    await createNamespace('gc3');
    await createRs('gc3', replicaSet('or', 2));
    await podCount('gc3', 'or', 2);
    const r = await api.req('DELETE', '/apis/apps/v1/namespaces/gc3/replicasets/or', {
      propagationPolicy: 'Orphan',
    });
    assert.equal(r.status, 202); // pending: the garbage collector finishes it
    await gone('/apis/apps/v1/namespaces/gc3/replicasets/or');
    const pods = await podCount('gc3', 'or', 2);
    for (const p of pods) assert.equal(p.metadata.ownerReferences, undefined);
  });

  test('an object whose owner does not exist is collected', async () => {
    await createNamespace('gc4');
    const r = await api.req('POST', '/api/v1/namespaces/gc4/configmaps', {
      metadata: {
        name: 'dangling',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nope', uid: 'no-such-uid' }],
      },
    });
    assert.equal(r.status, 201);
    await gone('/api/v1/namespaces/gc4/configmaps/dangling');
    // An owner of a kind the server cannot resolve is never taken for gone.
    const unknown = await api.req('POST', '/api/v1/namespaces/gc4/configmaps', {
      metadata: {
        name: 'kept',
        ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'widget-uid' }],
      },
    });
    assert.equal(unknown.status, 201);
    const probe = await api.req('POST', '/api/v1/namespaces/gc4/configmaps', {
      metadata: {
        name: 'probe',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'none', uid: 'none-uid' }],
      },
    });
    assert.equal(probe.status, 201);
    await gone('/api/v1/namespaces/gc4/configmaps/probe');
    assert.equal((await api.req('GET', '/api/v1/namespaces/gc4/configmaps/kept')).status, 200);
  });
});

describe('garbage collector with custom resources', () => {
  test('collects the dependents of a deleted custom resource, and custom resources whose owner is gone', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'owners.gc.k8ts.io' },
      spec: {
        group: 'gc.k8ts.io',
        scope: 'Namespaced',
        names: { plural: 'owners', kind: 'Owner' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    assert.equal(
      (await api.req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status,
      201,
    );
    await createNamespace('gc-cr');
    const owners = '/apis/gc.k8ts.io/v1/namespaces/gc-cr/owners';
    const owner = await eventually('owners served', async () => {
      const r = await api.req('POST', owners, {
        apiVersion: 'gc.k8ts.io/v1',
        kind: 'Owner',
        metadata: { name: 'o' },
      });
      return r.status === 201 ? r.body : undefined;
    });
    const ref = (o: Obj) => [
      { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid },
    ];
    const cm = await api.req('POST', '/api/v1/namespaces/gc-cr/configmaps', {
      metadata: { name: 'dep', ownerReferences: ref(owner) },
    });
    assert.equal(cm.status, 201);
    const other = await api.req('POST', owners, {
      apiVersion: 'gc.k8ts.io/v1',
      kind: 'Owner',
      metadata: { name: 'owned', ownerReferences: ref(cm.body) },
    });
    assert.equal(other.status, 201);
    assert.equal((await api.req('DELETE', `${owners}/o`)).status, 200);
    await gone('/api/v1/namespaces/gc-cr/configmaps/dep');
    await gone(`${owners}/owned`);
  });
});

describe('namespace controller', () => {
  test('deleting a namespace deletes its objects, then the namespace', async () => {
    await createNamespace('doomed');
    await createRs('doomed', replicaSet('w', 2));
    await podCount('doomed', 'w', 2);
    const cm = await api.req('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'cfg' } });
    assert.equal(cm.status, 201);
    const r = await api.req('DELETE', '/api/v1/namespaces/doomed');
    assert.equal(r.status, 202);
    assert.equal(r.body.status.phase, 'Terminating');
    await gone('/api/v1/namespaces/doomed');
    assert.equal((await api.req('GET', '/api/v1/namespaces/doomed/configmaps')).body.items.length, 0);
    assert.equal((await podsOf('doomed', 'w')).length, 0);
    const sas = await api.req('GET', '/api/v1/namespaces/doomed/serviceaccounts');
    assert.equal(sas.body.items.length, 0, 'the default ServiceAccount is not recreated while terminating');
  });

  test('deleting a namespace deletes its custom resources too', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gizmos.ns.k8ts.io' },
      spec: {
        group: 'ns.k8ts.io',
        scope: 'Namespaced',
        names: { plural: 'gizmos', kind: 'Gizmo' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    assert.equal(
      (await api.req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status,
      201,
    );
    await createNamespace('doomed-cr');
    const path = '/apis/ns.k8ts.io/v1/namespaces/doomed-cr/gizmos';
    await eventually('gizmos served', async () => {
      const r = await api.req('POST', path, {
        apiVersion: 'ns.k8ts.io/v1',
        kind: 'Gizmo',
        metadata: { name: 'g' },
      });
      return r.status === 201 ? true : undefined;
    });
    assert.equal((await api.req('DELETE', '/api/v1/namespaces/doomed-cr')).status, 202);
    await gone('/api/v1/namespaces/doomed-cr');
    assert.equal((await api.req('GET', '/apis/ns.k8ts.io/v1/gizmos')).body.items.length, 0);
  });
});

describe('service account controller', () => {
  const defaultSa = (ns: string) => `/api/v1/namespaces/${ns}/serviceaccounts/default`;

  async function liveDefault(ns: string, notUid?: string): Promise<Obj> {
    return eventually(`default ServiceAccount in ${ns}`, async () => {
      const r = await api.req('GET', defaultSa(ns));
      return r.status === 200 && r.body.metadata.uid !== notUid ? r.body : undefined;
    });
  }

  test('the four system namespaces have a default ServiceAccount', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const sa = await liveDefault(ns);
      assert.equal(sa.kind, 'ServiceAccount');
      assert.equal(sa.metadata.namespace, ns);
    }
  });

  test('a new namespace gets one, and deleting it brings it back', async () => {
    await createNamespace('sa1');
    const first = await liveDefault('sa1');
    const r = await api.req('DELETE', defaultSa('sa1'));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const second = await liveDefault('sa1', first.metadata.uid);
    assert.notEqual(second.metadata.uid, first.metadata.uid);
    const all = await api.req('GET', '/api/v1/namespaces/sa1/serviceaccounts');
    assert.deepEqual(
      all.body.items.map((s: Obj) => s.metadata.name),
      ['default'],
    );
  });
});

describe('root CA publisher and ServiceAccount admission', () => {
  const rootCa = (ns: string) => `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`;
  async function liveRootCa(ns: string, notUid?: string): Promise<Obj> {
    return eventually(`kube-root-ca.crt in ${ns}`, async () => {
      const r = await api.req('GET', rootCa(ns));
      return r.status === 200 && r.body.metadata.uid !== notUid && r.body.data?.['ca.crt'] === ''
        ? r.body
        : undefined;
    });
  }

  test('every namespace has kube-root-ca.crt, recreated when deleted and put back when edited', async () => {
    for (const ns of ['default', 'kube-system']) await liveRootCa(ns);
    await createNamespace('ca1');
    const first = await liveRootCa('ca1');
    assert.deepEqual(first.data, { 'ca.crt': '' });
    assert.equal((await api.req('DELETE', rootCa('ca1'))).status, 200);
    const second = await liveRootCa('ca1', first.metadata.uid);
    const edited = await api.req('PUT', rootCa('ca1'), { ...second, data: { 'ca.crt': 'tampered', x: 'y' } });
    assert.equal(edited.status, 200);
    const restored = await liveRootCa('ca1');
    assert.deepEqual(restored.data, { 'ca.crt': '' });
  });

  test('pods get the kube-api-access volume in every container unless they or their account opt out', async () => {
    await createNamespace('adm1');
    const pod = (name: string, spec: Obj = {}) =>
      api.req('POST', '/api/v1/namespaces/adm1/pods', {
        metadata: { name },
        spec: {
          initContainers: [{ name: 'init', image: 'busybox' }],
          containers: [
            { name: 'a', image: 'busybox' },
            {
              name: 'b',
              image: 'busybox',
              volumeMounts: [{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
            },
          ],
          volumes: [{ name: 'own', emptyDir: {} }],
          ...spec,
        },
      });
    const r = await pod('mounted');
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const spec = r.body.spec;
    assert.equal(spec.serviceAccountName, 'default');
    const vol = spec.volumes[1];
    assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(vol.projected, {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    });
    const mount = {
      name: vol.name,
      readOnly: true,
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
    };
    assert.deepEqual(spec.initContainers[0].volumeMounts, [mount]);
    assert.deepEqual(spec.containers[0].volumeMounts, [mount]);
    assert.equal(
      spec.containers[1].volumeMounts.length,
      1,
      'a container mounting the path itself is left alone',
    );

    const optOut = await pod('pod-opt-out', { automountServiceAccountToken: false });
    assert.equal(optOut.status, 201);
    assert.deepEqual(
      optOut.body.spec.volumes.map((v: Obj) => v.name),
      ['own'],
    );

    const sa = await api.req('POST', '/api/v1/namespaces/adm1/serviceaccounts', {
      metadata: { name: 'quiet' },
      automountServiceAccountToken: false,
    });
    assert.equal(sa.status, 201);
    const quiet = await pod('sa-opt-out', { serviceAccountName: 'quiet' });
    assert.deepEqual(
      quiet.body.spec.volumes.map((v: Obj) => v.name),
      ['own'],
    );
    // the pod's own setting wins over its account's
    const loud = await pod('pod-opt-in', { serviceAccountName: 'quiet', automountServiceAccountToken: true });
    assert.equal(loud.body.spec.volumes.length, 2);
  });
});
