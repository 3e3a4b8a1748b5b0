// Reused pre-filter state (PodTopologySpread, InterPodAffinity) brought up to date from the cache's pod
// changes must decide exactly as a full recount does, through adds, removals and node label changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchedulerCache } from '../../src/scheduler/cache.js';
import { Framework } from '../../src/scheduler/framework.js';
import { newPodInfo } from '../../src/scheduler/resources.js';
import type { Pod } from '../../src/scheduler/types.js';
import { makeNode, makePod } from './fixtures.js';

function spreadPod(name: string, app: string): Pod {
  const p = makePod(name, { cpu: '100m' });
  p.metadata.labels = { app };
  p.spec.topologySpreadConstraints = [
    {
      maxSkew: 1,
      topologyKey: 'zone',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { app } },
    },
  ];
  return p;
}

function antiPod(name: string, app: string): Pod {
  const p = makePod(name, { cpu: '100m' });
  p.metadata.labels = { app };
  p.spec.affinity = {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' },
      ],
    },
  };
  return p;
}

describe('pre-filter state reuse', () => {
  it('decides like a full recount through adds, removals and a relabelled node', () => {
    const nodes = Array.from({ length: 12 }, (_, i) => makeNode(`n${i}`, { labels: { zone: `z${i % 3}` } }));
    const caches = [new SchedulerCache(), new SchedulerCache()];
    for (const c of caches) for (const n of nodes) c.setNode(structuredClone(n));
    const memo = new Framework({ random: () => 0, percentageOfNodesToScore: 100, cacheView: caches[0] });
    const full = new Framework({ random: () => 0, percentageOfNodesToScore: 100 });
    const placed: string[] = [];

    const step = (pod: Pod) => {
      const a = memo.schedule(pod, caches[0].nodes(), { fromCache: true });
      const b = full.schedule(structuredClone(pod), caches[1].nodes());
      assert.equal(a.ok, b.ok, pod.metadata.name);
      if (a.ok && b.ok) {
        assert.equal(a.nodeName, b.nodeName, pod.metadata.name);
        caches[0].assume(newPodInfo(pod), a.nodeName);
        const bound = structuredClone(pod);
        bound.spec.nodeName = b.nodeName;
        caches[1].setPod(bound); // one cache assumes, the other confirms: both counted
        placed.push(pod.metadata.name);
      }
    };
    for (let i = 0; i < 10; i++) step(spreadPod(`s${i}`, 'web'));
    for (let i = 0; i < 14; i++) step(antiPod(`a${i}`, 'solo')); // the last two find no node
    // Removals (pods deleted) on both sides.
    for (const key of ['default/s1', 'default/s4', 'default/a3', 'default/a7'])
      for (const c of caches) c.removePod(key);
    for (let i = 10; i < 16; i++) step(spreadPod(`s${i}`, 'web'));
    for (let i = 14; i < 18; i++) step(antiPod(`a${i}`, 'solo'));
    // A node moves to another zone: the reused state must be dropped, not patched.
    for (const c of caches) c.setNode(makeNode('n0', { labels: { zone: 'z9' } }));
    for (let i = 16; i < 22; i++) step(spreadPod(`s${i}`, 'web'));
    assert.ok(placed.length > 30);
    assert.ok(memo.preFilterReuses > 40, String(memo.preFilterReuses));
  });
});
