// The Job controller against an in-process API server: pods from the template, completions and
// parallelism, Indexed mode, failure tracking with the job-tracking finalizer, backoffLimit, suspend and
// activeDeadlineSeconds (on a FakeClock). Pod phases are set through the status subresource (no kubelet).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeClock, silentLogger } from '../../src/client/index.js';
import { type ControllerManager, startControllerManager } from '../../src/controllers/manager.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { createNamespace, eventually, setPodStatus } from '../helpers/controllers.js';

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

function jobManifest(name: string, spec: Obj = {}): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      ...spec,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
    },
  };
}

async function createJob(a: TestApi, ns: string, job: Obj): Promise<Obj> {
  const r = await a.req('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, job);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function getJob(a: TestApi, ns: string, name: string): Promise<Obj> {
  return (await a.req('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`)).body;
}

async function jobPods(a: TestApi, ns: string, name: string): Promise<Obj[]> {
  const r = await a.req(
    'GET',
    `/api/v1/namespaces/${ns}/pods?labelSelector=batch.kubernetes.io%2Fjob-name%3D${name}`,
  );
  return r.body.items;
}

const isActive = (p: Obj) =>
  !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase);

async function activePods(a: TestApi, ns: string, name: string, n: number, step?: () => Promise<void>) {
  return eventually(
    `${n} active pods of ${name}`,
    async () => {
      const pods = (await jobPods(a, ns, name)).filter(isActive);
      return pods.length === n ? pods : undefined;
    },
    { step },
  );
}

const cond = (job: Obj, type: string) => job.status?.conditions?.find((c: Obj) => c.type === type);

async function jobWith(
  a: TestApi,
  ns: string,
  name: string,
  ok: (j: Obj) => boolean,
  step?: () => Promise<void>,
) {
  return eventually(
    `job ${name} state`,
    async () => {
      const j = await getJob(a, ns, name);
      return ok(j) ? j : undefined;
    },
    { step },
  );
}

describe('job controller', () => {
  test('runs completions with parallelism, tracks pods by finalizer and completes', async () => {
    await createNamespace(api, 'job1');
    const job = await createJob(api, 'job1', jobManifest('pi', { completions: 3, parallelism: 2 }));
    const pods = await activePods(api, 'job1', 'pi', 2);
    for (const p of pods) {
      assert.match(p.metadata.name, /^pi-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
      assert.equal(p.metadata.labels['batch.kubernetes.io/controller-uid'], job.metadata.uid);
      assert.equal(p.metadata.labels['batch.kubernetes.io/job-name'], 'pi');
      assert.deepEqual(p.metadata.ownerReferences, [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: 'pi',
          uid: job.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    await setPodStatus(api, pods[0], {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
    });
    const running = await jobWith(api, 'job1', 'pi', (j) => j.status?.ready === 1);
    assert.equal(running.status.active, 2);
    assert.ok(running.status.startTime);
    for (const p of pods) await setPodStatus(api, p, { phase: 'Succeeded' });
    const third = await activePods(api, 'job1', 'pi', 1);
    assert.ok(!pods.some((p) => p.metadata.uid === third[0].metadata.uid));
    // Counted pods lose the finalizer.
    await eventually('finalizers removed', async () => {
      const done = (await jobPods(api, 'job1', 'pi')).filter((p) => p.status?.phase === 'Succeeded');
      return done.length === 2 && done.every((p) => !p.metadata.finalizers?.length) ? true : undefined;
    });
    await setPodStatus(api, third[0], { phase: 'Succeeded' });
    const done = await jobWith(api, 'job1', 'pi', (j) => cond(j, 'Complete')?.status === 'True');
    assert.equal(done.status.succeeded, 3);
    assert.equal(done.status.active, 0);
    assert.ok(done.status.completionTime);
    assert.equal(cond(done, 'SuccessCriteriaMet')?.status, 'True');
    const types = done.status.conditions.map((c: Obj) => c.type);
    assert.ok(types.indexOf('SuccessCriteriaMet') < types.indexOf('Complete'));
    assert.equal((await jobPods(api, 'job1', 'pi')).length, 3);
  });

  test('suspend deletes active pods and resume recreates them', async () => {
    await createNamespace(api, 'job4');
    await createJob(api, 'job4', jobManifest('sleepy', { parallelism: 2, completions: 4 }));
    await activePods(api, 'job4', 'sleepy', 2);
    const patch = (suspend: boolean) =>
      api.req(
        'PATCH',
        '/apis/batch/v1/namespaces/job4/jobs/sleepy',
        { spec: { suspend } },
        { 'content-type': 'application/merge-patch+json' },
      );
    assert.equal((await patch(true)).status, 200);
    const s = await jobWith(
      api,
      'job4',
      'sleepy',
      (j) => cond(j, 'Suspended')?.status === 'True' && j.status.active === 0,
    );
    assert.equal(cond(s, 'Suspended').reason, 'JobSuspended');
    await activePods(api, 'job4', 'sleepy', 0);
    assert.equal((await patch(false)).status, 200);
    await activePods(api, 'job4', 'sleepy', 2);
    const r = await jobWith(api, 'job4', 'sleepy', (j) => cond(j, 'Suspended')?.status === 'False');
    assert.equal(cond(r, 'Suspended').reason, 'JobResumed');
  });

  test('deleting the Job releases its pods from the tracking finalizer', async () => {
    await createNamespace(api, 'job5');
    await createJob(api, 'job5', jobManifest('gone', { parallelism: 2, completions: 2 }));
    await activePods(api, 'job5', 'gone', 2);
    const r = await api.req('DELETE', '/apis/batch/v1/namespaces/job5/jobs/gone', {
      propagationPolicy: 'Background',
    });
    assert.equal(r.status, 200);
    await eventually('pods gone', async () =>
      (await jobPods(api, 'job5', 'gone')).length === 0 ? true : undefined,
    );
  });
});

describe('job controller on a fake clock', () => {
  let api2: TestApi;
  let cm2: ControllerManager;
  const clock = new FakeClock(Date.now());
  before(async () => {
    api2 = await startTestApi({ now: () => new Date(clock.now()) });
    cm2 = startControllerManager({ baseUrl: api2.url, log: silentLogger, clock });
  });
  after(async () => {
    await cm2.stop();
    await api2.close();
  });

  test('failed and deleted pods count once, are replaced, and backoffLimit fails the Job', async () => {
    const step = () => clock.tick(1000);
    await createNamespace(api2, 'job2');
    await createJob(api2, 'job2', jobManifest('flaky', { completions: 1, backoffLimit: 2 }));
    const [p1] = await activePods(api2, 'job2', 'flaky', 1, step);
    // As a kubelet reports it: Ready turns False when the pod finishes (the backoff counts from there).
    const finished = () => [
      { type: 'Ready', status: 'False', lastTransitionTime: new Date(clock.now()).toISOString() },
    ];
    await setPodStatus(api2, p1, { phase: 'Failed', conditions: finished() });
    await jobWith(api2, 'job2', 'flaky', (j) => j.status?.failed === 1);
    // The replacement waits out the 10 s pod-failure backoff.
    await clock.tick(9_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await activePods(api2, 'job2', 'flaky', 0)).length, 0);
    const [p2] = await eventually(
      'replacement',
      async () => {
        const ps = (await jobPods(api2, 'job2', 'flaky')).filter(
          (p) => p.metadata.uid !== p1.metadata.uid && isActive(p),
        );
        return ps.length ? ps : undefined;
      },
      { step },
    );
    // A running pod deleted before it finishes is a failure too; deleting the counted pod changes nothing.
    for (const p of [p2, p1]) {
      const r = await api2.req('DELETE', `/api/v1/namespaces/job2/pods/${p.metadata.name}`);
      assert.ok([200, 202].includes(r.status), JSON.stringify(r.body));
    }
    const j = await jobWith(api2, 'job2', 'flaky', (x) => x.status?.failed === 2, step);
    assert.equal(j.status.succeeded ?? 0, 0);
    await eventually(
      'deleted pods released',
      async () => {
        const names = (await jobPods(api2, 'job2', 'flaky')).map((p) => p.metadata.name);
        return !names.includes(p1.metadata.name) && !names.includes(p2.metadata.name) ? true : undefined;
      },
      { step },
    );
    const [p3] = await activePods(api2, 'job2', 'flaky', 1, step);
    await setPodStatus(api2, p3, { phase: 'Failed' });
    const failed = await jobWith(api2, 'job2', 'flaky', (x) => cond(x, 'Failed')?.status === 'True', step);
    assert.equal(cond(failed, 'Failed').reason, 'BackoffLimitExceeded');
    assert.equal(failed.status.failed, 3);
    assert.equal(failed.status.active, 0);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await activePods(api2, 'job2', 'flaky', 0)).length, 0);
  });

  test('Indexed mode: one pod per index with annotation, label, env and completedIndexes', async () => {
    const step = () => clock.tick(1000);
    await createNamespace(api2, 'job3');
    await createJob(
      api2,
      'job3',
      jobManifest('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }),
    );
    const pods = await activePods(api2, 'job3', 'idx', 3, step);
    const byIndex = new Map<string, Obj>();
    for (const p of pods) {
      const i = p.metadata.annotations['batch.kubernetes.io/job-completion-index'];
      byIndex.set(i, p);
      assert.equal(p.metadata.labels['batch.kubernetes.io/job-completion-index'], i);
      assert.match(p.metadata.name, new RegExp(`^idx-${i}-[a-z0-9]{5}$`));
      assert.deepEqual(
        p.spec.containers[0].env.find((e: Obj) => e.name === 'JOB_COMPLETION_INDEX'),
        { name: 'JOB_COMPLETION_INDEX', value: i },
      );
    }
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    await setPodStatus(api2, byIndex.get('1') as Obj, { phase: 'Succeeded' });
    await setPodStatus(api2, byIndex.get('2') as Obj, { phase: 'Failed' });
    const j = await jobWith(
      api2,
      'job3',
      'idx',
      (x) => x.status?.completedIndexes === '1' && x.status?.failed === 1,
      step,
    );
    assert.equal(j.status.succeeded, 1);
    const again = await eventually(
      'index 2 recreated',
      async () => {
        const ps = (await jobPods(api2, 'job3', 'idx'))
          .filter(isActive)
          .map((p) => p.metadata.annotations['batch.kubernetes.io/job-completion-index']);
        return ps.sort().join() === '0,2' ? ps : undefined;
      },
      { step },
    );
    assert.equal(again.length, 2);
    for (const p of await activePods(api2, 'job3', 'idx', 2))
      await setPodStatus(api2, p, { phase: 'Succeeded' });
    const done = await jobWith(api2, 'job3', 'idx', (x) => cond(x, 'Complete')?.status === 'True', step);
    assert.equal(done.status.completedIndexes, '0-2');
    assert.equal(done.status.succeeded, 3);
  });

  test('activeDeadlineSeconds fails the Job with DeadlineExceeded', async () => {
    await createNamespace(api2, 'dl');
    await createJob(api2, 'dl', jobManifest('slow', { activeDeadlineSeconds: 30 }));
    const step = () => clock.tick(100);
    await activePods(api2, 'dl', 'slow', 1, step);
    const j = await jobWith(api2, 'dl', 'slow', (x) => !!x.status?.startTime, step);
    assert.equal(cond(j, 'Failed'), undefined);
    await clock.tick(31_000);
    const failed = await jobWith(api2, 'dl', 'slow', (x) => cond(x, 'Failed')?.status === 'True', step);
    assert.equal(cond(failed, 'Failed').reason, 'DeadlineExceeded');
    await activePods(api2, 'dl', 'slow', 0, step);
  });

  test('ttlSecondsAfterFinished deletes the finished Job and its pods', async () => {
    await createNamespace(api2, 'ttl');
    await createJob(api2, 'ttl', jobManifest('brief', { ttlSecondsAfterFinished: 60 }));
    const step = () => clock.tick(100);
    const [pod] = await activePods(api2, 'ttl', 'brief', 1, step);
    await setPodStatus(api2, pod, { phase: 'Succeeded' });
    await jobWith(api2, 'ttl', 'brief', (x) => cond(x, 'Complete')?.status === 'True', step);
    await clock.tick(30_000);
    assert.equal((await api2.req('GET', '/apis/batch/v1/namespaces/ttl/jobs/brief')).status, 200);
    await clock.tick(31_000);
    await eventually(
      'job and pod gone',
      async () =>
        (await api2.req('GET', '/apis/batch/v1/namespaces/ttl/jobs/brief')).status === 404 &&
        (await jobPods(api2, 'ttl', 'brief')).length === 0
          ? true
          : undefined,
      { step },
    );
  });
});
