// What the pod worker does next: sandbox, init order, restart policies, crash-loop back-off, deletion.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import { Backoff } from '../../src/kubelet/backoff.js';
import {
  computePodActions,
  type PodActions,
  shouldRestart,
  terminationGracePeriod,
  terminationStep,
} from '../../src/kubelet/pod-actions.js';
import { container, exited, pod, runtime, sandbox, T0 } from './fixtures.js';

const names = (a: PodActions) => a.start.map((s) => s.spec.name as string);

describe('computePodActions', () => {
  it('creates the sandbox and starts the containers of a new pod', () => {
    const p = pod({ containers: [{ name: 'a' }, { name: 'b' }] });
    const a = computePodActions(p, runtime([], []), new Backoff(new FakeClock(T0)));
    assert.equal(a.createSandbox, true);
    assert.equal(a.sandboxAttempt, 0);
    assert.equal(a.killPod, false);
    assert.deepEqual(names(a), ['a', 'b']);
  });

  it('leaves a running pod alone (a restarted kubelet adopts its containers)', () => {
    const a = computePodActions(
      pod(),
      runtime([sandbox()], [container('app')]),
      new Backoff(new FakeClock(T0)),
    );
    assert.equal(a.createSandbox, false);
    assert.deepEqual(a.start, []);
    assert.deepEqual(a.kill, []);
  });

  it('starts init containers one at a time, in order, before the app containers', () => {
    const p = pod({ initContainers: [{ name: 'i1' }, { name: 'i2' }] });
    const b = new Backoff(new FakeClock(T0));
    assert.deepEqual(names(computePodActions(p, runtime([], []), b)), ['i1']);
    assert.deepEqual(names(computePodActions(p, runtime([sandbox()], [container('i1')]), b)), []);
    assert.deepEqual(names(computePodActions(p, runtime([sandbox()], [exited('i1', 0)]), b)), ['i2']);
    assert.deepEqual(
      names(computePodActions(p, runtime([sandbox()], [exited('i1', 0), exited('i2', 0)]), b)),
      ['app'],
    );
  });

  it('restarts per restart policy', () => {
    assert.equal(shouldRestart('Always', 0), true);
    assert.equal(shouldRestart('OnFailure', 0), false);
    assert.equal(shouldRestart('OnFailure', 2), true);
    assert.equal(shouldRestart('Never', 1), false);
    const b = new Backoff(new FakeClock(T0 + 5_000));
    const restartOf = (policy: string, code: number) =>
      names(
        computePodActions(pod({ restartPolicy: policy }), runtime([sandbox()], [exited('app', code)]), b),
      );
    assert.deepEqual(restartOf('Never', 1), []);
    assert.deepEqual(restartOf('OnFailure', 0), []);
    assert.deepEqual(restartOf('OnFailure', 1), ['app']);
  });

  it('holds a crashing container in CrashLoopBackOff and says when to look again', () => {
    const clock = new FakeClock(T0 + 2_000);
    const b = new Backoff(clock);
    const p = pod();
    const first = exited('app', 1, { finishedAt: T0 + 2_000 });
    const a1 = computePodActions(p, runtime([sandbox()], [first]), b);
    assert.deepEqual(names(a1), ['app'], 'the first restart is immediate');
    assert.equal(a1.start[0].restartCount, 1);
    b.next(`${p.metadata.uid}/app`, first.finishedAt); // what the worker records when it restarts
    clock.advance(1_000);
    const second = exited('app', 1, { restartCount: 1, finishedAt: clock.now() });
    const a2 = computePodActions(p, runtime([sandbox()], [second, first]), b);
    assert.deepEqual(names(a2), []);
    assert.equal(a2.waiting.get('app')?.reason, 'CrashLoopBackOff');
    assert.equal(
      a2.waiting.get('app')?.message,
      'back-off 10s restarting failed container=app pod=p_default(uid-1)',
    );
    assert.equal(a2.requeueAfterMs, 10_000);
    clock.advance(10_000);
    assert.deepEqual(names(computePodActions(p, runtime([sandbox()], [second, first]), b)), ['app']);
  });

  it('replaces a dead sandbox: kills what is left and starts again with the next attempt', () => {
    const a = computePodActions(
      pod(),
      runtime([sandbox({ ready: false })], [exited('app', 137)]),
      new Backoff(new FakeClock(T0)),
    );
    assert.equal(a.killPod, true);
    assert.equal(a.createSandbox, true);
    assert.equal(a.sandboxAttempt, 1);
    assert.equal(a.start[0].restartCount, 1);
    const never = computePodActions(
      pod({ restartPolicy: 'Never' }),
      runtime([sandbox({ ready: false })], [exited('app', 137)]),
      new Backoff(new FakeClock(T0)),
    );
    assert.equal(never.createSandbox, false, 'a Never pod is not started again in a new sandbox');
  });

  it('stops running containers the spec does not have', () => {
    const a = computePodActions(
      pod(),
      runtime([sandbox()], [container('app'), container('stray')]),
      new Backoff(new FakeClock(T0)),
    );
    assert.deepEqual(
      a.kill.map((c) => c.name),
      ['stray'],
    );
  });
});

describe('graceful deletion decisions', () => {
  it('syncs, stops, confirms or removes by the pod state', () => {
    assert.equal(terminationStep(pod(), 'Running'), 'sync');
    assert.equal(terminationStep(pod(), 'Succeeded'), 'stop');
    assert.equal(
      terminationStep(pod({}, { deletionTimestamp: '2025-01-01T00:00:00Z' }), 'Running'),
      'stop-and-confirm',
    );
    assert.equal(terminationStep(undefined, undefined), 'remove-and-forget');
  });

  it("takes the deletion's grace period, else the spec's, else 30 s", () => {
    assert.equal(terminationGracePeriod(pod({}, { deletionGracePeriodSeconds: 5 })), 5);
    assert.equal(terminationGracePeriod(pod({ terminationGracePeriodSeconds: 7 })), 7);
    assert.equal(terminationGracePeriod(pod()), 30);
    assert.equal(
      terminationGracePeriod(pod({ terminationGracePeriodSeconds: 7 }, { deletionGracePeriodSeconds: 0 })),
      0,
    );
  });
});
