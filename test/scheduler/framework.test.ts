import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Framework, fitErrorMessage, numFeasibleNodesToFind } from '../../src/scheduler/framework.js';
import { makeNode, makePod, nodeInfos } from './fixtures.js';

describe('framework', () => {
  it('picks the node with the best weighted score', () => {
    const fw = new Framework({ random: () => 0.5 });
    const nodes = nodeInfos(
      [
        makeNode('busy'),
        makeNode('idle'),
        makeNode('tainted', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }),
      ],
      [makePod('a', { cpu: '3', memory: '6Gi', nodeName: 'busy' })],
    );
    const r = fw.schedule(makePod('p', { cpu: '500m', memory: '1Gi' }), nodes);
    assert.equal(r.ok && r.nodeName, 'idle');
    assert.equal(r.ok && r.feasibleNodes, 3);
  });

  it('explains a failure with upstream message format', () => {
    const fw = new Framework();
    const nodes = nodeInfos([
      makeNode('small', { cpu: '1' }),
      makeNode('t1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
      makeNode('t2', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    ]);
    const r = fw.schedule(makePod('p', { cpu: '2' }), nodes);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && !r.error);
    assert.equal(
      fitErrorMessage(r.diagnosis),
      '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}. ' +
        'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, ' +
        '2 Preemption is not helpful for scheduling.',
    );
  });

  it('reports no nodes and counts several reasons per node', () => {
    const fw = new Framework();
    const none = fw.schedule(makePod('p'), []);
    assert.ok(!none.ok && !none.error);
    assert.equal(fitErrorMessage(none.diagnosis), 'no nodes available to schedule pods');
    const r = fw.schedule(
      makePod('p', { cpu: '8', memory: '16Gi' }),
      nodeInfos([makeNode('a'), makeNode('b')]),
    );
    assert.ok(!r.ok && !r.error);
    assert.equal(
      fitErrorMessage(r.diagnosis),
      '0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory. ' +
        'preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
  });

  it('turns a throwing plugin into an Error status', () => {
    const fw = new Framework();
    const nodes = nodeInfos([makeNode('a'), makeNode('b')]);
    const pod = makePod('p');
    pod.spec.tolerations = null as any;
    (pod.spec as any).affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: 7 } };
    const r = fw.schedule(pod, nodes);
    assert.ok(!r.ok && r.error);
  });
});

describe('numFeasibleNodesToFind', () => {
  it('follows upstream adaptive percentage', () => {
    assert.equal(numFeasibleNodesToFind(50), 50);
    assert.equal(numFeasibleNodesToFind(100), 100); // 50 - 0 = 50% of 100 -> 50, floored to 100
    assert.equal(numFeasibleNodesToFind(1000), 420); // 50 - 8 = 42%
    assert.equal(numFeasibleNodesToFind(5000), 500); // 50 - 40 = 10%
    assert.equal(numFeasibleNodesToFind(20000), 1000); // min 5%
    assert.equal(numFeasibleNodesToFind(5000, 100), 5000);
  });
});
