// Probes on a FakeClock with a scripted prober target: periods, initialDelaySeconds, success and failure
// thresholds, startup gating liveness and readiness, the hold after a liveness failure and the reset for
// a new container; what the pod sync and the status make of the results; the actions themselves
// (exec, httpGet, tcpSocket) against a loopback server; preStop inside the grace period.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createH2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import { Backoff } from '../../src/kubelet/backoff.js';
import { computePodActions } from '../../src/kubelet/pod-actions.js';
import { computePodStatus } from '../../src/kubelet/pod-status.js';
import { healthRequest, healthStatus } from '../../src/kubelet/prober/grpc.js';
import { runHook, runPreStop } from '../../src/kubelet/prober/hooks.js';
import { ProbeManager } from '../../src/kubelet/prober/manager.js';
import {
  type ProbeOutcome,
  type ProbeTarget,
  resolvePort,
  runAction,
} from '../../src/kubelet/prober/probe.js';
import { probeSettings } from '../../src/kubelet/prober/worker.js';
import type { ContainerRecord } from '../../src/kubelet/runtime-state.js';
import { container, pod, runtime, sandbox, T0 } from './fixtures.js';

type Obj = Record<string, any>;

const noExec: ProbeTarget = {
  execSync: async () => {
    throw new Error('no exec here');
  },
};

/** A ProbeManager whose probes answer from a script per kind, counting the calls. */
function harness(clock: FakeClock) {
  const answers: Record<string, ProbeOutcome['result']> = {
    liveness: 'success',
    readiness: 'success',
    startup: 'success',
  };
  const calls: string[] = [];
  const events: { reason: string; message: string }[] = [];
  const changes: string[] = [];
  const m = new ProbeManager({
    clock,
    target: noExec,
    recorder: { event: (_o, _t, reason, message) => events.push({ reason, message }) },
    onChange: (uid) => changes.push(uid),
    run: async (action) => {
      calls.push(action.kind);
      const result = answers[action.kind];
      return { result, output: result === 'failure' ? `${action.kind} says no` : '' };
    },
  });
  return { m, answers, calls, events, changes };
}

const probe = (kind: string, over: Obj = {}) => ({
  kind,
  exec: { command: ['true'] },
  periodSeconds: 1,
  ...over,
});

function running(id: string, startedAt = T0): ContainerRecord {
  return container('app', { id, startedAt });
}

describe('probe workers on a FakeClock', () => {
  it('reports ready only after successThreshold successes in a row, probing every periodSeconds', async () => {
    const clock = new FakeClock(T0);
    const h = harness(clock);
    const p = pod({
      containers: [
        { name: 'app', readinessProbe: probe('readiness', { successThreshold: 2, periodSeconds: 5 }) },
      ],
    });
    h.m.update(p, runtime([sandbox()], [running('c-a')]));
    assert.equal(h.m.ready('uid-1', 'app', 'c-a'), false, 'not ready before any probe');
    await clock.tick(0);
    assert.equal(h.calls.length, 1);
    assert.equal(h.m.ready('uid-1', 'app', 'c-a'), false, 'one success of two');
    await clock.tick(4_999);
    assert.equal(h.calls.length, 1, 'waits out the period');
    await clock.tick(1);
    assert.equal(h.calls.length, 2);
    assert.equal(h.m.ready('uid-1', 'app', 'c-a'), true);
    assert.deepEqual(h.changes, ['uid-1'], 'the change wakes the pod');
    h.answers.readiness = 'failure';
    await clock.tick(5_000);
    await clock.tick(5_000);
    assert.equal(h.m.ready('uid-1', 'app', 'c-a'), true, 'two failures of three');
    await clock.tick(5_000);
    assert.equal(h.m.ready('uid-1', 'app', 'c-a'), false);
    assert.equal(h.events.filter((e) => e.message === 'Readiness probe failed: readiness says no').length, 3);
    h.m.stop();
    assert.equal(clock.pendingTimers, 0);
  });

  it('waits out initialDelaySeconds from the container start', async () => {
    const clock = new FakeClock(T0);
    const h = harness(clock);
    const p = pod({
      containers: [{ name: 'app', livenessProbe: probe('liveness', { initialDelaySeconds: 3 }) }],
    });
    h.m.update(p, runtime([sandbox()], [running('c-a', T0)]));
    await clock.tick(2_000);
    assert.equal(h.calls.length, 0);
    await clock.tick(1_000);
    assert.equal(h.calls.length, 1);
    h.m.stop();
  });

  it('fails liveness after failureThreshold failures, holds until the container is replaced, then starts over', async () => {
    const clock = new FakeClock(T0);
    const h = harness(clock);
    const p = pod({
      containers: [{ name: 'app', livenessProbe: probe('liveness', { failureThreshold: 3 }) }],
    });
    h.m.update(p, runtime([sandbox()], [running('c-a')]));
    h.answers.liveness = 'failure';
    await clock.tick(0);
    await clock.tick(1_000);
    assert.equal(h.m.failed('uid-1', 'app', 'c-a'), undefined, 'two failures of three');
    await clock.tick(1_000);
    assert.equal(h.m.failed('uid-1', 'app', 'c-a'), 'liveness');
    assert.deepEqual(h.changes, ['uid-1']);
    assert.deepEqual(
      h.events.map((e) => `${e.reason}: ${e.message}`),
      Array(3).fill('Unhealthy: Liveness probe failed: liveness says no'),
    );
    await clock.tick(5_000);
    assert.equal(h.calls.length, 3, 'on hold once failed');
    // The kubelet restarted it: a new container id, alive until proven otherwise.
    h.answers.liveness = 'success';
    h.m.update(p, runtime([sandbox()], [running('c-b', clock.now())]));
    await clock.tick(1_000);
    assert.equal(h.calls.length, 4);
    assert.equal(h.m.failed('uid-1', 'app', 'c-b'), undefined);
    assert.equal(h.m.result('liveness', 'c-a'), undefined, 'the old container forgotten');
    h.m.stop();
  });

  it('runs liveness and readiness only once the startup probe passed, and reports started', async () => {
    const clock = new FakeClock(T0);
    const h = harness(clock);
    const p = pod({
      containers: [
        {
          name: 'app',
          startupProbe: probe('startup', { failureThreshold: 10 }),
          livenessProbe: probe('liveness'),
          readinessProbe: probe('readiness'),
        },
      ],
    });
    const rt = runtime([sandbox()], [running('c-a')]);
    h.answers.startup = 'failure';
    h.m.update(p, rt);
    await clock.tick(0);
    await clock.tick(1_000);
    assert.deepEqual(h.calls, ['startup', 'startup']);
    assert.equal(h.m.started('uid-1', 'app', 'c-a'), false);
    const status = () =>
      computePodStatus({
        pod: p,
        rt,
        waiting: new Map(),
        hostIPs: ['192.0.2.1'],
        now: '2025-01-01T00:01:00Z',
        probes: {
          started: (n, id) => h.m.started('uid-1', n, id),
          ready: (n, id) => h.m.ready('uid-1', n, id),
        },
      });
    let s = status();
    assert.equal(s.containerStatuses[0].started, false);
    assert.equal(s.containerStatuses[0].ready, false);
    assert.equal(s.conditions.find((c: Obj) => c.type === 'Ready').status, 'False');
    h.answers.startup = 'success';
    await clock.tick(1_000);
    assert.equal(h.m.started('uid-1', 'app', 'c-a'), true);
    // Started within this tick: liveness and readiness run right after it.
    assert.deepEqual(h.calls, ['startup', 'startup', 'startup', 'liveness', 'readiness']);
    await clock.tick(1_000);
    assert.deepEqual(h.calls.slice(5), ['liveness', 'readiness'], 'startup stops once passed');
    s = status();
    assert.equal(s.containerStatuses[0].started, true);
    assert.equal(s.containerStatuses[0].ready, true);
    assert.equal(s.conditions.find((c: Obj) => c.type === 'ContainersReady').status, 'True');
    h.m.stop();
  });

  it('fails startup after failureThreshold: the container is to be killed', async () => {
    const clock = new FakeClock(T0);
    const h = harness(clock);
    const p = pod({ containers: [{ name: 'app', startupProbe: probe('startup', { failureThreshold: 2 }) }] });
    h.answers.startup = 'failure';
    h.m.update(p, runtime([sandbox()], [running('c-a')]));
    await clock.tick(0);
    await clock.tick(1_000);
    assert.equal(h.m.failed('uid-1', 'app', 'c-a'), 'startup');
    h.m.stop();
  });

  it('keeps an adopted container Ready across a kubelet restart until its probe decides', async () => {
    const clock = new FakeClock(T0 + 60_000);
    const h = harness(clock);
    const p = pod({
      containers: [{ name: 'app', readinessProbe: probe('readiness', { failureThreshold: 2 }) }],
    });
    p.status.conditions.push({ type: 'Ready', status: 'True' });
    // Started a minute before this kubelet; a new container would not get this.
    h.m.update(p, runtime([sandbox()], [running('c-old', T0)]));
    assert.equal(h.m.ready('uid-1', 'app', 'c-old'), true);
    h.answers.readiness = 'failure';
    await clock.tick(0);
    assert.equal(h.m.ready('uid-1', 'app', 'c-old'), true, 'one failure of two');
    await clock.tick(1_000);
    assert.equal(h.m.ready('uid-1', 'app', 'c-old'), false);
    h.m.update(p, runtime([sandbox()], [running('c-new', clock.now())]));
    assert.equal(h.m.ready('uid-1', 'app', 'c-new'), false, 'started after the kubelet: probed first');
    h.m.stop();
  });

  it('reads upstream defaults and bounds', () => {
    assert.deepEqual(probeSettings({}, 'liveness'), {
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.equal(probeSettings({ successThreshold: 3 }, 'liveness').successThreshold, 1);
    assert.equal(probeSettings({ successThreshold: 3 }, 'readiness').successThreshold, 3);
  });
});

describe('probe results in the pod sync decisions', () => {
  it('kills a running container its liveness probe failed, with the restart policy in the message', () => {
    const rt = runtime([sandbox()], [container('app', { id: 'c-x' })]);
    const verdicts = {
      failed: (name: string, id: string) =>
        name === 'app' && id === 'c-x' ? ('liveness' as const) : undefined,
    };
    const a = computePodActions(pod(), rt, new Backoff(new FakeClock(T0)), verdicts);
    assert.deepEqual(
      a.unhealthy.map((u) => [u.container.id, u.message]),
      [['c-x', 'Container app failed liveness probe, will be restarted']],
    );
    const never = computePodActions(
      pod({ restartPolicy: 'Never' }),
      rt,
      new Backoff(new FakeClock(T0)),
      verdicts,
    );
    assert.equal(never.unhealthy[0].message, 'Container app failed liveness probe');
    const healthy = computePodActions(pod(), rt, new Backoff(new FakeClock(T0)), { failed: () => undefined });
    assert.deepEqual(healthy.unhealthy, []);
  });
});

describe('probe actions against a loopback server', () => {
  let server: Server;
  let port = 0;
  const seen: Obj[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      if (req.url === '/ok') res.writeHead(200).end('fine');
      else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
      else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 3_000).unref();
      else res.writeHead(500).end('broken');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const ctx = (over: Obj = {}) => ({
    containerId: 'c1',
    container: { name: 'app', ports: [{ name: 'http', containerPort: port }] },
    podIP: '127.0.0.1',
    timeoutSeconds: 1,
    ...over,
  });

  it('httpGet passes on 2xx and 3xx (following a redirect), fails otherwise, sends the headers', async () => {
    assert.deepEqual(await runAction(noExec, { httpGet: { path: '/ok', port: 'http' } }, ctx()), {
      result: 'success',
      output: 'fine',
    });
    const r = await runAction(
      noExec,
      {
        httpGet: {
          path: '/moved',
          port,
          httpHeaders: [
            { name: 'X-Probe', value: 'yes' },
            { name: 'Host', value: 'example.test' },
          ],
        },
      },
      ctx(),
    );
    assert.equal(r.result, 'success');
    const first = seen.find((s) => s.url === '/moved')!;
    assert.equal(first.headers['x-probe'], 'yes');
    assert.equal(first.headers.host, 'example.test');
    assert.match(String(first.headers['user-agent']), /^kube-probe\//);
    assert.deepEqual(await runAction(noExec, { httpGet: { path: '/bad', port } }, ctx()), {
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 500',
    });
    const slow = await runAction(noExec, { httpGet: { path: '/slow', port } }, ctx());
    assert.equal(slow.result, 'failure');
    assert.match(slow.output, /deadline exceeded/);
    // A hook's httpGet takes any answer.
    assert.equal(
      (await runAction(noExec, { httpGet: { path: '/bad', port } }, ctx(), { anyHttpStatus: true })).result,
      'success',
    );
  });

  it('tcpSocket passes when the port accepts and fails when it refuses', async () => {
    assert.equal((await runAction(noExec, { tcpSocket: { port } }, ctx())).result, 'success');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    assert.deepEqual(await runAction(noExec, { tcpSocket: { port: freePort } }, ctx()), {
      result: 'failure',
      output: `dial tcp 127.0.0.1:${freePort}: connect: connection refused`,
    });
    assert.throws(() => resolvePort('nope', { name: 'app', ports: [] }), /couldn't find port/);
    assert.equal((await runAction(noExec, { tcpSocket: { port: 'nope' } }, ctx())).result, 'unknown');
  });

  it('exec passes on exit 0, fails with the output otherwise, and passes the timeout to ExecSync', async () => {
    const calls: Obj[] = [];
    const target: ProbeTarget = {
      execSync: async (id, cmd, timeout) => {
        calls.push({ id, cmd, timeout });
        const code = cmd[0] === 'true' ? 0 : 1;
        return {
          stdout: Buffer.from(code ? 'no ' : ''),
          stderr: Buffer.from(code ? 'file' : ''),
          exitCode: code,
        };
      },
    };
    assert.equal(
      (await runAction(target, { exec: { command: ['true'] } }, ctx({ timeoutSeconds: 7 }))).result,
      'success',
    );
    assert.deepEqual(await runAction(target, { exec: { command: ['false'] } }, ctx()), {
      result: 'failure',
      output: 'no file',
    });
    assert.deepEqual(calls[0], { id: 'c1', cmd: ['true'], timeout: 7 });
  });
});

describe('grpc probe against a loopback health service', () => {
  it('passes on SERVING, fails on NOT_SERVING, an unknown service and an unimplemented health service', async () => {
    const statuses: Record<string, number> = { '': 1, down: 2 };
    const server = createH2Server();
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const body = Buffer.concat(chunks).subarray(5);
        const service = body.length > 2 ? body.subarray(2).toString() : '';
        if (headers[':path'] !== '/grpc.health.v1.Health/Check' || service === 'none') {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.on('wantTrailers', () =>
            stream.sendTrailers({ 'grpc-status': '12', 'grpc-message': 'unknown service' }),
          );
          stream.end();
          return;
        }
        const msg = Buffer.from([0x08, statuses[service] ?? 3]);
        const frame = Buffer.alloc(5);
        frame.writeUInt32BE(msg.length, 1);
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.concat([frame, msg]));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const ctx = { containerId: 'c1', container: { name: 'app' }, podIP: '127.0.0.1', timeoutSeconds: 1 };
    try {
      assert.equal((await runAction(noExec, { grpc: { port } }, ctx)).result, 'success');
      assert.deepEqual(await runAction(noExec, { grpc: { port, service: 'down' } }, ctx), {
        result: 'failure',
        output: 'service unhealthy (responded with "NOT_SERVING")',
      });
      const none = await runAction(noExec, { grpc: { port, service: 'none' } }, ctx);
      assert.equal(none.result, 'failure');
      assert.match(none.output, /does not implement the grpc health protocol/);
    } finally {
      server.close();
    }
    assert.deepEqual([...healthRequest('ab')], [0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62]);
    assert.equal(healthStatus(Buffer.from([0x08, 0x02])), 2);
  });
});

describe('lifecycle hooks', () => {
  const hookPod = pod();
  it('reports a failed exec hook with its output', async () => {
    const target: ProbeTarget = {
      execSync: async () => ({ stdout: Buffer.from('boom'), stderr: Buffer.alloc(0), exitCode: 2 }),
    };
    const msg = await runHook(
      target,
      new FakeClock(T0),
      { exec: { command: ['sh', '-c', 'exit 2'] } },
      {
        pod: hookPod,
        container: { name: 'app' },
        containerId: 'c1',
        podIP: '127.0.0.1',
      },
    );
    assert.match(
      msg!,
      /^Exec lifecycle hook \(\["sh","-c","exit 2"\]\) for Container "app" in Pod "p_default\(uid-1\)" failed/,
    );
    assert.match(msg!, /boom/);
  });

  it('runs preStop inside the grace period and leaves the rest (at least 2 s) to StopContainer', async () => {
    const clock = new FakeClock(T0);
    const ctx = (preStop: Obj) => ({
      pod: hookPod,
      container: { name: 'app', lifecycle: { preStop } },
      containerId: 'c1',
      podIP: '',
    });
    const left = runPreStop(noExec, clock, ctx({ sleep: { seconds: 5 } }), 30, () =>
      assert.fail('no failure'),
    );
    await clock.tick(5_000);
    assert.equal(await left, 25);
    // A hook that outlasts the grace period is cut off; the container still gets the minimum.
    const cut = runPreStop(noExec, clock, ctx({ sleep: { seconds: 60 } }), 10, () => {});
    await clock.tick(10_000);
    assert.equal(await cut, 2);
    const failures: string[] = [];
    assert.equal(
      await runPreStop(noExec, clock, ctx({ exec: { command: ['x'] } }), 30, (m) => failures.push(m)),
      30,
    );
    assert.equal(failures.length, 1);
    assert.equal(
      await runPreStop(noExec, clock, { ...ctx({}), container: { name: 'app' } }, 30, () => {}),
      30,
    );
  });
});
