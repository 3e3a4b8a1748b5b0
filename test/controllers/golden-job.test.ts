// Golden interaction tests for the Job controller on a FakeClock: podFailurePolicy (FailJob, Ignore with
// the DisruptionTarget condition), the pod-failure backoff, backoffLimitPerIndex with FailIndex.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as job from '../../src/controllers/job/index.js';
import type { TestApi } from '../helpers/apiserver.js';
import { createNamespace } from '../helpers/controllers.js';
import { type Golden, startGolden } from '../helpers/golden.js';

type Obj = Record<string, any>;

let g: Golden;
before(async () => {
  g = await startGolden([job]);
});
after(async () => {
  await g.stop();
});

function jobManifest(name: string, spec: Obj): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      ...spec,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
    },
  };
}

async function create(api: TestApi, ns: string, j: Obj): Promise<void> {
  const r = await api.req('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, j);
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

async function pods(api: TestApi, ns: string): Promise<Obj[]> {
  const items: Obj[] = (await api.req('GET', `/api/v1/namespaces/${ns}/pods`)).body.items;
  return items.sort((a, b) =>
    String(
      a.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] ?? a.metadata.name,
    ).localeCompare(
      String(b.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] ?? b.metadata.name),
    ),
  );
}

/** A kubelet's report of a finished pod: phase, Ready=False now, the container's exit code. */
async function finish(
  api: TestApi,
  pod: Obj,
  phase: 'Succeeded' | 'Failed',
  exitCode: number,
  extra: Obj[] = [],
) {
  const now = new Date(g.clock.now()).toISOString();
  const cur = (await api.req('GET', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`))
    .body;
  cur.status = {
    phase,
    conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now }, ...extra],
    containerStatuses: [
      {
        name: 'main',
        ready: false,
        restartCount: 0,
        image: 'busybox',
        imageID: '',
        state: { terminated: { exitCode, startedAt: now, finishedAt: now } },
      },
    ],
  };
  const r = await api.req(
    'PUT',
    `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`,
    cur,
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

test('podFailurePolicy FailJob: the matching exit code fails the Job and its other pods count as failed', async () => {
  const { api } = g;
  await createNamespace(api, 'fj');
  await create(
    api,
    'fj',
    jobManifest('fj', {
      completions: 2,
      parallelism: 2,
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
        ],
      },
    }),
  );
  await g.step('created', [
    'create pod fj-*',
    'create pod fj-*',
    'event Job Normal SuccessfulCreate: Created pod: fj-*',
    'event Job Normal SuccessfulCreate: Created pod: fj-*',
    'status job fj {"active":2,"ready":0,"terminating":0}',
  ]);
  const [a] = await pods(api, 'fj');
  await finish(api, a, 'Failed', 42);
  const fin = 'patch pod fj-* finalizers-=["batch.kubernetes.io/job-tracking"]';
  await g.step('exit code 42', [
    // The failed pod is recorded, released and counted...
    'status job fj {"active":2,"ready":0,"terminating":0,"uncounted":"0s/1f"}',
    fin,
    // ...the rule fails the Job: the other pod is deleted and counted as failed under FailureTarget...
    'delete pod fj-*',
    'event Job Normal SuccessfulDelete: Deleted pod: fj-*',
    'status job fj {"active":2,"ready":0,"terminating":0,"failed":1,"uncounted":"0s/1f"} FailureTarget=True/PodFailurePolicy',
    fin,
    // ...then Failed, with the rule's message.
    'status job fj {"active":0,"ready":0,"terminating":0,"failed":2} FailureTarget=True/PodFailurePolicy,Failed=True/PodFailurePolicy',
    'event Job Warning PodFailurePolicy: Container main for pod fj/fj-* failed with exit code 42 matching FailJob rule at index 0',
  ]);
  const failed = (await api.req('GET', '/apis/batch/v1/namespaces/fj/jobs/fj')).body;
  const cond = failed.status.conditions.find((c: Obj) => c.type === 'Failed');
  assert.equal(cond.reason, 'PodFailurePolicy');
  assert.equal(
    cond.message,
    `Container main for pod fj/${a.metadata.name} failed with exit code 42 matching FailJob rule at index 0`,
  );
});

test('podFailurePolicy Ignore on DisruptionTarget: not counted, but the replacement waits out the backoff', async () => {
  const { api } = g;
  await createNamespace(api, 'ig');
  await create(
    api,
    'ig',
    jobManifest('ig', {
      completions: 1,
      backoffLimit: 0,
      podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] },
    }),
  );
  await g.step('created', [
    'create pod ig-*',
    'event Job Normal SuccessfulCreate: Created pod: ig-*',
    'status job ig {"active":1,"ready":0,"terminating":0}',
  ]);
  const [a] = await pods(api, 'ig');
  await finish(api, a, 'Failed', 137, [
    { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' },
  ]);
  // Released without counting (backoffLimit 0 is not exceeded); no replacement for 10 s.
  await g.step('disrupted', [
    'patch pod ig-* finalizers-=["batch.kubernetes.io/job-tracking"]',
    'status job ig {"active":0,"ready":0,"terminating":0}',
  ]);
  await g.clock.tick(9_000);
  await g.step('9 s later', []);
  await g.clock.tick(1_000);
  await g.step('10 s later', [
    'create pod ig-*',
    'event Job Normal SuccessfulCreate: Created pod: ig-*',
    'status job ig {"active":1,"ready":0,"terminating":0}',
  ]);
  const b = (await pods(api, 'ig')).find((p) => p.metadata.uid !== a.metadata.uid) as Obj;
  await finish(api, b, 'Succeeded', 0);
  await g.step('succeeded', [
    'status job ig {"active":1,"ready":0,"terminating":0,"uncounted":"1s/0f"}',
    'patch pod ig-* finalizers-=["batch.kubernetes.io/job-tracking"]',
    'status job ig {"active":0,"ready":0,"terminating":0,"succeeded":1} SuccessCriteriaMet=True/CompletionsReached,Complete=True/CompletionsReached',
    'event Job Normal Completed: Job completed',
  ]);
});

test('backoffLimitPerIndex: a failing index retries with its failure count, then fails the Job', async () => {
  const { api } = g;
  await createNamespace(api, 'pi');
  await create(
    api,
    'pi',
    jobManifest('pi', {
      completions: 3,
      parallelism: 3,
      completionMode: 'Indexed',
      backoffLimitPerIndex: 1,
      podFailurePolicy: {
        rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [3] } }],
      },
    }),
  );
  await g.step('created', [
    'create pod pi-0-* index=0 failures=0',
    'create pod pi-1-* index=1 failures=0',
    'create pod pi-2-* index=2 failures=0',
    'event Job Normal SuccessfulCreate: Created pod: pi-0-*',
    'event Job Normal SuccessfulCreate: Created pod: pi-1-*',
    'event Job Normal SuccessfulCreate: Created pod: pi-2-*',
    'status job pi {"active":3,"ready":0,"terminating":0,"failedIndexes":""}',
  ]);
  const byIndex = async (i: number) =>
    (await pods(api, 'pi')).find(
      (p) =>
        p.metadata.annotations['batch.kubernetes.io/job-completion-index'] === String(i) &&
        !p.status?.phase?.match(/Succeeded|Failed/),
    ) as Obj;
  await finish(api, await byIndex(0), 'Failed', 1);
  const fin = 'patch pod pi-0-* finalizers-=["batch.kubernetes.io/job-tracking"]';
  await g.step('index 0 fails once', [
    'status job pi {"active":3,"ready":0,"terminating":0,"failedIndexes":"","uncounted":"0s/1f"}',
    fin,
    'status job pi {"active":2,"ready":0,"terminating":0,"failed":1,"failedIndexes":""}',
  ]);
  await g.clock.tick(10_000);
  await g.step('its backoff passed', [
    'create pod pi-0-* index=0 failures=1',
    'event Job Normal SuccessfulCreate: Created pod: pi-0-*',
    'status job pi {"active":3,"ready":0,"terminating":0,"failed":1,"failedIndexes":""}',
  ]);
  await finish(api, await byIndex(0), 'Failed', 1);
  await g.step('index 0 reaches backoffLimitPerIndex', [
    'status job pi {"active":3,"ready":0,"terminating":0,"failed":1,"failedIndexes":"","uncounted":"0s/1f"}',
    fin,
    'status job pi {"active":2,"ready":0,"terminating":0,"failed":2,"failedIndexes":"0"}',
  ]);
  await finish(api, await byIndex(1), 'Failed', 3);
  await g.step('index 1 matches FailIndex', [
    'status job pi {"active":2,"ready":0,"terminating":0,"failed":2,"failedIndexes":"0","uncounted":"0s/1f"}',
    'patch pod pi-1-* finalizers-=["batch.kubernetes.io/job-tracking"]',
    'status job pi {"active":1,"ready":0,"terminating":0,"failed":3,"failedIndexes":"0-1"}',
  ]);
  await finish(api, await byIndex(2), 'Succeeded', 0);
  await g.step('index 2 succeeds: every index is done', [
    'status job pi {"active":1,"ready":0,"terminating":0,"failed":3,"failedIndexes":"0-1","uncounted":"1s/0f"}',
    'patch pod pi-2-* finalizers-=["batch.kubernetes.io/job-tracking"]',
    'status job pi {"active":1,"ready":0,"terminating":0,"succeeded":1,"failed":3,"completedIndexes":"2","failedIndexes":"0-1"} FailureTarget=True/FailedIndexes',
    'status job pi {"active":0,"ready":0,"terminating":0,"succeeded":1,"failed":3,"completedIndexes":"2","failedIndexes":"0-1"} FailureTarget=True/FailedIndexes,Failed=True/FailedIndexes',
    'event Job Warning FailedIndexes: Job has failed indexes',
  ]);
});
