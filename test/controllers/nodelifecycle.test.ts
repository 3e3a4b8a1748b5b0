// Node lifecycle, taint eviction and pod GC against an in-process API server on a FakeClock shared with
// the server's timestamps: grace periods, condition reasons, NoSchedule/NoExecute taints and their times,
// eviction after tolerationSeconds, per-zone rate limits, master disruption mode, orphaned pods.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeClock, silentLogger } from '../../src/client/index.js';
import { type ControllerManager, startControllerManager } from '../../src/controllers/manager.js';
import { computeZoneState } from '../../src/controllers/nodelifecycle/health.js';
import { TokenBucket, ZoneTainter } from '../../src/controllers/nodelifecycle/tainter.js';
import { tolerationTimeMs } from '../../src/controllers/tainteviction/index.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { createNamespace, eventually, setPodStatus } from '../helpers/controllers.js';

type Obj = Record<string, any>;

const T0 = Date.parse('2025-01-01T00:00:00Z');
const clock = new FakeClock(T0);
let api: TestApi;
let cm: ControllerManager;
const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');
const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Nodes whose "kubelet" renews its Lease as time passes. */
const alive = new Set<string>();

before(async () => {
  api = await startTestApi({ now: () => new Date(clock.now()) });
  cm = startControllerManager({
    baseUrl: api.url,
    log: silentLogger,
    clock,
    config: {
      podGC: { periodMs: 20_000, quarantineMs: 40_000 },
      // Zones of more than 4 nodes count as large here, so the secondary rate shows with few nodes.
      nodeLifecycle: { largeClusterSizeThreshold: 4 },
    },
  });
  await createNamespace(api, 'nl');
  // Let the informers sync and the first monitor pass run at T0.
  await realSleep(300);
});

after(async () => {
  await cm.stop();
  await api.close();
});

async function renewLease(name: string): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;
  const cur = (await api.req('GET', path)).body;
  cur.spec.renewTime = micro(clock.now());
  const r = await api.req('PUT', path, cur);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

/** Moves the fake clock in steps, renewing live nodes' Leases and letting the controllers catch up. */
async function advance(ms: number, stepMs = 1000): Promise<void> {
  for (let left = ms; left > 0; left -= stepMs) {
    await clock.tick(Math.min(stepMs, left));
    for (const n of alive) await renewLease(n);
    await realSleep(40);
  }
}

async function advanceTo(at: number, stepMs = 1000): Promise<void> {
  await advance(at - clock.now(), stepMs);
}

async function createNode(name: string, zone: string, live = true): Promise<void> {
  const hb = ts(clock.now());
  const cond = (type: string, status: string) => ({
    type,
    status,
    lastHeartbeatTime: hb,
    lastTransitionTime: hb,
    reason: `Kubelet${type}`,
    message: 'posted by the test',
  });
  const r = await api.req('POST', '/api/v1/nodes', {
    metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
    status: {
      conditions: [
        cond('MemoryPressure', 'False'),
        cond('DiskPressure', 'False'),
        cond('PIDPressure', 'False'),
        cond('Ready', 'True'),
      ],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const l = await api.req('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
    metadata: { name },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: micro(clock.now()) },
  });
  assert.equal(l.status, 201, JSON.stringify(l.body));
  if (live) alive.add(name);
}

async function getNode(name: string): Promise<Obj> {
  return (await api.req('GET', `/api/v1/nodes/${name}`)).body;
}

async function deleteNodes(...names: string[]): Promise<void> {
  for (const n of names) {
    alive.delete(n);
    await api.req('DELETE', `/api/v1/nodes/${n}`);
    await api.req('DELETE', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n}`);
  }
}

/** The kubelet posts a fresh Ready heartbeat. */
async function postReady(name: string, status = 'True'): Promise<void> {
  const n = await getNode(name);
  for (const c of n.status.conditions) {
    c.lastHeartbeatTime = ts(clock.now());
    if (c.type === 'Ready') {
      if (c.status !== status) c.lastTransitionTime = ts(clock.now());
      c.status = status;
      c.reason = status === 'True' ? 'KubeletReady' : 'KubeletNotReady';
    } else c.status = 'False';
  }
  const r = await api.req('PUT', `/api/v1/nodes/${name}/status`, n);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

const taintsOf = (n: Obj) =>
  (n.spec?.taints ?? []).map((t: Obj) => `${t.key}:${t.effect}@${t.timeAdded ?? ''}`).sort();

async function createPod(name: string, node: string, tolerations?: Obj[]): Promise<Obj> {
  const r = await api.req('POST', '/api/v1/namespaces/nl/pods', {
    metadata: { name },
    spec: {
      nodeName: node,
      containers: [{ name: 'c', image: 'busybox' }],
      ...(tolerations ? { tolerations } : {}),
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return setPodStatus(api, r.body, {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ts(clock.now()) }],
  });
}

async function getPod(name: string): Promise<Obj | undefined> {
  const r = await api.req('GET', `/api/v1/namespaces/nl/pods/${name}`);
  return r.status === 404 ? undefined : r.body;
}

const terminating = async (name: string) => {
  const p = await getPod(name);
  return !p || Boolean(p.metadata.deletionTimestamp);
};

describe('node lifecycle units', () => {
  test('zone states as upstream computes them', () => {
    const r = (s: string) => ({ status: s });
    assert.equal(computeZoneState([r('True'), r('Unknown')], 0.55), 'Normal');
    assert.equal(computeZoneState([r('Unknown'), r('False')], 0.55), 'FullDisruption');
    assert.equal(
      computeZoneState([r('True'), r('Unknown'), r('Unknown'), r('False')], 0.55),
      'PartialDisruption',
    );
    assert.equal(
      computeZoneState([r('True'), r('True'), r('Unknown'), r('Unknown'), r('Unknown'), r('True')], 0.55),
      'Normal',
    );
  });

  test('token bucket: burst 1, refill at qps, qps 0 never', () => {
    const b = new TokenBucket(0.1, 0);
    assert.equal(b.tryAccept(0), true);
    assert.equal(b.tryAccept(9_999), false);
    assert.equal(b.msUntilToken(9_999), 1);
    assert.equal(b.tryAccept(10_000), true);
    assert.equal(new TokenBucket(0, 0).tryAccept(1e9), false);
    const t = new ZoneTainter(0.1, 0);
    assert.equal(t.add('a', 0), true);
    assert.equal(t.add('a', 0), false);
    assert.equal(t.remove('a'), true);
    assert.equal(t.add('a', 0), true);
  });

  test('toleration time: untolerated, forever, smallest seconds', () => {
    const taint = { key: 'k', effect: 'NoExecute' };
    assert.equal(tolerationTimeMs([taint], []), undefined);
    assert.equal(tolerationTimeMs([taint], [{ key: 'k', operator: 'Exists' }]), -1);
    assert.equal(
      tolerationTimeMs(
        [taint, { key: 'j', effect: 'NoExecute' }],
        [
          { key: 'k', operator: 'Exists', tolerationSeconds: 30 },
          { key: 'j', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 20 },
        ],
      ),
      20_000,
    );
    assert.equal(tolerationTimeMs([{ ...taint, value: 'v' }], [{ key: 'k', value: 'w' }]), undefined);
    assert.equal(tolerationTimeMs([taint], [{ operator: 'Exists', tolerationSeconds: -5 }]), 0);
  });
});

describe('node lifecycle controller', () => {
  test('admission adds 300 s not-ready/unreachable tolerations and the default service account', async () => {
    const r = await api.req('POST', '/api/v1/namespaces/nl/pods', {
      metadata: { name: 'adm' },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        tolerations: [
          {
            key: 'node.kubernetes.io/unreachable',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 5,
          },
        ],
      },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.spec.serviceAccountName, 'default');
    assert.deepEqual(r.body.spec.tolerations, [
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 5,
      },
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
    await api.req('DELETE', '/api/v1/namespaces/nl/pods/adm');
  });

  test('cordon adds the unschedulable NoSchedule taint; uncordon removes it', async () => {
    await createNode('c1', 'zc');
    const t = clock.now();
    const r = await api.req(
      'PATCH',
      '/api/v1/nodes/c1',
      { spec: { unschedulable: true } },
      { 'content-type': 'application/merge-patch+json' },
    );
    assert.equal(r.status, 200);
    await eventually('unschedulable taint', async () => {
      const n = await getNode('c1');
      return taintsOf(n).join() === `node.kubernetes.io/unschedulable:NoSchedule@${ts(t)}` ? n : undefined;
    });
    await api.req(
      'PATCH',
      '/api/v1/nodes/c1',
      { spec: { unschedulable: false } },
      { 'content-type': 'application/merge-patch+json' },
    );
    await eventually('no taints', async () => ((await getNode('c1')).spec.taints ? undefined : true));
    await deleteNodes('c1');
  });

  test('a silent node: Unknown after the grace period, unreachable taints, pods evicted after their tolerations, back to Ready', async () => {
    await createNode('a1', 'za', false);
    await createNode('a2', 'za');
    await createPod('tol-default', 'a1');
    await createPod('tol-30', 'a1', [
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 30,
      },
    ]);
    await createPod('tol-forever', 'a1', [{ operator: 'Exists' }]);
    // The controller first sees a1 on its next 5 s pass; 50 s of silence after that, Ready turns Unknown.
    const t = clock.now();
    await advance(50_000);
    let n = await getNode('a1');
    assert.equal(
      n.status.conditions.find((c: Obj) => c.type === 'Ready').status,
      'True',
      'still Ready at the grace period',
    );
    await advance(10_000);
    n = await eventually('a1 Unknown', async () => {
      const x = await getNode('a1');
      return x.status.conditions.find((c: Obj) => c.type === 'Ready').status === 'Unknown' ? x : undefined;
    });
    const unknownAt = Date.parse(n.status.conditions.find((c: Obj) => c.type === 'Ready').lastTransitionTime);
    assert.ok(unknownAt > t + 50_000 && unknownAt <= t + 60_000, `Unknown at +${unknownAt - t} ms`);
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']) {
      const c = n.status.conditions.find((x: Obj) => x.type === type);
      assert.deepEqual(
        { status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime },
        {
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastTransitionTime: ts(unknownAt),
        },
        type,
      );
    }
    assert.equal((await getNode('a2')).status.conditions.find((c: Obj) => c.type === 'Ready').status, 'True');
    await eventually('pods marked not ready', async () => {
      const p = await getPod('tol-forever');
      return p?.status.conditions.find((x: Obj) => x.type === 'Ready')?.status === 'False' ? true : undefined;
    });
    // NoSchedule at once on the status change; NoExecute on the next monitor pass (upstream reads the
    // condition it observed before its own update), the zone's limiter having a token.
    await advanceTo(unknownAt + 5000);
    n = await eventually('unreachable taints', async () => {
      const x = await getNode('a1');
      return (x.spec.taints ?? []).length === 2 ? x : undefined;
    });
    const byEffect = Object.fromEntries(n.spec.taints.map((x: Obj) => [x.effect, x]));
    assert.equal(byEffect.NoSchedule.key, 'node.kubernetes.io/unreachable');
    assert.equal(byEffect.NoSchedule.timeAdded, ts(unknownAt));
    assert.equal(byEffect.NoExecute.key, 'node.kubernetes.io/unreachable');
    const taintedAt = Date.parse(byEffect.NoExecute.timeAdded);
    assert.equal(taintedAt, unknownAt + 5000);

    await advanceTo(taintedAt + 29_000);
    assert.equal(await terminating('tol-30'), false, 'tolerated for 30 s');
    await advanceTo(taintedAt + 31_000);
    const evicted = await eventually('tol-30 evicted', async () => {
      const p = await getPod('tol-30');
      return !p || p.metadata.deletionTimestamp ? (p ?? {}) : undefined;
    });
    if (evicted.status) {
      const dt = evicted.status.conditions.find((c: Obj) => c.type === 'DisruptionTarget');
      assert.deepEqual(
        { status: dt.status, reason: dt.reason, message: dt.message },
        {
          status: 'True',
          reason: 'DeletionByTaintManager',
          message: 'Taint manager: deleting due to NoExecute taint',
        },
      );
    }
    assert.equal(await terminating('tol-default'), false);
    await advanceTo(taintedAt + 295_000, 5000);
    await advanceTo(taintedAt + 299_000);
    assert.equal(await terminating('tol-default'), false, 'default toleration: 300 s');
    await advanceTo(taintedAt + 301_000);
    await eventually('tol-default evicted', async () =>
      (await terminating('tol-default')) ? true : undefined,
    );
    assert.equal(await terminating('tol-forever'), false, 'tolerates forever');

    // The kubelet is back: Ready, and both taints go.
    await postReady('a1');
    alive.add('a1');
    await advance(5000);
    await eventually('a1 untainted', async () => ((await getNode('a1')).spec.taints ? undefined : true));
    await deleteNodes('a1', 'a2');
    for (const p of ['tol-default', 'tol-30', 'tol-forever'])
      await api.req('DELETE', `/api/v1/namespaces/nl/pods/${p}`, { gracePeriodSeconds: 0 });
  });

  test('a NotReady kubelet gets not-ready taints; a NoExecute taint evicts untolerating pods at once', async () => {
    await createNode('b1', 'zb');
    await createNode('b2', 'zb');
    await createPod('plain', 'b1');
    await createPod('tol-dedicated-20', 'b1', [
      { key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 20 },
    ]);
    await createPod('tol-dedicated', 'b1', [{ key: 'dedicated', operator: 'Exists' }]);
    const n = await getNode('b1');
    n.spec ??= {};
    n.spec.taints = [{ key: 'dedicated', value: 'x', effect: 'NoExecute' }];
    assert.equal((await api.req('PUT', '/api/v1/nodes/b1', n)).status, 200);
    await eventually('plain evicted at once', async () => ((await terminating('plain')) ? true : undefined));
    await advance(19_000);
    assert.equal(await terminating('tol-dedicated-20'), false);
    await advance(2000);
    await eventually('tol-dedicated-20 evicted', async () =>
      (await terminating('tol-dedicated-20')) ? true : undefined,
    );
    assert.equal(await terminating('tol-dedicated'), false);

    alive.delete('b1');
    await postReady('b1', 'False');
    await eventually(
      'not-ready taints',
      async () => {
        const keys = taintsOf(await getNode('b1')).map((s: string) => s.split('@')[0]);
        return keys.includes('node.kubernetes.io/not-ready:NoExecute') &&
          keys.includes('node.kubernetes.io/not-ready:NoSchedule')
          ? true
          : undefined;
      },
      { step: () => advance(1000) },
    );
    await deleteNodes('b1', 'b2');
    for (const p of ['plain', 'tol-dedicated-20', 'tol-dedicated'])
      await api.req('DELETE', `/api/v1/namespaces/nl/pods/${p}`, { gracePeriodSeconds: 0 });
  });

  test('rate limits: 0.1 nodes/s in a normal zone, 0.01 in a large partially disrupted one, none in a small one, none when all zones are down', async () => {
    for (const n of ['r1', 'r2', 'r3', 'r4', 'r5'])
      await createNode(n, 'zr', n === 'r3' || n === 'r4' || n === 'r5');
    for (const n of ['p1', 'p2', 'p3', 'p4']) await createNode(n, 'zp', n === 'p4');
    for (const n of ['q1', 'q2', 'q3', 'q4', 'q5']) await createNode(n, 'zq', n === 'q5');
    await advance(1000);
    alive.delete('r1');
    alive.delete('r2');
    for (const n of ['p1', 'p2', 'p3', 'q1', 'q2', 'q3', 'q4']) alive.delete(n);
    // Silent from here (their last renewals were just now).
    await advance(75_000);
    const noExecute = async (name: string) =>
      ((await getNode(name)).spec.taints ?? []).find((t: Obj) => t.effect === 'NoExecute');
    const r = await eventually('r1 and r2 tainted', async () => {
      const a = await noExecute('r1');
      const b = await noExecute('r2');
      return a && b ? [a, b] : undefined;
    });
    const times = r.map((t) => Date.parse(t.timeAdded)).sort((a, b) => a - b);
    assert.equal(times[1] - times[0], 10_000, 'one node per 10 s');
    for (const p of ['p1', 'p2', 'p3']) {
      assert.equal(await noExecute(p), undefined, `${p}: partial disruption of a small zone stops evictions`);
      const keys = taintsOf(await getNode(p)).map((s: string) => s.split('@')[0]);
      assert.deepEqual(keys, ['node.kubernetes.io/unreachable:NoSchedule']);
    }
    // zq: 4 of 5 down, more than the large-cluster threshold: one node per 100 s.
    const qTainted = async () => {
      const out: number[] = [];
      for (const q of ['q1', 'q2', 'q3', 'q4']) {
        const t = await noExecute(q);
        if (t) out.push(Date.parse(t.timeAdded));
      }
      return out.sort((a, b) => a - b);
    };
    const first = await eventually('one q node tainted', async () =>
      (await qTainted()).length === 1 ? await qTainted() : undefined,
    );
    await advanceTo(first[0] + 99_000, 5000);
    assert.equal((await qTainted()).length, 1, 'the next token is 100 s away');
    await advanceTo(first[0] + 101_000);
    const two = await eventually('two q nodes tainted', async () => {
      const q = await qTainted();
      return q.length === 2 ? q : undefined;
    });
    assert.equal(two[1] - two[0], 100_000);
    // Now every node goes silent: master disruption mode removes the NoExecute taints.
    alive.clear();
    await advance(60_000, 5000);
    await eventually(
      'no NoExecute taints anywhere',
      async () => {
        for (const n of ['r1', 'r2', 'r3', 'r4', 'r5', 'q1', 'q2']) if (await noExecute(n)) return undefined;
        return true;
      },
      { step: () => advance(1000) },
    );
    // Three of five return: the zone is Normal again, at 0.1 nodes/s.
    for (const n of ['r3', 'r4', 'r5']) {
      await postReady(n);
      alive.add(n);
    }
    await advance(10_000);
    await eventually('r1 tainted again', async () => ((await noExecute('r1')) ? true : undefined), {
      step: () => advance(1000),
    });
    await deleteNodes('r1', 'r2', 'r3', 'r4', 'r5', 'p1', 'p2', 'p3', 'p4', 'q1', 'q2', 'q3', 'q4', 'q5');
  });

  test('pods of a deleted node are marked Failed and deleted after the 40 s quarantine', async () => {
    await createNode('g1', 'zg');
    await createNode('g2', 'zg');
    await createPod('orphan', 'g1');
    await deleteNodes('g1');
    await advance(30_000);
    assert.ok(await getPod('orphan'), 'kept during the quarantine');
    await advance(40_000);
    await eventually('orphan deleted', async () => ((await getPod('orphan')) ? undefined : true));
    await deleteNodes('g2');
  });
});
