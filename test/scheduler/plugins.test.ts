import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { balancedScore } from '../../src/scheduler/plugins/balanced-allocation.js';
import { nodeAffinity, requirementMatches, termMatches } from '../../src/scheduler/plugins/node-affinity.js';
import { nodeName } from '../../src/scheduler/plugins/node-name.js';
import { nodePorts } from '../../src/scheduler/plugins/node-ports.js';
import { allocationScore, nodeResourcesFit } from '../../src/scheduler/plugins/node-resources-fit.js';
import { nodeUnschedulable } from '../../src/scheduler/plugins/node-unschedulable.js';
import { normalize, taintToleration, tolerates } from '../../src/scheduler/plugins/taint-toleration.js';
import { newPodInfo, podRequests } from '../../src/scheduler/resources.js';
import type { NodeInfo, Plugin, Pod } from '../../src/scheduler/types.js';
import { makeNode, makePod, nodeInfos } from './fixtures.js';

function filter(p: Plugin, pod: Pod, node: NodeInfo) {
  const s = p.filter!(new Map(), pod, newPodInfo(pod), node);
  return s ? { code: s.code, reasons: s.reasons } : 'ok';
}

describe('pod requests', () => {
  it('counts max(sum of app containers, max of init containers) plus overhead', () => {
    const pod = makePod('p', { cpu: '500m', memory: '1Gi' });
    pod.spec.containers.push({ name: 'd', image: 'x', resources: { requests: { cpu: '250m' } } });
    pod.spec.initContainers = [
      { name: 'i1', image: 'x', resources: { requests: { cpu: '1', memory: '512Mi' } } },
      { name: 'i2', image: 'x', resources: { requests: { memory: '2Gi' } } },
    ];
    pod.spec.overhead = { cpu: '100m' };
    const r = podRequests(pod);
    assert.equal(r.cpu, 1100); // max(750, 1000) + 100
    assert.equal(r.memory, 2 * 1024 ** 3); // max(1Gi, 2Gi)
  });

  it('adds sidecar init containers (restartPolicy Always) to the app sum', () => {
    const pod = makePod('p', { cpu: '500m' });
    pod.spec.initContainers = [
      { name: 's', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '200m' } } },
      { name: 'i', image: 'x', resources: { requests: { cpu: '600m' } } },
    ];
    assert.equal(podRequests(pod).cpu, 800); // max(500+200, 200+600)
  });
});

describe('NodeResourcesFit', () => {
  const fit = nodeResourcesFit();
  it('reports every insufficient resource with upstream wording', () => {
    const [n] = nodeInfos(
      [makeNode('n1', { cpu: '2', memory: '1Gi', pods: '2' })],
      [makePod('a', { cpu: '1500m', nodeName: 'n1' }), makePod('b', { memory: '512Mi', nodeName: 'n1' })],
    );
    assert.deepEqual(filter(fit, makePod('p', { cpu: '1', memory: '600Mi' }), n), {
      code: 'Unschedulable',
      reasons: ['Too many pods', 'Insufficient cpu', 'Insufficient memory'],
    });
    assert.equal(filter(fit, makePod('p', { cpu: '1' }), nodeInfos([makeNode('n2')])[0]), 'ok');
  });

  it('checks extended resources and ephemeral-storage', () => {
    const [n] = nodeInfos([
      makeNode('n1', { extra: { 'example.com/gpu': '1', 'ephemeral-storage': '10Gi' } }),
    ]);
    assert.equal(filter(fit, makePod('p', { extra: { 'example.com/gpu': '1' } }), n), 'ok');
    assert.deepEqual(
      filter(fit, makePod('p', { extra: { 'example.com/gpu': '2', 'ephemeral-storage': '20Gi' } }), n),
      {
        code: 'Unschedulable',
        reasons: ['Insufficient ephemeral-storage', 'Insufficient example.com/gpu'],
      },
    );
    const [plain] = nodeInfos([makeNode('n2')]);
    assert.deepEqual(filter(fit, makePod('p', { extra: { 'other.io/fpga': '1' } }), plain), {
      code: 'Unschedulable',
      reasons: ['Insufficient other.io/fpga'],
    });
  });

  it('LeastAllocated prefers the emptier node; MostAllocated the fuller', () => {
    const [busy, idle] = nodeInfos(
      [makeNode('busy', { cpu: '4', memory: '4Gi' }), makeNode('idle', { cpu: '4', memory: '4Gi' })],
      [makePod('a', { cpu: '2', memory: '2Gi', nodeName: 'busy' })],
    );
    const pi = newPodInfo(makePod('p', { cpu: '1', memory: '1Gi' }));
    const res = [
      { name: 'cpu', weight: 1 },
      { name: 'memory', weight: 1 },
    ];
    assert.equal(allocationScore(pi, idle, 'LeastAllocated', res), 75);
    assert.equal(allocationScore(pi, busy, 'LeastAllocated', res), 25);
    assert.equal(allocationScore(pi, busy, 'MostAllocated', res), 75);
    // A pod without requests counts as 100m / 200Mi for scoring.
    const zero = newPodInfo(makePod('z'));
    assert.equal(allocationScore(zero, idle, 'LeastAllocated', [{ name: 'cpu', weight: 1 }]), 97);
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  it('scores 100 for equal fractions and lower as they diverge', () => {
    const [n] = nodeInfos([makeNode('n', { cpu: '4', memory: '4Gi' })]);
    assert.equal(balancedScore(newPodInfo(makePod('p', { cpu: '2', memory: '2Gi' })), n), 100);
    assert.equal(balancedScore(newPodInfo(makePod('p', { cpu: '4', memory: '1Gi' })), n), 62); // fractions 1, .25
  });
});

describe('TaintToleration', () => {
  const tt = taintToleration();
  const taints = [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }];
  it('rejects untolerated NoSchedule taints naming the taint', () => {
    const [n] = nodeInfos([makeNode('n', { taints })]);
    assert.deepEqual(filter(tt, makePod('p'), n), {
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) had untolerated taint {dedicated: db}'],
    });
    const tol = [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }];
    assert.equal(filter(tt, makePod('p', { tolerations: tol }), n), 'ok');
    assert.equal(filter(tt, makePod('p', { tolerations: [{ operator: 'Exists' }] }), n), 'ok');
    assert.notEqual(filter(tt, makePod('p', { tolerations: [{ key: 'dedicated', value: 'web' }] }), n), 'ok');
  });

  it('implements ToleratesTaint', () => {
    const taint = { key: 'k', value: 'v', effect: 'NoExecute' };
    assert.equal(tolerates({ key: 'k', operator: 'Exists' }, taint), true);
    assert.equal(tolerates({ key: 'k', operator: 'Exists', effect: 'NoSchedule' }, taint), false);
    assert.equal(tolerates({ key: 'k', value: 'v' }, taint), true);
    assert.equal(tolerates({ key: 'x', operator: 'Exists' }, taint), false);
  });

  it('scores fewer untolerated PreferNoSchedule taints higher', () => {
    const nodes = nodeInfos([
      makeNode('a', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }),
      makeNode('b'),
      makeNode('c', {
        taints: [
          { key: 'x', effect: 'PreferNoSchedule' },
          { key: 'y', effect: 'PreferNoSchedule' },
        ],
      }),
    ]);
    const pod = makePod('p');
    const scores = nodes.map((n) => tt.score!(new Map(), pod, newPodInfo(pod), n));
    tt.normalizeScore!(new Map(), pod, scores);
    assert.deepEqual(scores, [50, 100, 0]);
  });

  it('normalize scales by the maximum', () => {
    const s = [0, 5, 10];
    normalize(s, false);
    assert.deepEqual(s, [0, 50, 100]);
  });
});

describe('NodeAffinity', () => {
  const na = nodeAffinity();
  const [zoneA] = nodeInfos([makeNode('a', { labels: { zone: 'a', gen: '5' } })]);
  it('honours nodeSelector', () => {
    assert.equal(filter(na, makePod('p', { nodeSelector: { zone: 'a' } }), zoneA), 'ok');
    assert.deepEqual(filter(na, makePod('p', { nodeSelector: { zone: 'b' } }), zoneA), {
      code: 'UnschedulableAndUnresolvable',
      reasons: ["node(s) didn't match Pod's node affinity/selector"],
    });
  });

  it('evaluates every operator', () => {
    const labels = { zone: 'a', gen: '5' };
    const cases: [string, string, string[] | undefined, boolean][] = [
      ['zone', 'In', ['a', 'b'], true],
      ['zone', 'In', ['b'], false],
      ['zone', 'NotIn', ['b'], true],
      ['missing', 'NotIn', ['b'], true],
      ['zone', 'NotIn', ['a'], false],
      ['zone', 'Exists', undefined, true],
      ['missing', 'Exists', undefined, false],
      ['missing', 'DoesNotExist', undefined, true],
      ['gen', 'Gt', ['4'], true],
      ['gen', 'Gt', ['5'], false],
      ['gen', 'Lt', ['6'], true],
      ['zone', 'Lt', ['6'], false],
      ['zone', 'Bogus', ['a'], false],
    ];
    for (const [key, operator, values, want] of cases)
      assert.equal(
        requirementMatches({ key, operator, values }, labels),
        want,
        `${key} ${operator} ${values}`,
      );
  });

  it('ORs terms, ANDs expressions, matches metadata.name fields, and an empty term matches nothing', () => {
    const node = zoneA.node;
    assert.equal(termMatches({}, node), false);
    assert.equal(
      termMatches({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }, node),
      true,
    );
    const req = (terms: any[]) => ({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
    });
    const miss = { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] };
    const hit = {
      matchExpressions: [
        { key: 'zone', operator: 'In', values: ['a'] },
        { key: 'gen', operator: 'Gt', values: ['3'] },
      ],
    };
    assert.equal(filter(na, makePod('p', { affinity: req([miss, hit]) }), zoneA), 'ok');
    assert.notEqual(filter(na, makePod('p', { affinity: req([miss]) }), zoneA), 'ok');
  });

  it('scores preferred terms by weight', () => {
    const nodes = nodeInfos([
      makeNode('a', { labels: { zone: 'a' } }),
      makeNode('b', { labels: { zone: 'b' } }),
    ]);
    const pod = makePod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 20,
              preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
            },
            { weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
          ],
        },
      },
    });
    const scores = nodes.map((n) => na.score!(new Map(), pod, newPodInfo(pod), n));
    assert.deepEqual(scores, [5, 25]);
    na.normalizeScore!(new Map(), pod, scores);
    assert.deepEqual(scores, [20, 100]);
  });
});

describe('NodeName, NodeUnschedulable, NodePorts', () => {
  it('NodeName rejects other nodes', () => {
    const [a, b] = nodeInfos([makeNode('a'), makeNode('b')]);
    const pod = makePod('p');
    pod.spec.nodeName = 'b';
    assert.equal(filter(nodeName(), pod, b), 'ok');
    assert.deepEqual(filter(nodeName(), pod, a), {
      code: 'UnschedulableAndUnresolvable',
      reasons: ["node(s) didn't match the requested node name"],
    });
  });

  it('NodeUnschedulable rejects cordoned nodes unless tolerated', () => {
    const [n] = nodeInfos([makeNode('a', { unschedulable: true })]);
    assert.deepEqual(filter(nodeUnschedulable(), makePod('p'), n), {
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) were unschedulable'],
    });
    const tol = [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }];
    assert.equal(filter(nodeUnschedulable(), makePod('p', { tolerations: tol }), n), 'ok');
  });

  it('NodePorts rejects a used host port', () => {
    const [n] = nodeInfos([makeNode('a')], [makePod('x', { hostPort: 8080, nodeName: 'a' })]);
    assert.deepEqual(filter(nodePorts(), makePod('p', { hostPort: 8080 }), n), {
      code: 'Unschedulable',
      reasons: ["node(s) didn't have free ports for the requested pod ports"],
    });
    assert.equal(filter(nodePorts(), makePod('p', { hostPort: 8081 }), n), 'ok');
  });
});
