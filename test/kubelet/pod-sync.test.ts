// The pod worker's sync against an in-memory CRI runtime and an in-process API server, on a FakeClock:
// a pod starts and reports Running; a crashing container is restarted, then held by the back-off; a
// deleted pod's containers are stopped with its grace period, removed, and the deletion confirmed with
// the uid precondition; leftovers of pods the API server no longer has are removed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import type { EventRecorder } from '../../src/client/events.js';
import type { RestClient } from '../../src/client/rest.js';
import { type PodSyncer, Semaphore } from '../../src/kubelet/pod-sync.js';
import { PODS } from '../../src/kubelet/refs.js';
import { type KubeletUnitEnv, startKubeletUnitEnv } from '../helpers/kubelet-unit-env.js';
import { createNamespaceBasics } from '../helpers/namespace-basics.js';
import { FakeCri } from './fake-cri.js';
import { unitPodSyncer } from './unit-syncer.js';

type Obj = Record<string, any>;

describe('PodSyncer over a fake CRI', () => {
  let env: KubeletUnitEnv;
  let rest: RestClient;
  let dataDir: string;
  const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'));
  const events: Obj[] = [];
  let cri: FakeCri;
  let syncer: PodSyncer;
  let recorder: EventRecorder;

  before(async () => {
    env = await startKubeletUnitEnv('k8ts-sync-', events);
    ({ rest, dataDir, recorder } = env);
    cri = new FakeCri(() => clock.now());
    syncer = unitPodSyncer({
      cri: cri.asClient(),
      rest,
      recorder,
      clock,
      dataDir,
      cgroupRoot: `/k8ts-unit-${process.pid}`,
    });
    await createNamespaceBasics(rest, 'default');
  });

  after(async () => {
    await env.close();
  });

  const pods = () => rest.resource<Obj>(PODS).in('default');
  const create = (name: string, spec: Obj = {}) =>
    pods().create({
      metadata: { name },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'k8ts.local/busybox:latest' }], ...spec },
    });

  it('starts a pod and reports it Running with its IP', async () => {
    const p = await create('web');
    const out = await syncer.sync(p.metadata.uid, p, p);
    assert.equal(out.requeueAfterMs, 60_000);
    assert.deepEqual(cri.calls.slice(0, 3), [
      'RunPodSandbox web attempt=0',
      'CreateContainer c attempt=0',
      'StartContainer c',
    ]);
    const got = await pods().get('web');
    assert.equal(got.status.phase, 'Running');
    assert.match(got.status.podIP, /^10\.42\.0\./);
    assert.equal(got.status.containerStatuses[0].ready, true);
    // Nothing changed: a second sync makes no runtime calls and writes no status.
    const before = cri.calls.length;
    await syncer.sync(p.metadata.uid, got, got);
    assert.equal(cri.calls.length, before);
  });

  it('restarts a crashing container at once, then holds it in CrashLoopBackOff for 10 s', async () => {
    let p = await create('crash');
    const uid = p.metadata.uid;
    await syncer.sync(uid, p, p);
    const first = cri.running().find((c) => c.config.labels?.['io.kubernetes.pod.uid'] === uid)!;
    clock.advance(1_000);
    cri.exit(first.id, 1);
    p = await pods().get('crash');
    await syncer.sync(uid, p, p);
    const second = cri.running().find((c) => c.config.labels?.['io.kubernetes.pod.uid'] === uid)!;
    assert.equal(second.config.metadata.attempt, 1);
    clock.advance(1_000);
    cri.exit(second.id, 1);
    p = await pods().get('crash');
    const held = await syncer.sync(uid, p, p);
    assert.equal(held.requeueAfterMs, 10_000);
    p = await pods().get('crash');
    const cs = p.status.containerStatuses[0];
    assert.equal(cs.state.waiting.reason, 'CrashLoopBackOff');
    assert.equal(cs.restartCount, 1);
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.equal(p.status.phase, 'Running');
    assert.ok(events.some((e) => e.reason === 'BackOff' && e.involvedObject.name === 'crash'));
    clock.advance(10_000);
    await syncer.sync(uid, p, p);
    const third = cri.running().find((c) => c.config.labels?.['io.kubernetes.pod.uid'] === uid)!;
    assert.equal(third.config.metadata.attempt, 2);
    // The instance before the last one was removed; the last dead one is kept for logs --previous.
    assert.equal(
      [...cri.containers.values()].filter((c) => c.config.labels?.['io.kubernetes.pod.uid'] === uid).length,
      2,
    );
  });

  it('stops a deleted pod with its grace period, removes it and confirms the deletion', async () => {
    await create('bye', { terminationGracePeriodSeconds: 7 });
    let p = await pods().get('bye');
    await syncer.sync(p.metadata.uid, p, p);
    await pods().delete('bye');
    p = await pods().get('bye');
    assert.ok(p.metadata.deletionTimestamp, 'graceful: the pod waits for the kubelet');
    const out = await syncer.sync(p.metadata.uid, p, p);
    assert.equal(out.finished, true);
    assert.ok(cri.calls.includes('StopContainer c timeout=7'));
    assert.equal(
      (await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': p.metadata.uid } })).length,
      0,
    );
    await assert.rejects(pods().get('bye'), /not found/);
  });

  it('removes what is left of a pod the API server no longer has', async () => {
    const p = await create('orphan');
    await syncer.sync(p.metadata.uid, p, p);
    await pods().delete('orphan', { gracePeriodSeconds: 0 });
    const out = await syncer.sync(p.metadata.uid, undefined, undefined);
    assert.equal(out.finished, true);
    assert.equal(
      (await cri.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': p.metadata.uid } })).length,
      0,
    );
    assert.equal(
      (await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': p.metadata.uid } })).length,
      0,
    );
  });

  it('reports a missing configMap as CreateContainerConfigError and a Never pod that exits 0 as Succeeded', async () => {
    const bad = await create('badenv', {
      containers: [
        {
          name: 'c',
          image: 'k8ts.local/busybox:latest',
          env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }],
        },
      ],
    });
    await syncer.sync(bad.metadata.uid, bad, bad);
    const got = await pods().get('badenv');
    assert.deepEqual(got.status.containerStatuses[0].state.waiting, {
      reason: 'CreateContainerConfigError',
      message: 'configmap "nope" not found',
    });
    const once = await create('once', { restartPolicy: 'Never' });
    await syncer.sync(once.metadata.uid, once, once);
    const c = cri.running().find((x) => x.config.labels?.['io.kubernetes.pod.uid'] === once.metadata.uid)!;
    cri.exit(c.id, 0);
    let p = await pods().get('once');
    await syncer.sync(once.metadata.uid, p, p);
    p = await pods().get('once');
    assert.equal(p.status.phase, 'Succeeded');
    assert.equal(p.status.containerStatuses[0].state.terminated.reason, 'Completed');
    assert.ok(
      cri.calls.some((x) => x.startsWith('StopPodSandbox')),
      'a finished pod gives its sandbox back',
    );
  });
});

describe('Semaphore', () => {
  it('runs at most n at once, the rest in arrival order', async () => {
    const sem = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const jobs = [0, 1, 2, 3].map((i) =>
      sem.run(async () => {
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await new Promise<void>((r) => gates.push(r));
        active--;
      }),
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [0, 1]);
    while (gates.length > 0 || order.length < 4) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(jobs);
    assert.deepEqual(order, [0, 1, 2, 3]);
    assert.equal(peak, 2);
  });
});
