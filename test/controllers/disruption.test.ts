// The disruption controller (PodDisruptionBudget status) and the legacy token controller against an
// in-process API server with the whole controller manager.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/client/index.js';
import { type ControllerManager, startControllerManager } from '../../src/controllers/manager.js';
import { generateSigningKeys } from '../../src/serviceaccount/keys.js';
import { TokenSigner } from '../../src/serviceaccount/tokens.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { createNamespace, eventually, setPodStatus } from '../helpers/controllers.js';

type Obj = Record<string, any>;

let api: TestApi;
let cm: ControllerManager;
const NS = 'pdb';
const signer = new TokenSigner(generateSigningKeys());

before(async () => {
  api = await startTestApi({ tokenSigner: signer });
  cm = startControllerManager({ baseUrl: api.url, log: silentLogger, config: { tokenSigner: signer } });
  await createNamespace(api, NS);
});
after(async () => {
  await cm.stop();
  await api.close();
});

const template = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

async function podsOf(app: string): Promise<Obj[]> {
  const r = await api.req('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3D${app}`);
  return r.body.items.filter((p: Obj) => !p.metadata.deletionTimestamp);
}

async function makeReady(pods: Obj[]): Promise<void> {
  for (const p of pods)
    await setPodStatus(api, p, {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
    });
}

async function createPdb(name: string, spec: Obj): Promise<void> {
  const r = await api.req('POST', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, {
    metadata: { name },
    spec,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

async function pdbStatus(name: string, want: (s: Obj) => boolean): Promise<Obj> {
  let last: Obj | undefined;
  try {
    return await eventually(`pdb ${name} status`, async () => {
      const p = (await api.req('GET', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${name}`)).body;
      last = p.status;
      return p.status && want(p.status) ? p : undefined;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status ${JSON.stringify(last)}`);
  }
}

const numbers = (s: Obj) => ({
  expectedPods: s.expectedPods,
  currentHealthy: s.currentHealthy,
  desiredHealthy: s.desiredHealthy,
  disruptionsAllowed: s.disruptionsAllowed,
});

describe('disruption controller', () => {
  test('minAvailable (int and percent) and maxUnavailable over a ReplicaSet; the condition follows', async () => {
    const rs = await api.req('POST', `/apis/apps/v1/namespaces/${NS}/replicasets`, {
      metadata: { name: 'web' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template('web') },
    });
    assert.equal(rs.status, 201);
    const pods = await eventually('3 pods', async () => {
      const p = await podsOf('web');
      return p.length === 3 ? p : undefined;
    });
    await makeReady(pods.slice(0, 2));
    await createPdb('min-int', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    await createPdb('min-pct', { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } });
    await createPdb('max-pct', { maxUnavailable: '34%', selector: { matchLabels: { app: 'web' } } });
    await createPdb('max-int', { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } });
    const a = await pdbStatus('min-int', (s) => s.currentHealthy === 2);
    assert.deepEqual(numbers(a.status), {
      expectedPods: 3,
      currentHealthy: 2,
      desiredHealthy: 1,
      disruptionsAllowed: 1,
    });
    assert.equal(a.status.observedGeneration, 1);
    const cond = a.status.conditions.find((c: Obj) => c.type === 'DisruptionAllowed');
    assert.deepEqual(
      { status: cond.status, reason: cond.reason, observedGeneration: cond.observedGeneration },
      { status: 'True', reason: 'SufficientPods', observedGeneration: 1 },
    );
    const b = await pdbStatus('min-pct', (s) => s.currentHealthy === 2);
    assert.deepEqual(numbers(b.status), {
      expectedPods: 3,
      currentHealthy: 2,
      desiredHealthy: 2,
      disruptionsAllowed: 0,
    });
    assert.equal(b.status.conditions[0].reason, 'InsufficientPods');
    const c = await pdbStatus('max-pct', (s) => s.currentHealthy === 2);
    // 34% of 3 rounds up to 2 unavailable: 1 must stay healthy.
    assert.deepEqual(numbers(c.status), {
      expectedPods: 3,
      currentHealthy: 2,
      desiredHealthy: 1,
      disruptionsAllowed: 1,
    });
    const d = await pdbStatus('max-int', (s) => s.currentHealthy === 2);
    assert.deepEqual(numbers(d.status), {
      expectedPods: 3,
      currentHealthy: 2,
      desiredHealthy: 2,
      disruptionsAllowed: 0,
    });

    // The third pod turns ready: one more disruption for everyone.
    await makeReady([pods[2]]);
    const b2 = await pdbStatus('min-pct', (s) => s.currentHealthy === 3);
    assert.equal(b2.status.disruptionsAllowed, 1);
    assert.equal(b2.status.conditions[0].reason, 'SufficientPods');

    // A spec change bumps the generation; the controller catches up.
    const cur = (await api.req('GET', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/min-int`)).body;
    cur.spec.minAvailable = 3;
    assert.equal(
      (await api.req('PUT', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/min-int`, cur)).status,
      200,
    );
    const a2 = await pdbStatus('min-int', (s) => s.observedGeneration === 2);
    assert.deepEqual(numbers(a2.status), {
      expectedPods: 3,
      currentHealthy: 3,
      desiredHealthy: 3,
      disruptionsAllowed: 0,
    });

    // Evictions through the API: refused while the budget allows none (one budget per pod, as upstream
    // requires), then allowed, and the controller counts the evicted pod as gone.
    for (const n of ['min-pct', 'max-pct', 'max-int'])
      await api.req('DELETE', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${n}`);
    const evict = () =>
      api.req('POST', `/api/v1/namespaces/${NS}/pods/${pods[0].metadata.name}/eviction`, {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: pods[0].metadata.name },
      });
    const refused = await evict();
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(
      refused.body.details.causes[0].message,
      'The disruption budget min-int needs 3 healthy pods and has 3 currently',
    );
    const again = (await api.req('GET', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/min-int`))
      .body;
    again.spec.minAvailable = 2;
    await api.req('PUT', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/min-int`, again);
    await pdbStatus('min-int', (x) => x.observedGeneration === 3 && x.disruptionsAllowed === 1);
    const ok = await evict();
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const after = await pdbStatus('min-int', (x) => x.currentHealthy === 2 && !x.disruptedPods);
    assert.equal(after.status.disruptionsAllowed, 0);
    await api.req('DELETE', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/min-int`);
    await api.req('DELETE', `/apis/apps/v1/namespaces/${NS}/replicasets/web`);
  });

  test('percentages over a Deployment use its replicas; a missing controller fails safe', async () => {
    const d = await api.req('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, {
      metadata: { name: 'api' },
      spec: { replicas: 4, selector: { matchLabels: { app: 'api' } }, template: template('api') },
    });
    assert.equal(d.status, 201);
    const pods = await eventually('4 pods', async () => {
      const p = await podsOf('api');
      return p.length === 4 ? p : undefined;
    });
    await makeReady(pods);
    await createPdb('api', { maxUnavailable: '25%', selector: { matchLabels: { app: 'api' } } });
    const s = await pdbStatus('api', (x) => x.currentHealthy === 4);
    assert.deepEqual(numbers(s.status), {
      expectedPods: 4,
      currentHealthy: 4,
      desiredHealthy: 3,
      disruptionsAllowed: 1,
    });

    // A pod controlled by something without a scale (here a ConfigMap) cannot be counted.
    const owner = await api.req('POST', `/api/v1/namespaces/${NS}/configmaps`, {
      metadata: { name: 'owner' },
    });
    const orphan = await api.req('POST', `/api/v1/namespaces/${NS}/pods`, {
      metadata: {
        name: 'lost',
        labels: { app: 'lost' },
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: 'owner',
            uid: owner.body.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    assert.equal(orphan.status, 201);
    await createPdb('lost', { maxUnavailable: 1, selector: { matchLabels: { app: 'lost' } } });
    const f = await pdbStatus('lost', (x) => x.conditions?.[0]?.reason === 'SyncFailed');
    assert.equal(f.status.disruptionsAllowed, 0);
    assert.equal(f.status.conditions[0].message, 'found no controllers for pod "lost"');
    assert.equal(f.status.conditions[0].status, 'False');
  });
});

describe('legacy service-account token controller', () => {
  test('fills a hand-made token Secret, which TokenReview accepts; deleting the account deletes it', async () => {
    const sa = await api.req('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, {
      metadata: { name: 'robot' },
    });
    assert.equal(sa.status, 201);
    const s = await api.req('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'robot-token', annotations: { 'kubernetes.io/service-account.name': 'robot' } },
      type: 'kubernetes.io/service-account-token',
    });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const filled = await eventually('token data', async () => {
      const x = (await api.req('GET', `/api/v1/namespaces/${NS}/secrets/robot-token`)).body;
      return x.data?.token ? x : undefined;
    });
    assert.equal(filled.metadata.annotations['kubernetes.io/service-account.uid'], sa.body.metadata.uid);
    assert.equal(Buffer.from(filled.data.namespace, 'base64').toString(), NS);
    assert.ok('ca.crt' in filled.data);
    const token = Buffer.from(filled.data.token, 'base64').toString();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(claims.iss, 'kubernetes/serviceaccount');
    assert.equal(claims['kubernetes.io/serviceaccount/secret.name'], 'robot-token');
    assert.equal(claims.sub, `system:serviceaccount:${NS}:robot`);
    const review = (t: string) =>
      api.req('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token: t },
      });
    const r = await review(token);
    assert.equal(r.body.status.authenticated, true, JSON.stringify(r.body));
    assert.equal(r.body.status.user.username, `system:serviceaccount:${NS}:robot`);

    await api.req('DELETE', `/api/v1/namespaces/${NS}/serviceaccounts/robot`);
    await eventually('secret deleted', async () =>
      (await api.req('GET', `/api/v1/namespaces/${NS}/secrets/robot-token`)).status === 404
        ? true
        : undefined,
    );
    assert.equal((await review(token)).body.status.authenticated, undefined);

    // A token Secret for an account that does not exist goes at once.
    await api.req('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'ghost-token', annotations: { 'kubernetes.io/service-account.name': 'ghost' } },
      type: 'kubernetes.io/service-account-token',
    });
    await eventually('ghost secret deleted', async () =>
      (await api.req('GET', `/api/v1/namespaces/${NS}/secrets/ghost-token`)).status === 404
        ? true
        : undefined,
    );
  });
});
