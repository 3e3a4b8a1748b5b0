// pods/NAME/log through an in-process API server to a real kubelet log server on loopback: option validation,
// container choice, node lookup, the kubelet's container-status checks, and streaming (including follow).
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type KubeletServer, startKubeletServer } from '../../src/kubelet/server.js';
import { startTestApi, type TestApi } from '../helpers/apiserver.js';
import { eventually } from '../helpers/eventually.js';

const rec = (iso: string, content: string) => `${iso} stdout F ${content}\n`;
const NS = '/api/v1/namespaces/default/pods';

describe('pods/log', () => {
  let t: TestApi;
  let kubelet: KubeletServer;
  let dir: string;
  const files = new Map<string, string>();
  let runningCalls = 0;

  const bind = (pod: string, node: string) =>
    t.req('POST', `${NS}/${pod}/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod },
      target: { kind: 'Node', name: node },
    });
  const setStatus = async (pod: string, containerStatuses: unknown[]) => {
    const cur = await t.req('GET', `${NS}/${pod}`);
    const r = await t.req('PUT', `${NS}/${pod}/status`, {
      ...cur.body,
      status: { ...cur.body.status, phase: 'Running', containerStatuses },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  const running = (name: string, extra: object = {}) => ({
    name,
    ready: true,
    restartCount: 0,
    image: 'busybox',
    imageID: '',
    containerID: `containerd://${name}-1`,
    state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
    ...extra,
  });

  before(async () => {
    t = await startTestApi();
    dir = mkdtempSync(join(tmpdir(), 'k8ts-podlogs-'));
    kubelet = await startKubeletServer({
      host: '127.0.0.1',
      port: 0,
      followPollMs: 20,
      logs: {
        resolve: async (ns, pod, c, previous) => files.get(`${ns}/${pod}/${c}${previous ? '/prev' : ''}`),
        running: async () => {
          runningCalls++;
          return true;
        },
      },
    });
    const node = await t.req('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
    });
    const st = await t.req('PUT', '/api/v1/nodes/n1/status', {
      ...node.body,
      status: {
        addresses: [
          { type: 'Hostname', address: 'n1' },
          { type: 'InternalIP', address: '127.0.0.1' },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
      },
    });
    assert.equal(st.status, 200, JSON.stringify(st.body));
    await t.req('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'blind' },
      status: { addresses: [{ type: 'InternalDNS', address: 'blind.local' }] },
    });
    await t.req('POST', NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: {
        initContainers: [{ name: 'setup', image: 'busybox' }],
        containers: [
          { name: 'app', image: 'busybox' },
          { name: 'side', image: 'busybox' },
        ],
      },
    });
    const app = join(dir, 'app.log');
    writeFileSync(
      app,
      rec('2026-01-01T00:00:01.5Z', 'hello') +
        rec('2026-01-01T00:00:02Z', 'world') +
        rec('2030-01-01T00:00:00Z', 'future'),
    );
    files.set('default/web/app', app);
    const prev = join(dir, 'app-prev.log');
    writeFileSync(prev, rec('2025-12-31T00:00:00Z', 'before the crash'));
    files.set('default/web/app/prev', prev);
  });
  after(async () => {
    await kubelet.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers an empty stream for a pod without a node, as upstream does', async () => {
    const r = await t.req('GET', `${NS}/web/log?container=app`);
    assert.equal(r.status, 204);
    assert.equal(r.body, '');
    assert.equal((await t.req('GET', `${NS}/missing/log`)).status, 404);
  });

  it('validates the options with upstream messages', async () => {
    const neg = await t.req('GET', `${NS}/web/log?tailLines=-1`);
    assert.equal(neg.status, 422);
    assert.equal(neg.body.reason, 'Invalid');
    assert.equal(
      neg.body.message,
      'PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
    );
    const limit = await t.req('GET', `${NS}/web/log?limitBytes=-5&sinceSeconds=0`);
    assert.equal(limit.status, 422);
    assert.equal(
      limit.body.message,
      'PodLogOptions "web" is invalid: [limitBytes: Invalid value: -5: must be greater than 0, sinceSeconds: Invalid value: 0: must be greater than 0]',
    );
    const both = await t.req('GET', `${NS}/web/log?sinceSeconds=10&sinceTime=2026-01-01T00:00:00Z`);
    assert.equal(both.status, 422);
    assert.equal(
      both.body.message,
      'PodLogOptions "web" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    );
    assert.equal((await t.req('GET', `${NS}/web/log?tailLines=many`)).status, 400);
    assert.equal((await t.req('GET', `${NS}/web/log?sinceTime=yesterday`)).status, 400);
  });

  it('requires a container when the pod has several, listing them', async () => {
    const r = await t.req('GET', `${NS}/web/log`);
    assert.equal(r.status, 400);
    assert.equal(
      r.body.message,
      'a container name must be specified for pod web, choose one of: [app side] or one of the init containers: [setup]',
    );
    const bad = await t.req('GET', `${NS}/web/log?container=nope`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'container nope is not valid for pod web');
  });

  it('reports a missing node, a node without a usable address, and containers without logs', async () => {
    await t.req('POST', NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'lost' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    await bind('lost', 'ghost');
    const ghost = await t.req('GET', `${NS}/lost/log`);
    assert.equal(ghost.status, 404);
    assert.equal(ghost.body.message, 'nodes "ghost" not found');
    await t.req('POST', NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'dark' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    await bind('dark', 'blind');
    const blind = await t.req('GET', `${NS}/dark/log`);
    assert.equal(blind.status, 400);
    assert.equal(
      blind.body.message,
      'no preferred addresses found; known addresses: [{InternalDNS blind.local}]',
    );

    await bind('web', 'n1');
    const unknown = await t.req('GET', `${NS}/web/log?container=app`);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.message, 'container "app" in pod "web" is not available');
    await setStatus('web', [
      { ...running('app'), containerID: undefined, state: { waiting: { reason: 'ContainerCreating' } } },
      { ...running('side'), state: { waiting: { reason: 'ImagePullBackOff' } } },
    ]);
    const waiting = await t.req('GET', `${NS}/web/log?container=app`);
    assert.equal(waiting.status, 400);
    assert.equal(waiting.body.message, 'container "app" in pod "web" is waiting to start: ContainerCreating');
    const pulling = await t.req('GET', `${NS}/web/log?container=side`);
    assert.equal(
      pulling.body.message,
      'container "side" in pod "web" is waiting to start: trying and failing to pull image',
    );
    const noPrev = await t.req('GET', `${NS}/web/log?container=app&previous=true`);
    assert.equal(noPrev.body.message, 'previous terminated container "app" in pod "web" not found');
  });

  it('streams the kubelet answer with the options passed through', async () => {
    await setStatus('web', [
      running('app', {
        restartCount: 1,
        lastState: { terminated: { exitCode: 1, reason: 'Error', containerID: 'containerd://app-0' } },
      }),
      running('side'),
    ]);
    const all = await t.req('GET', `${NS}/web/log?container=app`);
    assert.equal(all.status, 200);
    assert.equal(all.headers.get('content-type'), 'text/plain');
    assert.equal(all.body, 'hello\nworld\nfuture\n');
    assert.equal((await t.req('GET', `${NS}/web/log?container=app&tailLines=1`)).body, 'future\n');
    assert.equal(
      (await t.req('GET', `${NS}/web/log?container=app&timestamps=true&limitBytes=36`)).body,
      '2026-01-01T00:00:01.500000000Z hello',
    );
    assert.equal(
      (await t.req('GET', `${NS}/web/log?container=app&sinceTime=2029-06-01T00:00:00Z`)).body,
      'future\n',
    );
    assert.equal((await t.req('GET', `${NS}/web/log?container=app&sinceSeconds=3600`)).body, 'future\n');
    assert.equal(
      (await t.req('GET', `${NS}/web/log?container=app&previous=true`)).body,
      'before the crash\n',
    );
    // The kubelet's 404 (no log file for a container the status calls running) comes through as a Status.
    const none = await t.req('GET', `${NS}/web/log?container=side`);
    assert.equal(none.status, 404);
    assert.equal(none.body.message, 'no log found for container "side" in pod "default/web"');
  });

  it('follows live and closes the kubelet stream when the client goes away', async () => {
    const ac = new AbortController();
    const r = await fetch(`${t.url}${NS}/web/log?container=app&follow=true&tailLines=1`, {
      signal: ac.signal,
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('transfer-encoding'), 'chunked');
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    const readUntil = async (want: string) => {
      while (!seen.includes(want)) {
        const { value, done } = await reader.read();
        if (done) assert.fail(`stream ended early: ${JSON.stringify(seen)}`);
        seen += decoder.decode(value, { stream: true });
      }
    };
    await readUntil('future\n');
    appendFileSync(files.get('default/web/app')!, rec('2030-01-01T00:00:01Z', 'live'));
    await readUntil('live\n');
    assert.equal(seen, 'future\nlive\n');
    ac.abort();
    // The kubelet's follower asks whether the container runs at every poll while it lives; it must stop.
    await eventually('the kubelet follower to stop', async () => {
      const before = runningCalls;
      await new Promise((res) => setTimeout(res, 150));
      return runningCalls === before ? true : undefined;
    });
  });
});
