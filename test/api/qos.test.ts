import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computePodQOS } from '../../src/api/qos.js';

function pod(...resources: any[]) {
  return { spec: { containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x', resources: r })) } };
}

describe('computePodQOS', () => {
  it('BestEffort without requests or limits', () => {
    assert.equal(computePodQOS(pod({}, {})), 'BestEffort');
    assert.equal(computePodQOS(pod({ requests: { 'nvidia.com/gpu': '1' } })), 'BestEffort');
  });
  it('Guaranteed when every container has equal cpu and memory requests and limits', () => {
    const r = { requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '0.5', memory: '64Mi' } };
    assert.equal(computePodQOS(pod(r, r)), 'Guaranteed');
  });
  it('Burstable when a container lacks a limit or requests differ', () => {
    assert.equal(computePodQOS(pod({ requests: { cpu: '100m' } })), 'Burstable');
    assert.equal(
      computePodQOS(
        pod({ requests: { cpu: '100m', memory: '1Gi' }, limits: { cpu: '200m', memory: '1Gi' } }),
      ),
      'Burstable',
    );
    const g = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } };
    assert.equal(computePodQOS(pod(g, {})), 'Burstable');
  });
  it('counts init containers', () => {
    const g = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } };
    const p: any = pod(g);
    p.spec.initContainers = [{ name: 'i', image: 'x', resources: { requests: { cpu: '1' } } }];
    assert.equal(computePodQOS(p), 'Burstable');
  });
});
