// Preemption end to end against the in-process API server: PriorityClasses resolved by admission,
// victims chosen as upstream, evicted with a DisruptionTarget condition and a Preempted event, the
// preemptor nominated and then bound. A stand-in for kubelets finishes graceful deletions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/client/log.js';
import { type RunningScheduler, startScheduler } from '../../src/scheduler/index.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { eventually } from '../helpers/eventually.js';
import { type DeletionFinisher, finishDeletions } from '../helpers/finish-deletions.js';
import { makeNode, makePod } from './fixtures.js';

describe('preemption against the API server', () => {
  let api: TestApi;
  let sched: RunningScheduler;
  let kubelets: DeletionFinisher;

  const post = async (path: string, body: Record<string, any>, status = 201) => {
    const r = await api.req('POST', path, body);
    assert.equal(r.status, status, JSON.stringify(r.body));
    return r.body;
  };
  const priorityClass = (name: string, value: number, extra: Record<string, unknown> = {}) =>
    post('/apis/scheduling.k8s.io/v1/priorityclasses', {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name },
      value,
      ...extra,
    });
  const pod = (
    name: string,
    opts: { cpu: string; cls: string; pool: string; node?: string; labels?: Record<string, string> },
  ) => {
    const p = makePod(name, { cpu: opts.cpu, nodeName: opts.node });
    delete p.metadata.creationTimestamp;
    p.metadata.labels = opts.labels ?? {};
    p.spec.priorityClassName = opts.cls;
    p.spec.nodeSelector = { pool: opts.pool };
    return post('/api/v1/namespaces/default/pods', p);
  };
  const getPod = async (name: string) =>
    (await api.req('GET', `/api/v1/namespaces/default/pods/${name}`)).body;
  const exists = async (name: string) =>
    (await api.req('GET', `/api/v1/namespaces/default/pods/${name}`)).status === 200;
  const boundNode = (name: string) =>
    eventually(`${name} bound`, async () => (await getPod(name)).spec?.nodeName as string | undefined);
  const node = (name: string, pool: string) =>
    post('/api/v1/nodes', makeNode(name, { cpu: '2', memory: '8Gi', labels: { pool } }));

  before(async () => {
    api = await startTestApi();
    kubelets = await finishDeletions(api.url);
    // Short backoff so the preemptor's retry after its victims are gone does not wait seconds.
    sched = startScheduler({
      baseUrl: api.url,
      log: silentLogger,
      queue: { initialBackoffMs: 50, maxBackoffMs: 200 },
    });
    await sched.ready;
    await priorityClass('low', 10);
    await priorityClass('mid', 500);
    await priorityClass('high', 1000);
    await priorityClass('high-never', 1000, { preemptionPolicy: 'Never' });
  });

  after(async () => {
    await sched.stop();
    await kubelets.stop();
    await api.close();
  });

  it('evicts the fewest lowest-priority victims and binds the preemptor where they were', async () => {
    await node('b1', 'basic');
    await node('b2', 'basic');
    await pod('low-a', { cpu: '1', cls: 'low', pool: 'basic', node: 'b1' });
    await pod('low-b', { cpu: '1', cls: 'low', pool: 'basic', node: 'b1' });
    await pod('mid', { cpu: '2', cls: 'mid', pool: 'basic', node: 'b2' });

    const preemptor = await pod('urgent', { cpu: '1', cls: 'high', pool: 'basic' });
    assert.equal(preemptor.spec.priority, 1000);
    assert.equal(await boundNode('urgent'), 'b1');
    const bound = await getPod('urgent');
    assert.equal(bound.status.nominatedNodeName, 'b1');

    // Exactly one low pod went; the higher-priority mid pod on b2 was never touched.
    const gone = await eventually('one victim gone', async () => {
      const left = [await exists('low-a'), await exists('low-b')];
      return left.filter((x) => !x).length === 1 ? left : undefined;
    });
    const victim = gone[0] ? 'low-b' : 'low-a';
    assert.ok(await exists('mid'));
    assert.equal(kubelets.finished.has('default/mid'), false);

    const last = kubelets.finished.get(`default/${victim}`);
    const dt = last?.status?.conditions?.find((c: any) => c.type === 'DisruptionTarget');
    assert.equal(dt?.status, 'True');
    assert.equal(dt?.reason, 'PreemptionByScheduler');
    assert.equal(dt?.message, 'default-scheduler: preempting to accommodate a higher priority pod');

    const ev = await eventually('Preempted event', async () => {
      const r = await api.req(
        'GET',
        `/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D${victim}`,
      );
      return r.body.items?.find((e: any) => e.reason === 'Preempted');
    });
    assert.equal(ev.type, 'Normal');
    assert.equal(ev.message, `Preempted by pod ${preemptor.metadata.uid} on node b1`);
    assert.ok(sched.scheduler.stats.preemptions >= 1);
  });

  it('prefers victims no PodDisruptionBudget protects', async () => {
    await node('p1', 'pdb');
    await node('p2', 'pdb');
    await pod('guarded', { cpu: '2', cls: 'low', pool: 'pdb', node: 'p1', labels: { app: 'guarded' } });
    await pod('plain', { cpu: '2', cls: 'mid', pool: 'pdb', node: 'p2' });
    await post('/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'guard' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } },
    });
    // No disruption controller runs here: the budget allows no disruption, as its status would say.
    const put = await api.req(
      'PATCH',
      '/apis/policy/v1/namespaces/default/poddisruptionbudgets/guard/status',
      { status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } },
      { 'content-type': 'application/merge-patch+json' },
    );
    assert.equal(put.status, 200, JSON.stringify(put.body));

    await pod('urgent-2', { cpu: '2', cls: 'high', pool: 'pdb' });
    assert.equal(await boundNode('urgent-2'), 'p2');
    assert.equal(await exists('guarded'), true);
    await eventually('plain evicted', async () => ((await exists('plain')) ? undefined : true));
  });

  it('does not preempt for a pod whose class says preemptionPolicy Never', async () => {
    await node('n1', 'never');
    await pod('occupant', { cpu: '2', cls: 'low', pool: 'never', node: 'n1' });
    const p = await pod('polite', { cpu: '2', cls: 'high-never', pool: 'never' });
    assert.equal(p.spec.preemptionPolicy, 'Never');
    const cond = await eventually('polite unschedulable', async () =>
      (await getPod('polite')).status?.conditions?.find((c: any) => c.type === 'PodScheduled'),
    );
    assert.equal(cond.reason, 'Unschedulable');
    assert.match(cond.message, /preemption: not eligible due to preemptionPolicy=Never\.$/);
    assert.equal(await exists('occupant'), true);
  });
});
