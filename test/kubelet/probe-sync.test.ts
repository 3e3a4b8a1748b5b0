// Probes and hooks through the pod sync, over a fake CRI and an in-process API server on a FakeClock:
// readiness holds the pod's Ready condition until the probe passes; a failed liveness probe stops the
// container (Killing with upstream's message) and the next sync restarts it; a failing postStart hook
// kills the container; preStop runs before StopContainer on deletion.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import type { EventRecorder } from '../../src/client/events.js';
import type { RestClient } from '../../src/client/rest.js';
import type { PodSyncer } from '../../src/kubelet/pod-sync.js';
import { ProbeManager } from '../../src/kubelet/prober/manager.js';
import type { ProbeResult } from '../../src/kubelet/prober/probe.js';
import { PODS } from '../../src/kubelet/refs.js';
import { type KubeletUnitEnv, startKubeletUnitEnv } from '../helpers/kubelet-unit-env.js';
import { createNamespaceBasics } from '../helpers/namespace-basics.js';
import { FakeCri } from './fake-cri.js';
import { unitPodSyncer } from './unit-syncer.js';

type Obj = Record<string, any>;

/** The fake runtime with ExecSync: commands starting with `fail` exit 1, others 0. */
class ExecFakeCri extends FakeCri {
  readonly execs: string[] = [];
  async execSync(id: string, cmd: string[], timeout: number) {
    this.execs.push(`${cmd.join(' ')} timeout=${timeout}`);
    this.calls.push(`ExecSync ${cmd.join(' ')}`);
    const code = cmd[0] === 'fail' ? 1 : 0;
    return {
      stdout: Buffer.from(code ? `no ${id ? 'luck' : ''}` : ''),
      stderr: Buffer.alloc(0),
      exitCode: code,
    };
  }
}

describe('probes and hooks through the pod sync', () => {
  let env: KubeletUnitEnv;
  let rest: RestClient;
  let dataDir: string;
  const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'));
  const events: Obj[] = [];
  const woken: string[] = [];
  const answers: Record<string, ProbeResult> = { readiness: 'failure', liveness: 'success' };
  let cri: ExecFakeCri;
  let syncer: PodSyncer;
  let recorder: EventRecorder;
  let probes: ProbeManager;

  before(async () => {
    env = await startKubeletUnitEnv('k8ts-probe-sync-', events);
    ({ rest, dataDir, recorder } = env);
    await createNamespaceBasics(rest, 'default');
    cri = new ExecFakeCri(() => clock.now());
    probes = new ProbeManager({
      clock,
      target: cri.asClient(),
      recorder,
      onChange: (uid) => woken.push(uid),
      // The API server keeps only known fields: the probe's command names its kind.
      run: async (action) => {
        const kind = action.exec.command[0];
        return { result: answers[kind], output: `${kind} said ${answers[kind]}` };
      },
    });
    syncer = unitPodSyncer({
      cri: cri.asClient(),
      rest,
      recorder,
      clock,
      dataDir,
      cgroupRoot: `/k8ts-unit-probes-${process.pid}`,
      probes,
    });
  });

  after(async () => {
    probes.stop();
    await env.close();
  });

  const pods = () => rest.resource<Obj>(PODS).in('default');
  const create = (name: string, container: Obj, spec: Obj = {}) =>
    pods().create({
      metadata: { name },
      spec: {
        nodeName: 'n1',
        containers: [{ name: 'c', image: 'k8ts.local/busybox:latest', ...container }],
        ...spec,
      },
    });
  const sync = async (name: string) => {
    const p = await pods().get(name);
    await syncer.sync(p.metadata.uid, p, p);
    return pods().get(name);
  };
  const ready = (p: Obj) => p.status.conditions.find((c: Obj) => c.type === 'Ready').status;
  const eventsOf = async (name: string) => {
    await recorder.flush();
    return events.filter((e) => e.involvedObject.name === name).map((e) => `${e.reason}: ${e.message}`);
  };

  it('keeps the pod not Ready until its readiness probe passes', async () => {
    let p = await create('ready', {
      readinessProbe: { exec: { command: ['readiness'] }, periodSeconds: 1 },
    });
    p = await sync('ready');
    assert.equal(p.status.phase, 'Running');
    assert.equal(p.status.containerStatuses[0].ready, false);
    assert.equal(ready(p), 'False');
    await clock.tick(0);
    await clock.tick(1_000);
    p = await sync('ready');
    assert.equal(ready(p), 'False');
    answers.readiness = 'success';
    await clock.tick(1_000);
    assert.ok(woken.includes(p.metadata.uid), 'the new result wakes the pod');
    p = await sync('ready');
    assert.equal(p.status.containerStatuses[0].ready, true);
    assert.equal(ready(p), 'True');
    assert.ok(
      (await eventsOf('ready')).includes('Unhealthy: Readiness probe failed: readiness said failure'),
    );
  });

  it('stops a container its liveness probe failed and restarts it on the next sync', async () => {
    await create('live', {
      livenessProbe: { exec: { command: ['liveness'] }, periodSeconds: 1, failureThreshold: 2 },
    });
    await sync('live');
    answers.liveness = 'failure';
    await clock.tick(0);
    await clock.tick(1_000);
    const before = cri.calls.length;
    let p = await sync('live');
    assert.deepEqual(
      cri.calls.slice(before).filter((c) => c.startsWith('StopContainer')),
      ['StopContainer c timeout=30'],
    );
    assert.ok(
      (await eventsOf('live')).includes('Killing: Container c failed liveness probe, will be restarted'),
    );
    answers.liveness = 'success';
    p = await sync('live');
    assert.equal(p.status.containerStatuses[0].restartCount, 1);
    assert.ok(p.status.containerStatuses[0].state.running);
    assert.equal(p.status.containerStatuses[0].lastState.terminated.exitCode, 143);
  });

  it('kills a container whose postStart hook fails, with FailedPostStartHook', async () => {
    await create('hooked', { lifecycle: { postStart: { exec: { command: ['fail', 'now'] } } } });
    const p = await sync('hooked');
    assert.ok(cri.calls.includes('ExecSync fail now'));
    const cs = p.status.containerStatuses[0];
    assert.equal(cs.state.waiting.reason, 'PostStartHookError');
    assert.equal(cs.lastState.terminated.exitCode, 143);
    const ev = await eventsOf('hooked');
    assert.ok(
      ev.some((e) => /^FailedPostStartHook: Exec lifecycle hook \(\["fail","now"\]\)/.test(e)),
      ev.join('\n'),
    );
    assert.ok(ev.includes('Killing: FailedPostStartHook'));
  });

  it('runs preStop before StopContainer when the pod is deleted', async () => {
    await create(
      'bye',
      { lifecycle: { preStop: { exec: { command: ['echo', 'bye'] } } } },
      { terminationGracePeriodSeconds: 5 },
    );
    await sync('bye');
    const before = cri.calls.length;
    await pods().delete('bye');
    const p = await pods().get('bye');
    await syncer.sync(p.metadata.uid, p, p);
    const calls = cri.calls.slice(before).filter((c) => /^(ExecSync|StopContainer)/.test(c));
    assert.deepEqual(calls, ['ExecSync echo bye', 'StopContainer c timeout=5']);
  });
});
