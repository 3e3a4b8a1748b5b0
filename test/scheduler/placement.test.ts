// Final placements against the in-process API server: pod anti-affinity, topology spread, and a
// binding that fails once (the assumption is forgotten and the pod requeued).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PODS } from '../../src/client/index.js';
import { silentLogger } from '../../src/client/log.js';
import { RestClient } from '../../src/client/rest.js';
import { defaultBinder } from '../../src/scheduler/binder.js';
import { type RunningScheduler, Status, startScheduler } from '../../src/scheduler/index.js';
import type { Binder } from '../../src/scheduler/types.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { eventually } from '../helpers/eventually.js';
import { makeNode, makePod } from './fixtures.js';

describe('scheduler placements', () => {
  let api: TestApi;
  let sched: RunningScheduler;
  let rest: RestClient;
  const failOnce = new Set(['default/flaky']);
  const binds: string[] = [];

  const createPod = async (pod: Record<string, any>) => {
    delete pod.metadata.creationTimestamp;
    const r = await api.req('POST', '/api/v1/namespaces/default/pods', pod);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  const getPod = async (name: string) =>
    (await api.req('GET', `/api/v1/namespaces/default/pods/${name}`)).body;
  const boundNode = (name: string) =>
    eventually(`${name} bound`, async () => (await getPod(name)).spec?.nodeName as string | undefined);

  before(async () => {
    api = await startTestApi();
    for (const [name, zone] of [
      ['a1', 'a'],
      ['a2', 'a'],
      ['b1', 'b'],
      ['b2', 'b'],
    ]) {
      const r = await api.req('POST', '/api/v1/nodes', makeNode(name, { labels: { zone } }));
      assert.equal(r.status, 201);
    }
    rest = new RestClient({ baseUrl: api.url });
    const real = defaultBinder(rest.resource(PODS));
    const binder: Binder = {
      name: 'flaky',
      async bind(pod, node) {
        const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
        binds.push(`${key}@${node}`);
        if (failOnce.delete(key)) return Status.error('injected failure');
        return real.bind(pod, node);
      },
    };
    sched = startScheduler({
      baseUrl: api.url,
      log: silentLogger,
      binder,
      queue: { initialBackoffMs: 50 },
    });
    await sched.ready;
  });

  after(async () => {
    await sched.stop();
    rest.close();
    await api.close();
  });

  it('required anti-affinity puts one pod per node, the fifth is unschedulable', async () => {
    const solo = (name: string) => {
      const pod = makePod(name, {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'solo' } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        },
      });
      pod.metadata.labels = { app: 'solo' };
      return pod;
    };
    for (let i = 0; i < 4; i++) await createPod(solo(`solo-${i}`));
    const nodes = new Set<string>();
    for (let i = 0; i < 4; i++) nodes.add(await boundNode(`solo-${i}`));
    assert.equal(nodes.size, 4);
    await createPod(solo('solo-4'));
    const cond = await eventually('solo-4 unschedulable', async () =>
      (await getPod('solo-4')).status?.conditions?.find((c: any) => c.type === 'PodScheduled'),
    );
    assert.equal(
      cond.message,
      "0/4 nodes are available: 4 node(s) didn't match pod anti-affinity rules. " +
        'preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.',
    );
  });

  it('topology spread keeps zones within maxSkew', async () => {
    for (let i = 0; i < 6; i++) {
      const pod = makePod(`spread-${i}`);
      pod.metadata.labels = { app: 'spread' };
      pod.spec.topologySpreadConstraints = [
        {
          maxSkew: 1,
          topologyKey: 'zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'spread' } },
        },
      ];
      await createPod(pod);
    }
    const zones: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 6; i++) zones[(await boundNode(`spread-${i}`))[0]]++;
    assert.deepEqual(zones, { a: 3, b: 3 });
  });

  it('a failed binding is forgotten and retried', async () => {
    await createPod(makePod('flaky'));
    const node = await boundNode('flaky');
    const attempts = binds.filter((b) => b.startsWith('default/flaky@'));
    assert.equal(attempts.length, 2);
    assert.equal(attempts[1], `default/flaky@${node}`);
    assert.equal(sched.scheduler.stats.bindFailures, 1);
    assert.equal(sched.scheduler.cache.isAssumed('default/flaky'), false);
  });
});
