// Golden interaction tests on a FakeClock: the Deployment controller's proportional scaling during a
// rollout and while paused, the ReplicaSet controller's ReplicaFailure condition, and the CronJob
// controller's active list and events (a manual Job from `kubectl create job --from=cronjob/NAME`).
// Each runs alone; the script plays the other components' parts (ReplicaSet status, Job completion).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as cronjob from '../../src/controllers/cronjob/index.js';
import { podTemplateHash } from '../../src/controllers/deployment/hash.js';
import * as deployment from '../../src/controllers/deployment/index.js';
import * as replicaset from '../../src/controllers/replicaset/index.js';
import type { TestApi } from '../helpers/apiserver.js';
import { createNamespace } from '../helpers/controllers.js';
import { startGolden } from '../helpers/golden.js';

type Obj = Record<string, any>;

async function ok(api: TestApi, method: string, path: string, body?: unknown, type?: string): Promise<Obj> {
  const r = await api.req(method, path, body, type ? { 'content-type': type } : {});
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

const merge = 'application/merge-patch+json';

test('Deployment: scaling mid-rollout and while paused splits replicas proportionally', async () => {
  const g = await startGolden([deployment]);
  const { api } = g;
  try {
    await createNamespace(api, 'dp');
    const base = '/apis/apps/v1/namespaces/dp';
    const d = await ok(api, 'POST', `${base}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', annotations: { 'kubernetes.io/change-cause': 'first' } },
      spec: {
        replicas: 10,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } },
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'v1' }] },
        },
      },
    });
    const a = `web-${podTemplateHash(d.spec.template)}`;
    await g.step('created', [
      `create rs ${a} replicas=10 desired=10 max=13 revision=1`,
      `event Deployment Normal ScalingReplicaSet: Scaled up replica set ${a} from 0 to 10`,
      'patch deployment web annotations={"deployment.kubernetes.io/revision":"1"}',
      'status deployment web {"unavailableReplicas":10} Available=False/MinimumReplicasUnavailable,Progressing=True/ReplicaSetUpdated',
    ]);
    const rsA = await ok(api, 'GET', `${base}/replicasets/${a}`);
    assert.equal(rsA.metadata.annotations['kubernetes.io/change-cause'], 'first');
    // The ReplicaSet controller's part: all ten available.
    rsA.status = { replicas: 10, readyReplicas: 10, availableReplicas: 10, observedGeneration: 1 };
    await ok(api, 'PUT', `${base}/replicasets/${a}/status`, rsA);
    await g.step('available', [
      'status deployment web {"replicas":10,"updatedReplicas":10,"availableReplicas":10} Available=True/MinimumReplicasAvailable,Progressing=True/NewReplicaSetAvailable',
    ]);

    const d2 = await ok(
      api,
      'PATCH',
      `${base}/deployments/web`,
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'v2' }] } } } },
      merge,
    );
    const b = `web-${podTemplateHash(d2.spec.template)}`;
    // Surge 3: the new ReplicaSet starts at 3, the old one goes to 8 (2 unavailable allowed), then the
    // new one takes the room that leaves.
    await g.step('rollout', [
      `create rs ${b} replicas=3 desired=10 max=13 revision=2`,
      `event Deployment Normal ScalingReplicaSet: Scaled up replica set ${b} from 0 to 3`,
      'patch deployment web annotations={"deployment.kubernetes.io/revision":"2"}',
      `update rs ${a} replicas=8 desired=10 max=13 revision=1`,
      `event Deployment Normal ScalingReplicaSet: Scaled down replica set ${a} from 10 to 8`,
      `update rs ${b} replicas=5 desired=10 max=13 revision=2`,
      `event Deployment Normal ScalingReplicaSet: Scaled up replica set ${b} from 3 to 5`,
      'status deployment web {"replicas":10,"availableReplicas":10} Available=True/MinimumReplicasAvailable,Progressing=True/ReplicaSetUpdated',
    ]);

    // 10 -> 20 mid-rollout: 23 allowed, 13 there; 8*23/13 ~ 14 and 5*23/13 ~ 9.
    await ok(api, 'PATCH', `${base}/deployments/web`, { spec: { replicas: 20 } }, merge);
    await g.step('scaled to 20', [
      `update rs ${a} replicas=14 desired=20 max=23 revision=1`,
      `event Deployment Normal ScalingReplicaSet: Scaled up replica set ${a} from 8 to 14`,
      `update rs ${b} replicas=9 desired=20 max=23 revision=2`,
      `event Deployment Normal ScalingReplicaSet: Scaled up replica set ${b} from 5 to 9`,
      'status deployment web {"replicas":10,"availableReplicas":10,"unavailableReplicas":10} Available=False/MinimumReplicasUnavailable,Progressing=True/ReplicaSetUpdated',
    ]);

    // Paused, then 20 -> 10: 13 allowed; 14*13/23 ~ 8 and 9*13/23 ~ 5.
    await ok(api, 'PATCH', `${base}/deployments/web`, { spec: { paused: true } }, merge);
    // The paused condition first, then the status of the paused sync (observedGeneration).
    await g.step('paused', [
      'status deployment web {"replicas":10,"availableReplicas":10,"unavailableReplicas":10} Available=False/MinimumReplicasUnavailable,Progressing=Unknown/DeploymentPaused',
      'status deployment web {"replicas":10,"availableReplicas":10,"unavailableReplicas":10} Available=False/MinimumReplicasUnavailable,Progressing=Unknown/DeploymentPaused',
    ]);
    await ok(api, 'PATCH', `${base}/deployments/web`, { spec: { replicas: 10 } }, merge);
    await g.step('scaled to 10 while paused', [
      `update rs ${a} replicas=8 desired=10 max=13 revision=1`,
      `event Deployment Normal ScalingReplicaSet: Scaled down replica set ${a} from 14 to 8`,
      `update rs ${b} replicas=5 desired=10 max=13 revision=2`,
      `event Deployment Normal ScalingReplicaSet: Scaled down replica set ${b} from 9 to 5`,
      'status deployment web {"replicas":10,"availableReplicas":10} Available=True/MinimumReplicasAvailable,Progressing=Unknown/DeploymentPaused',
    ]);
  } finally {
    await g.stop();
  }
});

test('ReplicaSet: a pod creation the API server refuses sets ReplicaFailure until it succeeds', async () => {
  const g = await startGolden([replicaset]);
  const { api } = g;
  try {
    await createNamespace(api, 'rf');
    const base = '/apis/apps/v1/namespaces/rf';
    await ok(api, 'POST', `${base}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rf' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'rf' } },
        template: { metadata: { labels: { app: 'rf' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    });
    await g.step('created', [
      'create pod rf-*',
      'event ReplicaSet Normal SuccessfulCreate: Created pod: rf-*',
      'status rs rf {"replicas":0,"readyReplicas":0,"availableReplicas":0}',
      'status rs rf {"replicas":1,"readyReplicas":0,"availableReplicas":0}',
    ]);
    // A terminating namespace refuses new pods; the ReplicaSet asks for one more.
    await ok(api, 'DELETE', '/api/v1/namespaces/rf');
    await ok(api, 'PATCH', `${base}/replicasets/rf`, { spec: { replicas: 2 } }, merge);
    const refused =
      'pod "rf-*" is forbidden: unable to create new content in namespace rf because it is being terminated';
    // Refused twice: the sync that sets the condition, and the one its status write wakes (which then
    // waits for the rate limiter, a clock that stands still here).
    await g.step('creation refused', [
      `event ReplicaSet Warning FailedCreate: Error creating: ${refused}`,
      `event ReplicaSet Warning FailedCreate: Error creating: ${refused}`,
      `status rs rf {"replicas":1,"readyReplicas":0,"availableReplicas":0} ReplicaFailure=True/FailedCreate "${refused}"`,
    ]);
    await ok(api, 'PATCH', `${base}/replicasets/rf`, { spec: { replicas: 1 } }, merge);
    await g.step('back to one', ['status rs rf {"replicas":1,"readyReplicas":0,"availableReplicas":0}']);
  } finally {
    await g.stop();
  }
});

test('CronJob: a scheduled run, a manual Job (UnexpectedJob) and SawCompletedJob', async () => {
  const g = await startGolden([cronjob]);
  const { api } = g;
  try {
    await createNamespace(api, 'cj');
    await ok(api, 'POST', '/apis/batch/v1/namespaces/cj/cronjobs', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick' },
      spec: {
        schedule: '*/1 * * * *',
        jobTemplate: {
          spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } },
        },
      },
    });
    await g.step('created', []);
    // 2026-01-01T00:01:00Z is minute 29453761 since the epoch.
    // The controller wakes 100 ms after the schedule time.
    await g.clock.tick(60_100);
    await g.step('first minute', [
      'create job tick-29453761 {"batch.kubernetes.io/cronjob-scheduled-timestamp":"2026-01-01T00:01:00Z"}',
      'event CronJob Normal SuccessfulCreate: Created job tick-29453761',
      'status cronjob tick active=[tick-29453761] lastSchedule=2026-01-01T00:01:00Z lastSuccessful=undefined',
    ]);
    // kubectl create job --from=cronjob/tick: the template, a controller reference and the annotation.
    const cj = await ok(api, 'GET', '/apis/batch/v1/namespaces/cj/cronjobs/tick');
    await ok(api, 'POST', '/apis/batch/v1/namespaces/cj/jobs', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'by-hand',
        annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata.uid, controller: true },
        ],
      },
      spec: cj.spec.jobTemplate.spec,
    });
    await g.step('manual job', [
      'event CronJob Warning UnexpectedJob: Saw a job that the controller did not create or forgot: by-hand',
    ]);
    // The Job controller's part: the scheduled Job completes.
    const j = await ok(api, 'GET', '/apis/batch/v1/namespaces/cj/jobs/tick-29453761');
    const at = new Date(g.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    j.status = {
      startTime: at,
      completionTime: at,
      succeeded: 1,
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: at, lastTransitionTime: at },
        { type: 'Complete', status: 'True', lastProbeTime: at, lastTransitionTime: at },
      ],
    };
    await ok(api, 'PUT', '/apis/batch/v1/namespaces/cj/jobs/tick-29453761/status', j);
    await g.step('completed', [
      'event CronJob Normal SawCompletedJob: Saw completed job: tick-29453761, status: Complete',
      `status cronjob tick active=[] lastSchedule=2026-01-01T00:01:00Z lastSuccessful=${at}`,
    ]);
  } finally {
    await g.stop();
  }
});
