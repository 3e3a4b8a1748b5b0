// The Deployment controller with the ReplicaSet controller and garbage collector behind it, against an
// in-process API server. No kubelet runs: readiness is set through the pods' status subresource.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RestClient, SharedInformerFactory, silentLogger } from '../../src/client/index.js';
import { podTemplateHash } from '../../src/controllers/deployment/hash.js';
import { surgeAndUnavailable } from '../../src/controllers/deployment/index.js';
import { type ControllerManager, startControllerManager } from '../../src/controllers/manager.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { eventually } from '../helpers/eventually.js';

type Obj = Record<string, any>;

const PODS_REF = { group: '', version: 'v1', plural: 'pods', namespaced: true };

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

function deployment(name: string, image: string, strategy: Obj): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 3,
      strategy,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
    },
  };
}

async function setup(ns: string, d: Obj): Promise<Obj> {
  assert.equal((await api.req('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status, 201);
  const r = await api.req('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, d);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function replicaSets(ns: string): Promise<Obj[]> {
  return (await api.req('GET', `/apis/apps/v1/namespaces/${ns}/replicasets`)).body.items;
}

async function livePods(ns: string): Promise<Obj[]> {
  const items: Obj[] = (await api.req('GET', `/api/v1/namespaces/${ns}/pods`)).body.items;
  return items.filter((p) => !p.metadata.deletionTimestamp);
}

async function setImage(ns: string, name: string, image: string): Promise<void> {
  const r = await api.req(
    'PATCH',
    `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
    { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } },
    { 'content-type': 'application/strategic-merge-patch+json' },
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

test('maxSurge/maxUnavailable resolve like upstream (surge rounds up, unavailable down)', () => {
  const d = (ru: Obj) => ({ spec: { strategy: { type: 'RollingUpdate', rollingUpdate: ru } } });
  assert.deepEqual(surgeAndUnavailable(d({ maxSurge: '25%', maxUnavailable: '25%' }), 3), {
    surge: 1,
    unavailable: 0,
  });
  assert.deepEqual(surgeAndUnavailable(d({ maxSurge: 0, maxUnavailable: 0 }), 3), {
    surge: 0,
    unavailable: 1,
  });
  assert.deepEqual(surgeAndUnavailable(d({ maxSurge: '50%', maxUnavailable: 2 }), 10), {
    surge: 5,
    unavailable: 2,
  });
  assert.match(podTemplateHash({ a: 1 }), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(podTemplateHash({ a: 1, b: 2 }), podTemplateHash({ b: 2, a: 1 }));
});

test('a Deployment gets a ReplicaSet and pods; a new template rolls to a new ReplicaSet', async () => {
  const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 3 } };
  const d = await setup('dep1', deployment('web', 'nginx:1', strategy));
  const [rs1] = await eventually('first replica set', async () => {
    const l = await replicaSets('dep1');
    return l.length === 1 && l[0].spec.replicas === 3 ? l : undefined;
  });
  const hash = rs1.metadata.labels['pod-template-hash'];
  assert.equal(rs1.metadata.name, `web-${hash}`);
  assert.equal(rs1.metadata.annotations['deployment.kubernetes.io/revision'], '1');
  assert.equal(rs1.metadata.ownerReferences[0].uid, d.metadata.uid);
  assert.equal(rs1.spec.selector.matchLabels['pod-template-hash'], hash);
  await eventually('3 pods', async () => ((await livePods('dep1')).length === 3 ? true : undefined));

  await setImage('dep1', 'web', 'nginx:2');
  const rs2 = await eventually('rolled to the new replica set', async () => {
    const l = await replicaSets('dep1');
    const fresh = l.find((rs) => rs.metadata.name !== rs1.metadata.name);
    const old = l.find((rs) => rs.metadata.name === rs1.metadata.name);
    return fresh?.spec.replicas === 3 && old?.spec.replicas === 0 ? fresh : undefined;
  });
  assert.equal(rs2.metadata.annotations['deployment.kubernetes.io/revision'], '2');
  assert.equal(rs2.spec.template.spec.containers[0].image, 'nginx:2');
  const pods = await eventually('new pods only', async () => {
    const p = await livePods('dep1');
    return p.length === 3 && p.every((x) => x.spec.containers[0].image === 'nginx:2') ? p : undefined;
  });
  assert.equal(pods.length, 3);
  const dep = await eventually('status', async () => {
    const x = (await api.req('GET', '/apis/apps/v1/namespaces/dep1/deployments/web')).body;
    return x.status?.observedGeneration === x.metadata.generation && x.status?.updatedReplicas === 3
      ? x
      : undefined;
  });
  assert.equal(dep.metadata.annotations['deployment.kubernetes.io/revision'], '2');

  // Back to the first template: the old ReplicaSet is reused and becomes revision 3.
  await setImage('dep1', 'web', 'nginx:1');
  await eventually('rolled back', async () => {
    const l = await replicaSets('dep1');
    const back = l.find((rs) => rs.metadata.name === rs1.metadata.name);
    return back?.spec.replicas === 3 && back.metadata.annotations['deployment.kubernetes.io/revision'] === '3'
      ? true
      : undefined;
  });
});

test('a rolling update keeps maxUnavailable: old pods go only as new ones become available', async () => {
  const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
  await setup('dep2', deployment('api', 'nginx:1', strategy));
  const ready = async () => {
    for (const p of await livePods('dep2')) {
      if (p.status?.conditions?.some((c: Obj) => c.type === 'Ready')) continue;
      p.status = {
        ...p.status,
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
      };
      await api.req('PUT', `/api/v1/namespaces/dep2/pods/${p.metadata.name}/status`, p);
    }
  };
  await eventually('3 pods', async () => ((await livePods('dep2')).length === 3 ? true : undefined));
  await ready();
  await eventually('available', async () => {
    const x = (await api.req('GET', '/apis/apps/v1/namespaces/dep2/deployments/api')).body;
    return x.status?.availableReplicas === 3 ? true : undefined;
  });
  await setImage('dep2', 'api', 'nginx:2');
  // Without readiness of the new pod, no old pod may go: 3 old + 1 surge.
  await eventually('surge pod', async () => ((await livePods('dep2')).length === 4 ? true : undefined));
  await new Promise((r) => setTimeout(r, 200));
  const stalled = await livePods('dep2');
  assert.equal(stalled.filter((p) => p.spec.containers[0].image === 'nginx:1').length, 3);
  // Marking pods ready lets the rollout finish.
  await eventually('rollout done', async () => {
    await ready();
    const p = await livePods('dep2');
    return p.length === 3 && p.every((x) => x.spec.containers[0].image === 'nginx:2') ? true : undefined;
  });
});

test('Recreate scales the old ReplicaSet to zero before the new one starts', async () => {
  await setup('dep3', deployment('job', 'nginx:1', { type: 'Recreate' }));
  await eventually('3 pods', async () => ((await livePods('dep3')).length === 3 ? true : undefined));
  await setImage('dep3', 'job', 'nginx:2');
  await eventually('recreated', async () => {
    const p = await livePods('dep3');
    return p.length === 3 && p.every((x) => x.spec.containers[0].image === 'nginx:2') ? true : undefined;
  });
});

test('deleting a Deployment in the background removes its ReplicaSets and pods', async () => {
  await setup('dep4', deployment('gone', 'nginx:1', { type: 'Recreate' }));
  await eventually('3 pods', async () => ((await livePods('dep4')).length === 3 ? true : undefined));
  const r = await api.req('DELETE', '/apis/apps/v1/namespaces/dep4/deployments/gone', {
    propagationPolicy: 'Background',
  });
  assert.equal(r.status, 200);
  await eventually('all gone', async () =>
    (await replicaSets('dep4')).length === 0 && (await livePods('dep4')).length === 0 ? true : undefined,
  );
});

test('a rollout that makes no progress for progressDeadlineSeconds reports ProgressDeadlineExceeded', async () => {
  const d = deployment('slow', 'nginx:1', {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
  });
  d.spec.progressDeadlineSeconds = 1;
  await setup('dep5', d);
  // No kubelet: the pods never become available, so the rollout cannot complete.
  const cond = await eventually('deadline exceeded', async () => {
    const x = (await api.req('GET', '/apis/apps/v1/namespaces/dep5/deployments/slow')).body;
    const c = x.status?.conditions?.find((k: Obj) => k.type === 'Progressing');
    return c?.status === 'False' ? c : undefined;
  });
  assert.equal(cond.reason, 'ProgressDeadlineExceeded');
  assert.match(cond.message, /^ReplicaSet "slow-\w+" has timed out progressing\.$/);
});

test('a paused Deployment scales but does not roll until resumed', async () => {
  await setup('dep6', deployment('p', 'nginx:1', { type: 'Recreate' }));
  await eventually('3 pods', async () => ((await livePods('dep6')).length === 3 ? true : undefined));
  const patch = async (body: Obj) => {
    const r = await api.req('PATCH', '/apis/apps/v1/namespaces/dep6/deployments/p', body, {
      'content-type': 'application/merge-patch+json',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  await patch({ spec: { paused: true } });
  await setImage('dep6', 'p', 'nginx:2');
  await patch({ spec: { replicas: 2 } });
  await eventually('scaled while paused', async () =>
    (await livePods('dep6')).length === 2 ? true : undefined,
  );
  assert.equal((await replicaSets('dep6')).length, 1, 'no new ReplicaSet while paused');
  await patch({ spec: { paused: false } });
  await eventually('rolled after resume', async () => {
    const p = await livePods('dep6');
    return p.length === 2 && p.every((x) => x.spec.containers[0].image === 'nginx:2') ? true : undefined;
  });
});

test('a rolling update never breaks maxSurge or maxUnavailable at any observed moment', async () => {
  const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
  const d = deployment('inv', 'nginx:1', strategy);
  d.spec.replicas = 4;
  await setup('dep7', d);
  // Stand-in kubelet on a watch: every new pod becomes Ready; the same stream checks the bounds.
  const rest = new RestClient({ baseUrl: api.url });
  const factory = new SharedInformerFactory(rest, { namespace: 'dep7', log: silentLogger });
  const pods = factory.informerFor<Obj>(PODS_REF);
  let armed = false;
  let maxLive = 0;
  let minReady = Number.POSITIVE_INFINITY;
  const observe = () => {
    const live = pods.store.list().filter((p) => !p.metadata.deletionTimestamp);
    const ready = live.filter((p) => p.status?.conditions?.some((c: Obj) => c.type === 'Ready')).length;
    maxLive = Math.max(maxLive, live.length);
    if (armed) minReady = Math.min(minReady, ready);
  };
  const markReady = (p: Obj) => {
    observe();
    if (p.metadata.deletionTimestamp || p.status?.conditions?.length) return;
    const next = structuredClone(p);
    next.status = {
      ...next.status,
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
    };
    rest
      .resource<Obj>(PODS_REF)
      .in('dep7')
      .updateStatus(next)
      .catch(() => {});
  };
  pods.addEventHandler({ onAdd: markReady, onUpdate: (_o, p) => markReady(p), onDelete: observe });
  factory.start();
  try {
    await eventually('available', async () => {
      const x = (await api.req('GET', '/apis/apps/v1/namespaces/dep7/deployments/inv')).body;
      return x.status?.availableReplicas === 4 ? true : undefined;
    });
    armed = true;
    observe();
    await setImage('dep7', 'inv', 'nginx:2');
    await eventually('rolled', async () => {
      const x = (await api.req('GET', '/apis/apps/v1/namespaces/dep7/deployments/inv')).body;
      const p = await livePods('dep7');
      return x.status?.updatedReplicas === 4 &&
        x.status?.availableReplicas === 4 &&
        p.length === 4 &&
        p.every((q) => q.spec.containers[0].image === 'nginx:2')
        ? true
        : undefined;
    });
    // Observed in runs: 5 live at most (the surge is used) and 4 ready at least.
    assert.ok(maxLive <= 5, `at most replicas + maxSurge pods at once, saw ${maxLive}`);
    assert.ok(minReady >= 3, `at least replicas - maxUnavailable ready at once, saw ${minReady}`);
  } finally {
    await factory.stop();
    rest.close();
  }
});
