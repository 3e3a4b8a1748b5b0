// `kubectl logs` (1.27 and 1.33) against a real `k8ts server --disable-agent`: the test plays the node. It runs
// a kubelet log server on loopback over temp CRI log files, registers a Node pointing at it and reports the
// pods Running through pods/NAME/status, so the API server's proxy and the kubelet server are what is tested.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type KubeletServer, startKubeletServer } from '../../src/kubelet/server.js';
import { type Cluster, KUBECTL_VERSIONS, kubectlPath, startCluster } from '../helpers/cluster.js';

const rec = (iso: string, content: string, stream = 'stdout', tag = 'F') =>
  `${iso} ${stream} ${tag} ${content}\n`;

let cluster: Cluster;
let kubelet: KubeletServer;
let dir: string;
const files = new Map<string, string>();

async function api(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<any> {
  const r = await fetch(cluster.url + path, {
    method,
    headers: { 'content-type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

const runningStatus = (name: string, extra: object = {}) => ({
  name,
  ready: true,
  started: true,
  restartCount: 0,
  image: 'busybox',
  imageID: 'sha256:0',
  containerID: `containerd://${name}-1`,
  state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
  ...extra,
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'k8ts-e2e-logs-'));
  kubelet = await startKubeletServer({
    host: '127.0.0.1',
    port: 0,
    followPollMs: 50,
    logs: { resolve: async (ns, pod, c, prev) => files.get(`${ns}/${pod}/${c}${prev ? '/prev' : ''}`) },
  });
  cluster = await startCluster();
  await api('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'fake-node' } });
  // A merge patch: the node IPAM controller may update the Node at the same moment.
  await api(
    'PATCH',
    '/api/v1/nodes/fake-node/status',
    {
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
      },
    },
    'application/merge-patch+json',
  );
});
after(async () => {
  await cluster?.stop();
  await kubelet?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const v of KUBECTL_VERSIONS) {
  const ns = `logs-${v.replace('.', '-')}`;
  describe(`kubectl ${v} logs`, () => {
    const log = (name: string, text: string) => {
      const p = join(dir, `${ns}-${name}.log`);
      writeFileSync(p, text);
      return p;
    };

    before(async () => {
      await api('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
      const pod = await api('POST', `/api/v1/namespaces/${ns}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web' },
        spec: {
          nodeName: 'fake-node',
          containers: [
            { name: 'app', image: 'busybox' },
            { name: 'side', image: 'busybox' },
          ],
        },
      });
      files.set(
        `${ns}/web/app`,
        log(
          'app',
          rec('2026-01-01T00:00:01.25Z', 'starting') +
            rec('2026-01-01T00:00:02Z', 'a very ', 'stdout', 'P') +
            rec('2026-01-01T00:00:02.1Z', 'long line') +
            rec('2026-01-01T00:00:03Z', 'oops', 'stderr'),
        ),
      );
      files.set(`${ns}/web/app/prev`, log('app-prev', rec('2025-12-31T23:59:00Z', 'crashed')));
      files.set(`${ns}/web/side`, log('side', rec('2026-01-01T00:00:05Z', 'sidecar here')));
      await api('PUT', `/api/v1/namespaces/${ns}/pods/web/status`, {
        ...pod,
        status: {
          ...pod.status,
          phase: 'Running',
          containerStatuses: [
            runningStatus('app', {
              restartCount: 1,
              lastState: { terminated: { exitCode: 1, reason: 'Error', containerID: 'containerd://app-0' } },
            }),
            runningStatus('side'),
          ],
        },
      });
    });

    const kubectl = async (args: string[]) => {
      const r = await cluster.kubectl(v, ['-n', ns, ...args]);
      return r;
    };

    it('prints a container log, with -c, --tail, --timestamps, --limit-bytes and --since-time', async () => {
      const all = await kubectl(['logs', 'web', '-c', 'app']);
      assert.equal(all.code, 0, all.stderr);
      assert.equal(all.stdout, 'starting\na very long line\noops\n');
      assert.equal((await kubectl(['logs', 'web', '-c', 'side'])).stdout, 'sidecar here\n');
      // Without -c kubectl itself picks the first container and says so.
      const defaulted = await kubectl(['logs', 'web']);
      assert.equal(defaulted.stdout, all.stdout);
      assert.match(defaulted.stderr, /Defaulted container "app" out of: app, side/);
      assert.equal(
        (await kubectl(['logs', 'web', '-c', 'app', '--tail=2'])).stdout,
        'a very long line\noops\n',
      );
      assert.equal(
        (await kubectl(['logs', 'web', '-c', 'app', '--tail=1', '--timestamps'])).stdout,
        '2026-01-01T00:00:03.000000000Z oops\n',
      );
      assert.equal((await kubectl(['logs', 'web', '-c', 'app', '--limit-bytes=5'])).stdout, 'start');
      assert.equal(
        (await kubectl(['logs', 'web', '-c', 'app', '--since-time=2026-01-01T00:00:02Z'])).stdout,
        'a very long line\noops\n',
      );
      // The lines are from 2026-01-01: far older than an hour before now.
      assert.equal((await kubectl(['logs', 'web', '-c', 'app', '--since=1h'])).stdout, '');
    });

    it('prints the previous instance with --previous, and explains what is missing', async () => {
      assert.equal((await kubectl(['logs', 'web', '-c', 'app', '--previous'])).stdout, 'crashed\n');
      const none = await kubectl(['logs', 'web', '-c', 'side', '--previous']);
      assert.notEqual(none.code, 0);
      assert.match(none.stderr, /previous terminated container "side" in pod "web" not found/);
      const bad = await kubectl(['logs', 'web', '-c', 'nope']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /container nope is not valid for pod web/);
      const neg = await kubectl(['logs', 'web', '-c', 'app', '--limit-bytes=-1']);
      assert.notEqual(neg.code, 0);
    });

    it('follows with -f until the container is replaced', async () => {
      const path = files.get(`${ns}/web/app`)!;
      const child = spawn(
        kubectlPath(v),
        ['--kubeconfig', cluster.kubeconfig, '-n', ns, 'logs', '-f', 'web', '-c', 'app', '--tail=1'],
        {
          env: { PATH: process.env.PATH, HOME: cluster.dataDir },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
      });
      const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
      const waitFor = (want: string) =>
        new Promise<void>((res, rej) => {
          const check = () => {
            if (out.includes(want)) {
              child.stdout.off('data', onData);
              clearTimeout(timer);
              res();
            }
          };
          const onData = (d: Buffer) => {
            out += d;
            check();
          };
          const timer = setTimeout(
            () => rej(new Error(`kubectl -f never printed ${want}: ${out} ${err}`)),
            15_000,
          );
          child.stdout.on('data', onData);
          check();
        });
      try {
        await waitFor('oops\n');
        appendFileSync(path, rec('2026-01-01T00:00:10Z', 'streamed live'));
        await waitFor('streamed live\n');
        // A restart moves the container's log to a new file: the follow ends and kubectl exits cleanly.
        files.set(`${ns}/web/app`, log('app-next', ''));
        assert.equal(await exited, 0, err);
        assert.equal(out, 'oops\nstreamed live\n');
      } finally {
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
      }
    });
  });
}
