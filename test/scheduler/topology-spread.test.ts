import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Framework } from '../../src/scheduler/framework.js';
import { podTopologySpread } from '../../src/scheduler/plugins/pod-topology-spread.js';
import { newPodInfo } from '../../src/scheduler/resources.js';
import type { NodeInfo, Pod } from '../../src/scheduler/types.js';
import { makeNode, makePod, nodeInfos } from './fixtures.js';

function labelled(pod: Pod, labels: Record<string, string>): Pod {
  pod.metadata.labels = labels;
  return pod;
}

function spreadPod(name: string, when: string, extra: Record<string, unknown> = {}): Pod {
  const pod = labelled(makePod(name), { app: 'web' });
  pod.spec.topologySpreadConstraints = [
    {
      maxSkew: 1,
      topologyKey: 'zone',
      whenUnsatisfiable: when,
      labelSelector: { matchLabels: { app: 'web' } },
      ...extra,
    },
  ];
  return pod;
}

function run(pod: Pod, nodes: NodeInfo[]) {
  const pl = podTopologySpread();
  const state = new Map<string, unknown>([['framework/allNodes', nodes]]);
  const pi = newPodInfo(pod);
  assert.equal(pl.preFilter!(state, pod, pi, nodes), undefined);
  return nodes.map((n) => pl.filter!(state, pod, pi, n)?.reasons[0] ?? 'ok');
}

describe('PodTopologySpread', () => {
  const nodes = () => [
    makeNode('a1', { labels: { zone: 'a' } }),
    makeNode('a2', { labels: { zone: 'a' } }),
    makeNode('b1', { labels: { zone: 'b' } }),
    makeNode('nolabel'),
  ];
  const existing = [
    labelled(makePod('w1', { nodeName: 'a1' }), { app: 'web' }),
    labelled(makePod('w2', { nodeName: 'a2' }), { app: 'web' }),
    labelled(makePod('w3', { nodeName: 'b1' }), { app: 'web' }),
    labelled(makePod('other', { nodeName: 'b1' }), { app: 'db' }),
  ];

  it('DoNotSchedule rejects domains that would exceed maxSkew and nodes without the key', () => {
    // zone a has 2, zone b has 1: placing in a gives skew 3-1=2 > 1.
    assert.deepEqual(run(spreadPod('p', 'DoNotSchedule'), nodeInfos(nodes(), existing)), [
      "node(s) didn't match pod topology spread constraints",
      "node(s) didn't match pod topology spread constraints",
      'ok',
      "node(s) didn't match pod topology spread constraints (missing required label)",
    ]);
  });

  it('minDomains counts missing domains as empty', () => {
    const r = run(spreadPod('p', 'DoNotSchedule', { minDomains: 3 }), nodeInfos(nodes(), existing));
    assert.deepEqual(r.slice(0, 3), [
      "node(s) didn't match pod topology spread constraints",
      "node(s) didn't match pod topology spread constraints",
      "node(s) didn't match pod topology spread constraints",
    ]);
  });

  it('nodeAffinityPolicy Honor ignores nodes the pod cannot go to', () => {
    const pod = spreadPod('p', 'DoNotSchedule');
    pod.spec.nodeSelector = { zone: 'a' };
    // Zone b is not eligible, so zone a is the only domain and min is its own count.
    assert.deepEqual(run(pod, nodeInfos(nodes(), existing)).slice(0, 2), ['ok', 'ok']);
  });

  it('places pods evenly across zones through the framework', () => {
    const fw = new Framework({ random: () => 0.5 });
    const infos = nodeInfos(nodes().slice(0, 3));
    const placed: string[] = [];
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 6; i++) {
      const pod = spreadPod(`p${i}`, 'DoNotSchedule');
      const r = fw.schedule(pod, infos);
      assert.ok(r.ok);
      placed.push(r.nodeName);
      const node = infos.find((n) => n.name === r.nodeName)!;
      pod.spec.nodeName = r.nodeName;
      node.pods.set(`default/p${i}`, newPodInfo(pod));
      counts[node.node.metadata.labels.zone]++;
      assert.ok(Math.abs(counts.a - counts.b) <= 1, `skew after ${placed}`);
    }
    assert.deepEqual(counts, { a: 3, b: 3 });
  });

  it('ScheduleAnyway scores the emptier zone higher', () => {
    const pl = podTopologySpread();
    const infos = nodeInfos(nodes().slice(0, 3), existing);
    const pod = spreadPod('p', 'ScheduleAnyway');
    const state = new Map<string, unknown>([['framework/allNodes', infos]]);
    const scores = infos.map((n) => pl.score!(state, pod, newPodInfo(pod), n));
    pl.normalizeScore!(state, pod, scores);
    assert.ok(scores[2] > scores[0] && scores[0] === scores[1], String(scores));
  });
});
