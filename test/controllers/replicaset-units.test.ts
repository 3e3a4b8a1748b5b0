// ReplicaSet controller pieces that need no server: expectations (on an injected clock) and the
// scale-down ranking.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../src/client/index.js';
import { Expectations } from '../../src/controllers/replicaset/expectations.js';
import { podFromTemplate } from '../../src/controllers/replicaset/index.js';
import { lessValuableFirst, podAvailable } from '../../src/controllers/replicaset/pods.js';

type Obj = Record<string, any>;

test('expectations hold until observed, and expire after five minutes', () => {
  const clock = new FakeClock();
  const e = new Expectations(clock);
  assert.ok(e.satisfied('ns/rs'));
  e.expect('ns/rs', 2, 0);
  assert.ok(!e.satisfied('ns/rs'));
  e.observedCreate('ns/rs');
  assert.ok(!e.satisfied('ns/rs'));
  e.observedCreate('ns/rs');
  assert.ok(e.satisfied('ns/rs'));
  e.expect('ns/rs', 0, 1);
  clock.advance(5 * 60_000);
  assert.ok(!e.satisfied('ns/rs'));
  clock.advance(1);
  assert.ok(e.satisfied('ns/rs'), 'a lost delete event stalls the controller for five minutes at most');
});

function pod(name: string, opts: { node?: string; phase?: string; ready?: boolean; created?: string }): Obj {
  return {
    metadata: { name, creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z' },
    spec: opts.node ? { nodeName: opts.node } : {},
    status: {
      phase: opts.phase ?? 'Pending',
      conditions: opts.ready
        ? [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }]
        : [],
    },
  };
}

test('scale-down order: unscheduled, pending, not ready, then newest first', () => {
  const pods = [
    pod('old-ready', { node: 'n', phase: 'Running', ready: true, created: '2026-01-01T00:00:00Z' }),
    pod('new-ready', { node: 'n', phase: 'Running', ready: true, created: '2026-01-02T00:00:00Z' }),
    pod('running-not-ready', { node: 'n', phase: 'Running' }),
    pod('pending-scheduled', { node: 'n', phase: 'Pending' }),
    pod('unscheduled', {}),
  ];
  assert.deepEqual(
    [...pods].sort(lessValuableFirst).map((p) => p.metadata.name),
    ['unscheduled', 'pending-scheduled', 'running-not-ready', 'new-ready', 'old-ready'],
  );
});

test('availability honours minReadySeconds', () => {
  const p = pod('p', { node: 'n', phase: 'Running', ready: true });
  const readyAt = Date.parse('2026-01-01T00:00:00Z');
  assert.ok(podAvailable(p, 0, readyAt));
  assert.ok(!podAvailable(p, 10, readyAt + 9_999));
  assert.ok(podAvailable(p, 10, readyAt + 10_000));
});

test('pods from the template get generateName and a controller reference', () => {
  const rs = {
    metadata: { name: 'web', namespace: 'ns', uid: 'u1' },
    spec: {
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    },
  };
  const p = podFromTemplate(rs);
  assert.equal(p.metadata.generateName, 'web-');
  assert.deepEqual(p.metadata.labels, { app: 'web' });
  assert.equal(p.metadata.ownerReferences[0].controller, true);
  assert.equal(p.metadata.ownerReferences[0].uid, 'u1');
  assert.deepEqual(p.spec.containers, [{ name: 'c', image: 'i' }]);
});
