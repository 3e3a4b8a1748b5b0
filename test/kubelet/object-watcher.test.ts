// Watch-based ConfigMap and Secret change detection on a FakeClock that never moves (so no refresh timer
// can be what updates a file): one watch per referenced object shared by the pods that use it and stopped
// with the last of them; reads come from the watch cache, not GETs; an edit of a ConfigMap rewrites the
// mounted file of a running pod at once; a pod held by a missing ConfigMap is woken when it appears.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import type { EventRecorder } from '../../src/client/events.js';
import { silentLogger } from '../../src/client/log.js';
import { RestClient } from '../../src/client/rest.js';
import { PodSyncer } from '../../src/kubelet/pod-sync.js';
import { CONFIGMAPS, PODS, SECRETS } from '../../src/kubelet/refs.js';
import { StatusManager } from '../../src/kubelet/status-manager.js';
import { ObjectWatcher, podObjectRefs } from '../../src/kubelet/volumes/object-watcher.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { eventually } from '../helpers/eventually.js';
import { type KubeletUnitEnv, startKubeletUnitEnv } from '../helpers/kubelet-unit-env.js';
import { createNamespaceBasics } from '../helpers/namespace-basics.js';
import { FakeCri } from './fake-cri.js';

type Obj = Record<string, any>;

describe('podObjectRefs', () => {
  it('names every ConfigMap and Secret of volumes, projections, env, envFrom and pull secrets', () => {
    const refs = podObjectRefs({
      metadata: { namespace: 'ns' },
      spec: {
        imagePullSecrets: [{ name: 'pull' }],
        volumes: [
          { name: 'a', configMap: { name: 'cm-vol' } },
          { name: 'b', secret: { secretName: 'sec-vol' } },
          {
            name: 'c',
            projected: { sources: [{ configMap: { name: 'cm-proj' } }, { secret: { name: 'sec-proj' } }] },
          },
          { name: 'd', emptyDir: {} },
        ],
        initContainers: [{ name: 'i', envFrom: [{ configMapRef: { name: 'cm-from' } }] }],
        containers: [
          {
            name: 'c',
            envFrom: [{ secretRef: { name: 'sec-from' } }],
            env: [
              { name: 'X', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'k' } } },
              { name: 'Y', valueFrom: { secretKeyRef: { name: 'sec-env', key: 'k' } } },
            ],
          },
        ],
      },
    });
    assert.deepEqual([...refs].sort(), [
      'configmap/ns/cm-env',
      'configmap/ns/cm-from',
      'configmap/ns/cm-proj',
      'configmap/ns/cm-vol',
      'secret/ns/pull',
      'secret/ns/sec-env',
      'secret/ns/sec-from',
      'secret/ns/sec-proj',
      'secret/ns/sec-vol',
    ]);
  });
});

describe('ObjectWatcher against an in-process API server', () => {
  let api: TestApi;
  let rest: RestClient;
  const clock = new FakeClock();

  before(async () => {
    api = await startTestApi();
    rest = new RestClient({ baseUrl: api.url });
    await rest
      .resource<Obj>(CONFIGMAPS)
      .in('default')
      .create({ metadata: { name: 'shared' }, data: { k: 'v1' } });
    await rest
      .resource<Obj>(SECRETS)
      .in('default')
      .create({ metadata: { name: 's' }, stringData: { k: 'x' } });
  });
  after(async () => {
    rest.close();
    await api.close();
  });

  const podUsing = (uid: string, spec: Obj) => ({ metadata: { uid, namespace: 'default', name: uid }, spec });

  it('keeps one watch per object while some pod uses it, answers from its cache and reports changes', async () => {
    const changes: [string, string[]][] = [];
    const w = new ObjectWatcher({
      rest,
      clock,
      log: silentLogger,
      onChange: (k, uids) => changes.push([k, uids]),
    });
    const vol = { volumes: [{ name: 'v', configMap: { name: 'shared' } }] };
    w.registerPod(podUsing('p1', vol));
    w.registerPod(podUsing('p2', { ...vol, imagePullSecrets: [{ name: 's' }] }));
    assert.deepEqual(w.watched().sort(), ['configmap/default/shared', 'secret/default/s']);
    assert.equal((await w.get('configmap', 'default', 'shared'))?.data.k, 'v1');
    assert.equal((await w.get('secret', 'default', 's'))?.metadata.name, 's');
    assert.equal(w.gets, 0, 'watched objects are read from the cache');

    await rest
      .resource<Obj>(CONFIGMAPS)
      .in('default')
      .patch('shared', { data: { k: 'v2' } });
    await eventually('the change reported', async () => (changes.length > 0 ? true : undefined));
    assert.deepEqual(changes[0][0], 'configmap/default/shared');
    assert.deepEqual(changes[0][1].sort(), ['p1', 'p2']);
    assert.equal((await w.get('configmap', 'default', 'shared'))?.data.k, 'v2');

    // A reference dropped by an update of the pod, then the pods gone: the watches stop with the last user.
    w.registerPod(podUsing('p2', vol));
    assert.deepEqual(w.watched(), ['configmap/default/shared']);
    w.unregisterPod('p1');
    assert.deepEqual(w.watched(), ['configmap/default/shared']);
    w.unregisterPod('p2');
    assert.deepEqual(w.watched(), []);
    // Not watched: one GET; a missing object is undefined.
    assert.equal((await w.get('configmap', 'default', 'shared'))?.data.k, 'v2');
    assert.equal(await w.get('configmap', 'default', 'absent'), undefined);
    assert.equal(w.gets, 2);

    // An immutable object: read from the cache, its watch stopped.
    await rest
      .resource<Obj>(CONFIGMAPS)
      .in('default')
      .create({ metadata: { name: 'frozen' }, data: { k: 'ice' }, immutable: true });
    w.registerPod(podUsing('p3', { volumes: [{ name: 'v', configMap: { name: 'frozen' } }] }));
    assert.equal((await w.get('configmap', 'default', 'frozen'))?.data.k, 'ice');
    assert.equal(w.gets, 2);
    assert.deepEqual(w.frozen(), ['configmap/default/frozen']);
    assert.deepEqual(w.watched(), []);
    await w.stop();
  });
});

describe('ConfigMap edits reach mounted files through the watch', () => {
  let env: KubeletUnitEnv;
  let rest: RestClient;
  let dataDir: string;
  let recorder: EventRecorder;
  let syncer: PodSyncer;
  const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'));
  const woken: string[] = [];

  before(async () => {
    env = await startKubeletUnitEnv('k8ts-objwatch-', []);
    ({ rest, dataDir, recorder } = env);
    const cri = new FakeCri(() => clock.now());
    syncer = new PodSyncer({
      cri: cri.asClient(),
      rest,
      recorder,
      status: new StatusManager(rest, silentLogger),
      clock,
      log: silentLogger,
      dataDir,
      dns: { servers: [], searches: [], options: [] },
      cgroupRoot: `/k8ts-unit-${process.pid}`,
      hostIPs: () => ['192.0.2.1'],
      nodeAllocatable: () => ({ cpu: '2', memory: '4Gi' }),
      onObjectChange: (uids) => woken.push(...uids),
    });
    await createNamespaceBasics(rest, 'default');
  });
  after(async () => {
    await syncer.objects.stop();
    await env.close();
  });

  const createPod = (name: string, cm: string) =>
    rest
      .resource<Obj>(PODS)
      .in('default')
      .create({
        metadata: { name },
        spec: {
          nodeName: 'n1',
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'c',
              image: 'k8ts.local/busybox:latest',
              volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }],
            },
          ],
          volumes: [{ name: 'cfg', configMap: { name: cm } }],
        },
      });

  it('rewrites the file of a running pod when its ConfigMap changes, with no clock tick and no GET', async () => {
    await rest
      .resource<Obj>(CONFIGMAPS)
      .in('default')
      .create({ metadata: { name: 'app' }, data: { greeting: 'hello' } });
    const p = await createPod('reader', 'app');
    await syncer.sync(p.metadata.uid, p, p);
    const file = join(syncer.volumes.volumePath(p, p.spec.volumes[0]), 'greeting');
    assert.equal(readFileSync(file, 'utf8'), 'hello');
    await rest
      .resource<Obj>(CONFIGMAPS)
      .in('default')
      .patch('app', { data: { greeting: 'bonjour' } });
    await eventually('the edit in the file', async () =>
      readFileSync(file, 'utf8') === 'bonjour' ? true : undefined,
    );
    assert.equal(syncer.objects.gets, 0);
    assert.ok(woken.includes(p.metadata.uid));
    // The pod gone: nothing is watched any more.
    await rest.resource<Obj>(PODS).in('default').delete('reader', { gracePeriodSeconds: 0 });
    await syncer.sync(p.metadata.uid, undefined, p);
    assert.deepEqual(syncer.objects.watched(), []);
  });

  it('wakes a pod held by a missing ConfigMap as soon as it is created', async () => {
    const p = await createPod('waiter', 'later');
    const out = await syncer.sync(p.metadata.uid, p, p);
    assert.equal(out.requeueAfterMs, 5_000, 'held with FailedMount');
    woken.length = 0;
    await rest
      .resource<Obj>(CONFIGMAPS)
      .in('default')
      .create({ metadata: { name: 'later' }, data: { a: 'b' } });
    await eventually('the pod woken', async () => (woken.includes(p.metadata.uid) ? true : undefined));
  });
});
