// Pod status from runtime state: container states, phase, conditions, and what `kubectl get pods` prints.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podSummary } from '../../src/api/pod-status.js';
import {
  computePodStatus,
  podPhase,
  statusChanged,
  type WaitingReason,
} from '../../src/kubelet/pod-status.js';
import { container, exited, pod, runtime, sandbox } from './fixtures.js';

type Obj = Record<string, any>;
const NOW = '2025-01-01T00:01:00Z';

function status(p: Obj, rt = runtime([], []), waiting = new Map<string, WaitingReason>()) {
  return computePodStatus({ pod: p, rt, waiting, hostIPs: ['192.0.2.1'], now: NOW });
}

function printed(p: Obj, st: Obj, deleting = false): string {
  const obj = {
    ...p,
    status: st,
    metadata: { ...p.metadata, ...(deleting ? { deletionTimestamp: NOW } : {}) },
  };
  return podSummary(obj, Date.parse(NOW)).status;
}

const cond = (st: Obj, type: string) => st.conditions.find((c: Obj) => c.type === type);

describe('pod status', () => {
  it('is Pending with ContainerCreating before anything runs', () => {
    const p = pod();
    const st = status(p);
    assert.equal(st.phase, 'Pending');
    assert.deepEqual(st.containerStatuses[0].state, { waiting: { reason: 'ContainerCreating' } });
    assert.equal(cond(st, 'PodReadyToStartContainers').status, 'False');
    assert.equal(cond(st, 'Ready').reason, 'ContainersNotReady');
    assert.equal(cond(st, 'Ready').message, 'containers with unready status: [app]');
    assert.equal(cond(st, 'PodScheduled').status, 'True', 'PodScheduled is kept');
    assert.equal(printed(p, st), 'ContainerCreating');
  });

  it('is Running and Ready with the pod IP, host IP and container details once the container runs', () => {
    const p = pod();
    const c = container('app');
    const st = status(p, runtime([sandbox()], [c]));
    assert.equal(st.phase, 'Running');
    assert.equal(st.podIP, '10.42.0.5');
    assert.deepEqual(st.podIPs, [{ ip: '10.42.0.5' }]);
    assert.equal(st.hostIP, '192.0.2.1');
    assert.equal(st.startTime, NOW);
    const cs = st.containerStatuses[0];
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.containerID, `containerd://${c.id}`);
    assert.equal(cs.imageID, 'sha256:abc');
    assert.ok(cs.state.running.startedAt);
    for (const t of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'])
      assert.equal(cond(st, t).status, 'True', t);
    assert.equal(printed(p, st), 'Running');
    assert.equal(printed(p, st, true), 'Terminating');
  });

  it('shows Completed for a succeeded pod and Error for a failed one (restartPolicy Never)', () => {
    const p = pod({ restartPolicy: 'Never' });
    const ok = status(p, runtime([sandbox()], [exited('app', 0)]));
    assert.equal(ok.phase, 'Succeeded');
    assert.equal(ok.containerStatuses[0].state.terminated.reason, 'Completed');
    assert.equal(cond(ok, 'Ready').reason, 'PodCompleted');
    assert.equal(printed(p, ok), 'Completed');
    const bad = status(p, runtime([sandbox()], [exited('app', 1)]));
    assert.equal(bad.phase, 'Failed');
    assert.equal(bad.containerStatuses[0].state.terminated.exitCode, 1);
    assert.equal(printed(p, bad), 'Error');
  });

  it('shows CrashLoopBackOff with the dead instance as lastState while backing off', () => {
    const p = pod();
    const dead = exited('app', 1, { restartCount: 2 });
    const older = exited('app', 1, { restartCount: 1, createdAt: dead.createdAt - 10 });
    const waiting = new Map([
      [
        'app',
        {
          reason: 'CrashLoopBackOff',
          message: 'back-off 20s restarting failed container=app pod=p_default(uid-1)',
        },
      ],
    ]);
    const st = status(p, runtime([sandbox()], [dead, older]), waiting);
    const cs = st.containerStatuses[0];
    assert.equal(st.phase, 'Running', 'restartPolicy Always keeps a crash-looping pod Running');
    assert.equal(cs.state.waiting.reason, 'CrashLoopBackOff');
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.equal(cs.lastState.terminated.containerID, `containerd://${dead.id}`);
    assert.equal(cs.restartCount, 2);
    assert.equal(printed(p, st), 'CrashLoopBackOff');
  });

  it('keeps lastTransitionTime while a condition does not change', () => {
    const p = pod();
    const first = status(p, runtime([sandbox()], [container('app')]));
    const later = computePodStatus({
      pod: {
        ...p,
        status: {
          ...first,
          conditions: first.conditions.map((c: Obj) => ({
            ...c,
            lastTransitionTime: '2024-12-31T00:00:00Z',
          })),
        },
      },
      rt: runtime([sandbox()], [container('app')]),
      waiting: new Map(),
      hostIPs: ['192.0.2.1'],
      now: '2025-01-01T00:05:00Z',
    });
    assert.equal(cond(later, 'Ready').lastTransitionTime, '2024-12-31T00:00:00Z');
    assert.equal(statusChanged({ ...first }, first), false);
  });

  it('runs init containers first: Init:0/2, then PodInitializing app containers', () => {
    const p = pod({
      initContainers: [
        { name: 'i1', image: 'x' },
        { name: 'i2', image: 'x' },
      ],
    });
    const st = status(p, runtime([sandbox()], [container('i1')]));
    assert.equal(st.phase, 'Pending');
    assert.equal(cond(st, 'Initialized').message, 'containers with incomplete status: [i1 i2]');
    assert.equal(st.containerStatuses[0].state.waiting.reason, 'PodInitializing');
    assert.equal(printed(p, st), 'Init:0/2');
    const done = status(p, runtime([sandbox()], [exited('i1', 0), exited('i2', 0), container('app')]));
    assert.equal(done.phase, 'Running');
    assert.equal(cond(done, 'Initialized').status, 'True');
    assert.equal(done.initContainerStatuses[0].ready, true);
  });

  it('fails the pod when an init container fails under restartPolicy Never', () => {
    const spec = { restartPolicy: 'Never', initContainers: [{ name: 'i1', image: 'x' }] };
    const st = status(pod(spec), runtime([sandbox()], [exited('i1', 3)]));
    assert.equal(st.phase, 'Failed');
    assert.equal(printed(pod(spec), st), 'Init:Error');
  });

  it('never leaves a terminal phase', () => {
    const p = pod({ restartPolicy: 'Never' });
    p.status.phase = 'Succeeded';
    assert.equal(status(p, runtime([], [])).phase, 'Succeeded');
  });

  it('computes the phase as upstream getPhase for OnFailure', () => {
    const spec = { restartPolicy: 'OnFailure', containers: [{ name: 'a' }, { name: 'b' }] };
    const term = (exitCode: number) => ({ state: { terminated: { exitCode } } });
    assert.equal(
      podPhase(
        spec,
        [],
        [
          { name: 'a', ...term(0) },
          { name: 'b', ...term(0) },
        ],
      ),
      'Succeeded',
    );
    assert.equal(
      podPhase(
        spec,
        [],
        [
          { name: 'a', ...term(0) },
          { name: 'b', ...term(1) },
        ],
      ),
      'Running',
    );
    assert.equal(
      podPhase(
        { ...spec, restartPolicy: 'Never' },
        [],
        [
          { name: 'a', ...term(0) },
          { name: 'b', ...term(1) },
        ],
      ),
      'Failed',
    );
    assert.equal(
      podPhase(
        spec,
        [],
        [
          { name: 'a', state: { running: {} } },
          { name: 'b', state: { waiting: {} } },
        ],
      ),
      'Pending',
    );
  });

  it('reports ErrImagePull and CreateContainerConfigError as waiting reasons', () => {
    const p = pod();
    for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'CreateContainerConfigError']) {
      const st = status(p, runtime([sandbox()], []), new Map([['app', { reason, message: 'm' }]]));
      assert.equal(st.phase, 'Pending');
      assert.equal(printed(p, st), reason);
    }
  });
});
