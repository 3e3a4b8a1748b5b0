import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interPodAffinity, termSelects } from '../../src/scheduler/plugins/inter-pod-affinity.js';
import { newPodInfo } from '../../src/scheduler/resources.js';
import type { NodeInfo, Pod } from '../../src/scheduler/types.js';
import { makeNode, makePod, nodeInfos } from './fixtures.js';

function withLabels(pod: Pod, labels: Record<string, string>): Pod {
  pod.metadata.labels = labels;
  return pod;
}

function term(app: string, topologyKey = 'zone', extra: Record<string, unknown> = {}) {
  return { labelSelector: { matchLabels: { app } }, topologyKey, ...extra };
}

function filterAll(
  pod: Pod,
  nodes: NodeInfo[],
  nsLabels?: (ns: string) => Record<string, string> | undefined,
) {
  const pl = interPodAffinity({ namespaceLabels: nsLabels });
  const state = new Map<string, unknown>();
  const pi = newPodInfo(pod);
  pl.preFilter!(state, pod, pi, nodes);
  return nodes.map((n) => pl.filter!(state, pod, pi, n)?.reasons[0] ?? 'ok');
}

const nodes = () => [
  makeNode('a1', { labels: { zone: 'a' } }),
  makeNode('b1', { labels: { zone: 'b' } }),
  makeNode('c1', { labels: { zone: 'c' } }),
];

describe('InterPodAffinity', () => {
  const db = withLabels(makePod('db', { nodeName: 'a1' }), { app: 'db' });

  it('required affinity: only domains with a matching pod', () => {
    const pod = makePod('web', {
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } },
    });
    assert.deepEqual(filterAll(pod, nodeInfos(nodes(), [db])), [
      'ok',
      "node(s) didn't match pod affinity rules",
      "node(s) didn't match pod affinity rules",
    ]);
  });

  it('required affinity: the first pod of a self-matching group may go anywhere', () => {
    const pod = withLabels(
      makePod('web', {
        affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web')] } },
      }),
      { app: 'web' },
    );
    assert.deepEqual(filterAll(pod, nodeInfos(nodes(), [db])), ['ok', 'ok', 'ok']);
  });

  it('required anti-affinity: not in a domain with a matching pod', () => {
    const pod = makePod('web', {
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } },
    });
    assert.deepEqual(filterAll(pod, nodeInfos(nodes(), [db])), [
      "node(s) didn't match pod anti-affinity rules",
      'ok',
      'ok',
    ]);
  });

  it("respects running pods' anti-affinity towards the incoming pod", () => {
    const loner = withLabels(
      makePod('loner', {
        nodeName: 'b1',
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web')] } },
      }),
      { app: 'loner' },
    );
    const pod = withLabels(makePod('web'), { app: 'web' });
    assert.deepEqual(filterAll(pod, nodeInfos(nodes(), [loner])), [
      'ok',
      "node(s) didn't satisfy existing pods anti-affinity rules",
      'ok',
    ]);
  });

  it('selects namespaces by default, by list and by namespaceSelector', () => {
    const owner = makePod('o', { namespace: 'ns1' });
    const other = withLabels(makePod('x', { namespace: 'ns2' }), { app: 'db' });
    const labels = (ns: string): Record<string, string> => (ns === 'ns2' ? { team: 'data' } : {});
    assert.equal(termSelects(term('db'), owner, other, labels), false);
    assert.equal(termSelects(term('db', 'zone', { namespaces: ['ns2'] }), owner, other, labels), true);
    assert.equal(termSelects(term('db', 'zone', { namespaceSelector: {} }), owner, other, labels), true);
    assert.equal(
      termSelects(
        term('db', 'zone', { namespaceSelector: { matchLabels: { team: 'data' } } }),
        owner,
        other,
        labels,
      ),
      true,
    );
    assert.equal(
      termSelects(
        term('db', 'zone', { namespaceSelector: { matchLabels: { team: 'web' } } }),
        owner,
        other,
        labels,
      ),
      false,
    );
  });

  it('scores preferred affinity up and anti-affinity down', () => {
    const cache = withLabels(makePod('cache', { nodeName: 'b1' }), { app: 'cache' });
    const infos = nodeInfos(nodes(), [db, cache]);
    const pod = makePod('web', {
      affinity: {
        podAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('cache') }],
        },
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('db') }],
        },
      },
    });
    const pl = interPodAffinity();
    const state = new Map<string, unknown>([['framework/allNodes', infos]]);
    const scores = infos.map((n) => pl.score!(state, pod, newPodInfo(pod), n));
    assert.deepEqual(scores, [-10, 10, 0]);
    pl.normalizeScore!(state, pod, scores);
    assert.deepEqual(scores, [0, 100, 50]);
  });
});
