// The scheduler against the in-process API server: Node objects (no kubelets), pods created over REST.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/client/log.js';
import { type RunningScheduler, startScheduler } from '../../src/scheduler/index.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { eventually } from '../helpers/eventually.js';
import { makeNode, makePod } from './fixtures.js';

describe('scheduler against the API server', () => {
  let api: TestApi;
  let sched: RunningScheduler;

  const createNode = async (node: Record<string, any>) => {
    const r = await api.req('POST', '/api/v1/nodes', node);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  const createPod = async (pod: Record<string, any>, ns = 'default') => {
    delete pod.metadata.creationTimestamp;
    const r = await api.req('POST', `/api/v1/namespaces/${ns}/pods`, pod);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  const getPod = async (name: string, ns = 'default') =>
    (await api.req('GET', `/api/v1/namespaces/${ns}/pods/${name}`)).body;
  const boundNode = (name: string) =>
    eventually(`${name} bound`, async () => (await getPod(name)).spec?.nodeName as string | undefined);

  before(async () => {
    api = await startTestApi();
    sched = startScheduler({ baseUrl: api.url, log: silentLogger });
    await sched.ready;
  });

  after(async () => {
    await sched.stop();
    await api.close();
  });

  it('spreads pods by LeastAllocated, honours nodeSelector and taints', async () => {
    await createNode(makeNode('n1', { cpu: '4', memory: '8Gi', labels: { disk: 'ssd' } }));
    await createNode(makeNode('n2', { cpu: '4', memory: '8Gi' }));
    await createNode(
      makeNode('n3', {
        cpu: '4',
        memory: '8Gi',
        taints: [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }],
      }),
    );
    for (let i = 0; i < 6; i++) await createPod(makePod(`web-${i}`, { cpu: '1', memory: '1Gi' }));
    const placed: Record<string, number> = {};
    for (let i = 0; i < 6; i++) {
      const n = await boundNode(`web-${i}`);
      placed[n] = (placed[n] ?? 0) + 1;
    }
    assert.deepEqual(placed, { n1: 3, n2: 3 }); // evenly spread, never the tainted n3

    await createPod(makePod('ssd', { nodeSelector: { disk: 'ssd' } }));
    assert.equal(await boundNode('ssd'), 'n1');
    await createPod(
      makePod('gpu', {
        tolerations: [{ key: 'gpu', operator: 'Exists' }],
        nodeSelector: { 'kubernetes.io/hostname': 'n3' },
      }),
    );
    assert.equal(await boundNode('gpu'), 'n3');

    const events = await eventually('Scheduled event', async () => {
      const r = await api.req(
        'GET',
        '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dssd',
      );
      return r.body.items?.find((e: any) => e.reason === 'Scheduled');
    });
    assert.equal(events.type, 'Normal');
    assert.equal(events.message, 'Successfully assigned default/ssd to n1');
    assert.equal(events.source?.component ?? events.reportingComponent, 'default-scheduler');
  });

  it('marks an unfitting pod Unschedulable, then schedules it when a fitting node appears', async () => {
    await createPod(makePod('big', { cpu: '3500m', memory: '1Gi' }));
    const cond = await eventually('PodScheduled=False', async () =>
      (await getPod('big')).status?.conditions?.find(
        (c: any) => c.type === 'PodScheduled' && c.status === 'False',
      ),
    );
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(
      cond.message,
      '0/3 nodes are available: 1 node(s) had untolerated taint {gpu: yes}, 2 Insufficient cpu. ' +
        'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, ' +
        '2 No preemption victims found for incoming pod.',
    );
    const warn = await eventually('FailedScheduling event', async () => {
      const r = await api.req(
        'GET',
        '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dbig',
      );
      return r.body.items?.find((e: any) => e.reason === 'FailedScheduling');
    });
    assert.equal(warn.type, 'Warning');
    assert.equal(warn.message, cond.message);

    await createNode(makeNode('n4', { cpu: '8', memory: '16Gi' }));
    assert.equal(await boundNode('big'), 'n4');
  });

  it('writes only its PodScheduled condition, keeping one another component wrote meanwhile', async () => {
    await createPod(makePod('huge', { cpu: '64', memory: '1Gi' }));
    await eventually('PodScheduled=False', async () =>
      (await getPod('huge')).status?.conditions?.find((c: any) => c.type === 'PodScheduled'),
    );
    // What the scheduler's cache may still hold while another component writes a condition of its own.
    const stale = await getPod('huge');
    const r = await api.req(
      'PATCH',
      '/api/v1/namespaces/default/pods/huge/status',
      { status: { conditions: [{ type: 'example.com/Checked', status: 'True' }] } },
      { 'content-type': 'application/strategic-merge-patch+json' },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const scheduler = sched.scheduler as unknown as {
      markUnschedulable(pod: unknown, message: string): Promise<void>;
    };
    await scheduler.markUnschedulable(stale, 'a newer message');
    const conditions = (await getPod('huge')).status.conditions;
    assert.equal(conditions.find((c: any) => c.type === 'PodScheduled')?.message, 'a newer message');
    assert.equal(conditions.find((c: any) => c.type === 'example.com/Checked')?.status, 'True');
    await api.req('DELETE', '/api/v1/namespaces/default/pods/huge');
  });

  it('ignores pods for another scheduler', async () => {
    const pod = makePod('other');
    pod.spec.schedulerName = 'my-scheduler';
    await createPod(pod);
    await createPod(makePod('after-other'));
    await boundNode('after-other');
    assert.equal((await getPod('other')).spec.nodeName, undefined);
  });
});

describe('scheduler lifecycle', () => {
  it('stops cleanly right after start, before its caches synced', async () => {
    const api = await startTestApi();
    const s = startScheduler({ baseUrl: api.url, log: silentLogger });
    await s.stop();
    await s.ready;
    assert.equal(s.scheduler.stats.attempts, 0);
    await api.close();
  });
});
