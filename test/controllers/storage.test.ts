// Local persistent storage without a node: StorageClass validation, defaults, printing and the
// DefaultStorageClass admission; the PV binder and the local-path provisioner in a controller manager
// against an in-process API server (a claim waits for its first consumer, is provisioned on the selected
// node, bound both ways, and its volume is Released and reclaimed through a helper pod once the claim goes);
// binding a claim to an existing volume; the VolumeBinding scheduler plugin and binder; the kubelet's
// persistentVolumeClaim volume setup.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import { silentLogger } from '../../src/client/index.js';
import { LOCAL_PATH_PROVISIONER } from '../../src/controllers/localpath/index.js';
import { startControllerManager } from '../../src/controllers/manager.js';
import { findMatch } from '../../src/controllers/persistentvolume/index.js';
import { VolumeManager, VolumeSetupFailed } from '../../src/kubelet/volumes/manager.js';
import {
  type VolumeLookup,
  volumeBinder,
  volumeBinding,
} from '../../src/scheduler/plugins/volume-binding.js';
import type { Status } from '../../src/scheduler/types.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { eventually } from '../helpers/eventually.js';

type Obj = Record<string, any>;

const SC = '/apis/storage.k8s.io/v1/storageclasses';

describe('StorageClass and the DefaultStorageClass admission', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => api.close());

  it('defaults, validates, keeps provisioner/parameters/reclaimPolicy and prints the default class', async () => {
    let r = await api.req('POST', SC, {
      metadata: { name: 'fast' },
      provisioner: 'example.com/fast',
      parameters: { a: 'b' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.reclaimPolicy, 'Delete');
    assert.equal(r.body.volumeBindingMode, 'Immediate');
    r = await api.req('POST', SC, {
      metadata: { name: 'bad' },
      reclaimPolicy: 'Recycle',
      volumeBindingMode: 'Later',
    });
    assert.equal(r.status, 422);
    assert.match(r.body.message, /provisioner: Required value/);
    assert.match(r.body.message, /reclaimPolicy: Unsupported value: "Recycle"/);
    assert.match(r.body.message, /volumeBindingMode: Unsupported value: "Later"/);
    const patch = (body: Obj) =>
      api.req('PATCH', `${SC}/fast`, body, { 'content-type': 'application/merge-patch+json' });
    r = await patch({ provisioner: 'example.com/slow', parameters: { a: 'c' }, reclaimPolicy: 'Retain' });
    assert.equal(r.status, 422);
    assert.match(r.body.message, /updates to provisioner are forbidden/);
    assert.match(r.body.message, /updates to parameters are forbidden/);
    assert.match(r.body.message, /updates to reclaimPolicy are forbidden/);
    r = await patch({ metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } });
    assert.equal(r.status, 200);
    r = await api.req('GET', SC, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.deepEqual(r.body.rows[0].cells.slice(0, 5), [
      'fast (default)',
      'example.com/fast',
      'Delete',
      'Immediate',
      false,
    ]);
  });

  it('gives a claim without a class the default one; "" and a named class stay', async () => {
    const claim = (name: string, extra: Obj = {}) => ({
      metadata: { name },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...extra },
    });
    const pvcs = '/api/v1/namespaces/default/persistentvolumeclaims';
    let r = await api.req('POST', pvcs, claim('a'));
    assert.equal(r.body.spec.storageClassName, 'fast');
    r = await api.req('POST', pvcs, claim('b', { storageClassName: '' }));
    assert.equal(r.body.spec.storageClassName, '');
    r = await api.req('POST', pvcs, claim('c', { storageClassName: 'other' }));
    assert.equal(r.body.spec.storageClassName, 'other');
  });
});

describe('PV binder and local-path provisioner', () => {
  let api: TestApi;
  let cm: ReturnType<typeof startControllerManager>;
  before(async () => {
    api = await startTestApi();
    cm = startControllerManager({
      baseUrl: api.url,
      log: silentLogger,
      config: { localPathDir: '/var/k8ts/storage' },
    });
  });
  after(async () => {
    await cm.stop();
    await api.close();
  });

  const get = async (path: string) => {
    const r = await api.req('GET', path);
    return r.status === 200 ? r.body : undefined;
  };
  const pvcPath = (name: string) => `/api/v1/namespaces/default/persistentvolumeclaims/${name}`;
  const patch = (path: string, body: Obj) =>
    api.req('PATCH', path, body, { 'content-type': 'application/merge-patch+json' });

  it('provisions a local-path volume on the selected node, binds it, and reclaims it after the claim', async () => {
    const sc = await eventually('the local-path class', () => get(`${SC}/local-path`));
    assert.equal(sc.provisioner, LOCAL_PATH_PROVISIONER);
    assert.equal(sc.volumeBindingMode, 'WaitForFirstConsumer');
    assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
    let r = await api.req('POST', '/api/v1/namespaces/default/persistentvolumeclaims', {
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
    });
    assert.equal(r.body.spec.storageClassName, 'local-path');
    const uid = r.body.metadata.uid;
    // No consumer yet: nothing happens but the event.
    await eventually('the WaitForFirstConsumer event', async () => {
      const ev = (await get('/api/v1/namespaces/default/events'))?.items ?? [];
      return ev.some((e: Obj) => e.reason === 'WaitForFirstConsumer') ? true : undefined;
    });
    assert.equal((await get('/api/v1/persistentvolumes'))?.items.length, 0);
    // The scheduler picked node-1.
    r = await patch(pvcPath('data'), {
      metadata: { annotations: { 'volume.kubernetes.io/selected-node': 'node-1' } },
    });
    assert.equal(r.status, 200);
    const bound = await eventually('the claim Bound', async () => {
      const c = await get(pvcPath('data'));
      return c?.status?.phase === 'Bound' ? c : undefined;
    });
    assert.equal(bound.spec.volumeName, `pvc-${uid}`);
    assert.equal(bound.metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
    assert.equal(
      bound.metadata.annotations['volume.kubernetes.io/storage-provisioner'],
      LOCAL_PATH_PROVISIONER,
    );
    assert.deepEqual(bound.status.capacity, { storage: '2Gi' });
    const pv = await eventually('the volume Bound', async () => {
      const v = await get(`/api/v1/persistentvolumes/pvc-${uid}`);
      return v?.status?.phase === 'Bound' ? v : undefined;
    });
    assert.deepEqual(pv.spec.hostPath, {
      path: `/var/k8ts/storage/pvc-${uid}_default_data`,
      type: 'DirectoryOrCreate',
    });
    assert.equal(pv.spec.claimRef.uid, uid);
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], {
      key: 'kubernetes.io/hostname',
      operator: 'In',
      values: ['node-1'],
    });

    // The claim goes: the volume is Released, a helper pod empties the directory on node-1, then it goes.
    await api.req('DELETE', pvcPath('data'));
    const helperPath = `/api/v1/namespaces/kube-system/pods/helper-pod-delete-pvc-${uid}`;
    const helper = await eventually('the helper pod', () => get(helperPath));
    assert.equal(helper.spec.nodeName, 'node-1');
    assert.deepEqual(helper.spec.containers[0].command, ['rm', '-rf', `/data/pvc-${uid}_default_data`]);
    assert.deepEqual(helper.spec.volumes[0].hostPath, {
      path: '/var/k8ts/storage',
      type: 'DirectoryOrCreate',
    });
    assert.equal((await get(`/api/v1/persistentvolumes/pvc-${uid}`))?.status.phase, 'Released');
    // The helper pod's kubelet reports success.
    r = await patch(`${helperPath}/status`, { status: { phase: 'Succeeded' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await eventually('the volume deleted', async () =>
      (await get(`/api/v1/persistentvolumes/pvc-${uid}`)) ? undefined : true,
    );
  });

  it('binds a claim to the smallest matching Available volume of its class', async () => {
    const pv = (name: string, size: string, modes = ['ReadWriteOnce']) =>
      api.req('POST', '/api/v1/persistentvolumes', {
        metadata: { name },
        spec: {
          capacity: { storage: size },
          accessModes: modes,
          storageClassName: 'manual',
          hostPath: { path: `/srv/${name}` },
        },
      });
    await pv('big', '10Gi');
    await pv('small', '1Gi');
    await pv('rox', '1Gi', ['ReadOnlyMany']);
    await api.req('POST', '/api/v1/namespaces/default/persistentvolumeclaims', {
      metadata: { name: 'manual' },
      spec: {
        storageClassName: 'manual',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '500Mi' } },
      },
    });
    const c = await eventually('the claim Bound', async () => {
      const x = await get(pvcPath('manual'));
      return x?.status?.phase === 'Bound' ? x : undefined;
    });
    assert.equal(c.spec.volumeName, 'small');
    const small = await eventually('small Bound', async () => {
      const v = await get('/api/v1/persistentvolumes/small');
      return v?.status?.phase === 'Bound' ? v : undefined;
    });
    assert.equal(small.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
    assert.equal((await get('/api/v1/persistentvolumes/big'))?.status.phase, 'Available');
  });

  it('findMatch skips reserved, smaller, other-class and other-mode volumes', () => {
    const claim = {
      spec: {
        storageClassName: 'x',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
      },
    };
    const v = (name: string, size: string, extra: Obj = {}) => ({
      metadata: { name },
      spec: { storageClassName: 'x', accessModes: ['ReadWriteOnce'], capacity: { storage: size }, ...extra },
    });
    assert.equal(
      findMatch(claim, [
        v('reserved', '1Gi', { claimRef: { name: 'other', namespace: 'default' } }),
        v('tiny', '500Mi'),
        v('y', '1Gi', { storageClassName: 'y' }),
        v('rwx', '1Gi', { accessModes: ['ReadWriteMany'] }),
        v('ok2', '3Gi'),
        v('ok', '2Gi'),
      ])?.metadata.name,
      'ok',
    );
  });
});

describe('VolumeBinding', () => {
  const claims: Record<string, Obj> = {
    bound: { metadata: { namespace: 'ns', name: 'bound' }, spec: { volumeName: 'pv1' } },
    wait: { metadata: { namespace: 'ns', name: 'wait' }, spec: { storageClassName: 'local-path' } },
    now: { metadata: { namespace: 'ns', name: 'now' }, spec: { storageClassName: 'fast' } },
  };
  const lookup: VolumeLookup = {
    claim: (_ns, name) => claims[name],
    volume: (name) =>
      name === 'pv1'
        ? {
            spec: {
              nodeAffinity: {
                required: {
                  nodeSelectorTerms: [
                    { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['a'] }] },
                  ],
                },
              },
            },
          }
        : undefined,
    storageClass: (name) =>
      ({
        'local-path': { volumeBindingMode: 'WaitForFirstConsumer' },
        fast: { volumeBindingMode: 'Immediate' },
      })[name],
  };
  const podWith = (...names: string[]) => ({
    metadata: { namespace: 'ns', name: 'p' },
    spec: { volumes: names.map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } })) },
  });
  const node = (name: string) =>
    ({ name, node: { metadata: { name, labels: { 'kubernetes.io/hostname': name } } } }) as any;

  it('rejects missing and unbound immediate claims; a bound volume pins the node', () => {
    const plugin = volumeBinding(lookup);
    const state = new Map();
    assert.equal(
      plugin.preFilter!(state, podWith('gone'), {} as any, [])?.message(),
      'persistentvolumeclaim "gone" not found',
    );
    assert.equal(
      plugin.preFilter!(new Map(), podWith('now'), {} as any, [])?.message(),
      'pod has unbound immediate PersistentVolumeClaims',
    );
    assert.equal(plugin.preFilter!(state, podWith('bound', 'wait'), {} as any, []), undefined);
    assert.equal(plugin.filter!(state, {} as any, {} as any, node('a')), undefined);
    assert.equal(
      plugin.filter!(state, {} as any, {} as any, node('b'))?.message(),
      'node(s) had volume node affinity conflict',
    );
  });

  it('the binder records the node on delayed claims and binds the pod once they are bound', async () => {
    const patched: string[] = [];
    const bound: string[] = [];
    const clock = new FakeClock();
    const binder = volumeBinder(
      { name: 'inner', bind: async (p, n) => void bound.push(`${p.metadata.name}->${n}`) },
      lookup,
      {
        patchClaim: async (ns, name, ann) => void patched.push(`${ns}/${name} ${JSON.stringify(ann)}`),
        sleep: async (ms) => {
          clock.advance(ms);
          if (clock.now() - Date.parse('2025-01-01T00:00:00Z') >= 300) claims.wait.spec.volumeName = 'pv2';
        },
      },
    );
    const out = await binder.bind(podWith('bound', 'wait'), 'a');
    assert.equal(out, undefined);
    assert.deepEqual(patched, ['ns/wait {"volume.kubernetes.io/selected-node":"a"}']);
    assert.deepEqual(bound, ['p->a']);
    assert.equal(clock.now() - Date.parse('2025-01-01T00:00:00Z'), 300, 'waited for the claim to be bound');
    // A claim that never binds: the binding fails after the timeout.
    delete claims.wait.spec.volumeName;
    const failing = volumeBinder({ name: 'inner', bind: async () => undefined }, lookup, {
      patchClaim: async () => {},
      sleep: async () => {},
      timeoutMs: 1_000,
    });
    const st = (await failing.bind(podWith('wait'), 'a')) as Status;
    assert.equal(st.code, 'Error');
    assert.match(st.message(), /timed out .*wait not bound/);
  });
});

describe('kubelet persistentVolumeClaim volumes', () => {
  it('mount the bound volume path; an unbound or missing claim fails the setup with upstream wording', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-pvc-'));
    try {
      const claims: Record<string, Obj> = {
        ok: { spec: { volumeName: 'pv-ok' }, status: { phase: 'Bound' } },
        pending: { spec: {}, status: { phase: 'Pending' } },
      };
      const m = new VolumeManager({
        dataDir: dir,
        clock: new FakeClock(),
        log: silentLogger,
        sources: {
          configMap: async () => undefined,
          secret: async () => undefined,
          token: async () => '',
          nodeAllocatable: () => ({}),
          persistentVolumeClaim: async (_ns, name) => claims[name],
          persistentVolume: async (name) =>
            name === 'pv-ok'
              ? { spec: { hostPath: { path: join(dir, 'vol'), type: 'DirectoryOrCreate' } } }
              : undefined,
        },
      });
      const pod = {
        metadata: { uid: 'u1', namespace: 'default', name: 'p' },
        spec: {
          volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'ok', readOnly: true } }],
          containers: [{ name: 'c', volumeMounts: [{ name: 'd', mountPath: '/data' }] }],
        },
      };
      await m.setUp(pod);
      assert.ok(statSync(join(dir, 'vol')).isDirectory(), 'DirectoryOrCreate made it');
      assert.deepEqual(
        m.mounts(pod, pod.spec.containers[0]).map((x) => [x.containerPath, x.hostPath, x.readonly]),
        [['/data', join(dir, 'vol'), true]],
      );
      const bad = {
        metadata: { uid: 'u2', namespace: 'default', name: 'q' },
        spec: {
          volumes: [
            { name: 'a', persistentVolumeClaim: { claimName: 'pending' } },
            { name: 'b', persistentVolumeClaim: { claimName: 'absent' } },
          ],
        },
      };
      await assert.rejects(m.setUp(bad), (err: unknown) => {
        assert.ok(err instanceof VolumeSetupFailed);
        assert.deepEqual(err.failures, [
          { volume: 'a', message: 'error processing PVC default/pending: PVC is not bound' },
          { volume: 'b', message: 'persistentvolumeclaim "absent" not found' },
        ]);
        return true;
      });
      await m.tearDown('u1');
      assert.ok(statSync(join(dir, 'vol')).isDirectory(), 'the volume outlives the pod');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
