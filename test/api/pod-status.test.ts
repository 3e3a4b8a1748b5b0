import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podSummary, podWideCells } from '../../src/api/pod-status.js';
import { pods } from '../../src/api/resources/pod.js';

const now = Date.parse('2025-06-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

function pod(spec: any, status: any, meta: any = {}) {
  return { metadata: { name: 'p', creationTimestamp: ago(3600_000), ...meta }, spec, status };
}
const one = { containers: [{ name: 'app', image: 'x' }] };
const two = {
  containers: [
    { name: 'a', image: 'x' },
    { name: 'b', image: 'x' },
  ],
};
const running = { running: { startedAt: ago(60_000) } };

describe('pod printer STATUS / READY / RESTARTS', () => {
  it('Pending without container statuses', () => {
    assert.deepEqual(podSummary(pod(one, { phase: 'Pending' }), now), {
      ready: '0/1',
      status: 'Pending',
      restarts: '0',
    });
  });
  it('Running and ready', () => {
    const p = pod(one, {
      phase: 'Running',
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
    });
    assert.deepEqual(podSummary(p, now), { ready: '1/1', status: 'Running', restarts: '0' });
  });
  it('ContainerCreating while waiting', () => {
    const p = pod(one, {
      phase: 'Pending',
      containerStatuses: [
        { name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
      ],
    });
    assert.equal(podSummary(p, now).status, 'ContainerCreating');
  });
  it('CrashLoopBackOff with restarts and the time of the last one', () => {
    const p = pod(one, {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * 60_000) } },
        },
      ],
    });
    assert.deepEqual(podSummary(p, now), {
      ready: '0/1',
      status: 'CrashLoopBackOff',
      restarts: '3 (5m ago)',
    });
  });
  it('Completed and Error for terminated containers', () => {
    const done = (reason: string, exitCode: number) =>
      pod(one, {
        phase: exitCode === 0 ? 'Succeeded' : 'Failed',
        containerStatuses: [
          { name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode, reason } } },
        ],
      });
    assert.equal(podSummary(done('Completed', 0), now).status, 'Completed');
    assert.equal(podSummary(done('Error', 1), now).status, 'Error');
  });
  it('ExitCode and Signal when the runtime gives no reason', () => {
    const p = pod(one, {
      phase: 'Failed',
      containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 137 } } }],
    });
    assert.equal(podSummary(p, now).status, 'ExitCode:137');
    p.status.containerStatuses[0].state.terminated.signal = 9;
    assert.equal(podSummary(p, now).status, 'Signal:9');
  });
  it('Init:N/M while init containers run', () => {
    const spec = {
      ...one,
      initContainers: [
        { name: 'i1', image: 'x' },
        { name: 'i2', image: 'x' },
      ],
    };
    const st = (s1: any, s2: any) =>
      pod(spec, {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'i1', restartCount: 0, state: s1 },
          { name: 'i2', restartCount: 0, state: s2 },
        ],
        containerStatuses: [
          { name: 'app', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
        ],
      });
    assert.equal(podSummary(st(running, { waiting: { reason: 'PodInitializing' } }), now).status, 'Init:0/2');
    assert.equal(
      podSummary(st({ terminated: { exitCode: 0, reason: 'Completed' } }, running), now).status,
      'Init:1/2',
    );
    assert.equal(
      podSummary(st({ terminated: { exitCode: 1, reason: 'Error' } }, {}), now).status,
      'Init:Error',
    );
    assert.equal(podSummary(st({ terminated: { exitCode: 2 } }, {}), now).status, 'Init:ExitCode:2');
    assert.equal(
      podSummary(st({ waiting: { reason: 'CrashLoopBackOff' } }, {}), now).status,
      'Init:CrashLoopBackOff',
    );
  });
  it('counts a started sidecar (restartable init container) in READY', () => {
    const spec = { ...one, initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always' }] };
    const p = pod(spec, {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ name: 'side', ready: true, started: true, restartCount: 2, state: running }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
    });
    assert.deepEqual(podSummary(p, now), { ready: '2/2', status: 'Running', restarts: '2' });
  });
  it('NotReady / Running when one container completed and another still runs', () => {
    const status = (ready: boolean) => ({
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [
        {
          name: 'a',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 0, reason: 'Completed' } },
        },
        { name: 'b', ready: true, restartCount: 0, state: running },
      ],
    });
    assert.equal(podSummary(pod(two, status(false)), now).status, 'NotReady');
    assert.equal(podSummary(pod(two, status(true)), now).status, 'Running');
  });
  it('Terminating once deleted, Unknown when the node is lost', () => {
    const p = pod(one, { phase: 'Running' }, { deletionTimestamp: ago(1000) });
    assert.equal(podSummary(p, now).status, 'Terminating');
    p.status = { phase: 'Running', reason: 'NodeLost' } as any;
    assert.equal(podSummary(p, now).status, 'Unknown');
    const done = pod(one, { phase: 'Succeeded' }, { deletionTimestamp: ago(1000) });
    assert.equal(podSummary(done, now).status, 'Succeeded');
  });
  it('SchedulingGated from the PodScheduled condition', () => {
    const p = pod(one, {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
    });
    assert.equal(podSummary(p, now).status, 'SchedulingGated');
  });
  it('wide cells: IP, node, nominated node, readiness gates', () => {
    const p = pod(
      { ...one, nodeName: 'n1', readinessGates: [{ conditionType: 'x/a' }, { conditionType: 'x/b' }] },
      { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }], conditions: [{ type: 'x/a', status: 'True' }] },
    );
    assert.deepEqual(podWideCells(p), ['10.0.0.5', 'n1', '<none>', '1/2']);
    assert.deepEqual(podWideCells(pod(one, {})), ['<none>', '<none>', '<none>', '<none>']);
  });
  it('the Pod table row has the column count of its definition', () => {
    const p = pod(one, { phase: 'Pending' });
    const cells = pods.table!.cells(p, now);
    assert.equal(cells.length, pods.table!.columns.length);
    assert.deepEqual(cells.slice(0, 5), ['p', '0/1', 'Pending', '0', '60m']);
  });
});
