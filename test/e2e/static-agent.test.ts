// Static pods need no API server: a real `k8ts agent` pointed at an address where nothing listens (so it
// never registers its Node) still runs the host-network pod of a manifest in <data-dir>/manifests in real
// containerd, and stops it when the file is removed. Teardown stops the agent by pid and removes its
// containers, shims, cgroups and data dir.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { containerdPaths } from '../../src/runtime/containerd-config.js';
import { CriClient } from '../../src/runtime/cri/client.js';
import { K8TS_BIN } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { cleanupNodeDataDir } from '../helpers/node-cleanup.js';
import { runtimeSkipReason, testBridgeName } from '../helpers/node-runtime.js';

const skip = runtimeSkipReason();
if (skip) console.log(`# skipping static agent e2e: ${skip}`);

describe('static pods of a k8ts agent whose API server is unreachable', {
  skip: skip ?? false,
  timeout: 180_000,
}, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-static-agent-'));
  const bridge = `${testBridgeName()}s`;
  const cgroupRoot = `/k8ts-e2e-static-${process.pid}`;
  const nodeName = `static-agent-${process.pid}`;
  let agent: ChildProcess | undefined;
  let output = '';
  let cri: CriClient | undefined;

  after(async () => {
    cri?.close();
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      process.kill(agent.pid!, 'SIGTERM');
      const t = setTimeout(() => agent!.exitCode === null && process.kill(agent!.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    await cleanupNodeDataDir(dataDir, bridge, cgroupRoot);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a host-network static pod without ever reaching the API server, and stops it with its file', async () => {
    mkdirSync(join(dataDir, 'manifests'), { recursive: true });
    const file = join(dataDir, 'manifests', 'web.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: k8ts.local/busybox:latest
    command: [sleep, '3600']
`,
    );
    agent = spawn(
      process.execPath,
      [
        K8TS_BIN,
        'agent',
        '--server',
        'http://127.0.0.1:9', // the discard port: nothing answers
        '--data-dir',
        dataDir,
        '--node-name',
        nodeName,
        '--kubelet-port',
        '0',
        '--cni-bridge',
        bridge,
        '--cgroup-root',
        cgroupRoot,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await eventually(
      'the agent to start its node',
      async () => (/node \S+ started/.test(output) ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    cri = new CriClient(containerdPaths(dataDir).socket);
    const running = async () =>
      (
        await cri!.listContainers({
          labelSelector: { 'io.kubernetes.pod.name': `web-${nodeName}` },
          state: { state: 'CONTAINER_RUNNING' },
        })
      ).map((c) => c.id);
    const [id] = await eventually(
      'the static pod container running',
      async () => {
        const ids = await running();
        return ids.length === 1 ? ids : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.ok(id);
    assert.match(output, /node registration failed, retrying/, 'the API server was never reached');
    assert.doesNotMatch(output, /is ready in/);
    const sandboxes = await cri.listPodSandbox({
      labelSelector: { 'io.kubernetes.pod.name': `web-${nodeName}` },
    });
    assert.equal(sandboxes[0]?.metadata?.namespace, 'default');

    rmSync(file);
    await eventually(
      'the container stopped',
      async () => ((await running()).length === 0 ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );
  });
});
