// The node agent end to end, in one shared cluster: a real `k8ts server` with its local node (containerd,
// runc, CNI) driven by real kubectl. A Deployment of busybox httpd pods serves on its pod IPs; a crashing
// pod backs off; a failing liveness probe restarts its container; a readiness probe holds Ready back until
// it passes; preStop and postStart hooks run; a Job completes; deleting a Deployment stops its containers;
// volumes (configMap with an edit reaching the file, a missing one holding the pod with FailedMount, a
// shared emptyDir and tmpfs, the service account token passing a TokenReview); a static pod from
// <data-dir>/manifests with its mirror pod (deleted and made again, changed, removed); a local-path
// PersistentVolumeClaim provisioned, bound, mounted and reclaimed; kill -9 of the server and a
// restart keep the running containers; exec (exit codes, stdin, a TTY), cp, attach and port-forward with
// kubectl 1.27 (SPDY) and 1.33 (websocket v5, SPDY tunnelled in a websocket) and client-node. Teardown stops
// every process by pid and removes pods, shims, mounts, the bridge, the cgroups and the data dir.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { logResolver } from '../../src/kubelet/logs.js';
import { containerdPaths } from '../../src/runtime/containerd-config.js';
import { CriClient } from '../../src/runtime/cri/client.js';
import { type Cluster, KUBECTL_VERSIONS, kubectlPath, startCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { cleanupNodeDataDir } from '../helpers/node-cleanup.js';
import { nodeFlags } from '../helpers/node-cluster.js';
import { mountsUnder, pickTestPodCidr, runtimeSkipReason, testBridgeName } from '../helpers/node-runtime.js';

const skip = runtimeSkipReason();
if (skip) console.log(`# skipping kubelet e2e: ${skip}`);

type Obj = Record<string, any>;

/** Runs a shell command line under a pseudo-terminal; resolves its exit code and what it printed. */
function runInPty(command: string, home: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('script', ['-qec', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: home, TERM: 'dumb' },
    });
    let output = '';
    p.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const t = setTimeout(() => process.kill(p.pid!, 'SIGKILL'), 30_000);
    p.once('error', reject);
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, output });
    });
  });
}

describe('kubelet e2e: k8ts server with its node', { skip: skip ?? false, timeout: 300_000 }, () => {
  let cluster: Cluster | undefined;
  let cri: CriClient;
  let dataDir = '';
  const bridge = testBridgeName();
  const cgroupRoot = `/k8ts-e2e-${process.pid}`;
  const nodeName = `e2e-node-${process.pid}`;
  const args = () => ['--cluster-cidr', pickTestPodCidr(1), ...nodeFlags({ bridge, cgroupRoot, nodeName })];
  let clusterArgs: string[] = [];

  const kubectl = async (a: string[], input?: string) => {
    const r = await cluster!.kubectl('1.33', a, { input });
    assert.equal(r.code, 0, `kubectl ${a.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async (a: string[]): Promise<Obj> => JSON.parse(await kubectl([...a, '-o', 'json']));
  const nodeReady = async () => {
    const node = await cluster!.kubectl('1.33', ['get', 'node', nodeName, '-o', 'json']);
    if (node.code !== 0) return undefined;
    const n = JSON.parse(node.stdout);
    return n.status?.conditions?.find((c: Obj) => c.type === 'Ready')?.status === 'True' ? n : undefined;
  };
  const podsOf = async (selector: string): Promise<Obj[]> =>
    (await getJson(['get', 'pods', '-l', selector])).items;
  const allRunning = (n: number, selector: string) => async () => {
    const pods = await podsOf(selector);
    return pods.length === n &&
      pods.every((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp)
      ? pods
      : undefined;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'k8ts-kubelet-e2e-'));
    clusterArgs = args();
    cluster = await startCluster({ agent: true, dataDir, args: clusterArgs });
    await eventually('the node to be Ready', nodeReady, { timeoutMs: 30_000 });
    cri = new CriClient(containerdPaths(dataDir).socket);
  });

  after(async () => {
    cri?.close();
    if (cluster) {
      const pid = cluster.pid;
      await cluster.stop();
      assert.throws(() => process.kill(pid, 0), 'k8ts server still running');
    }
    if (!dataDir) return;
    await cleanupNodeDataDir(dataDir, bridge, cgroupRoot);
    assert.deepEqual(mountsUnder(dataDir), []);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('registers the node with capacity, addresses, nodeInfo, a podCIDR and a lease', async () => {
    const node = (await nodeReady())!;
    assert.equal(node.status.capacity.pods, '110');
    assert.ok(Number(node.status.capacity.cpu) >= 1);
    assert.match(node.status.capacity.memory, /^\d+Ki$/);
    assert.ok(node.status.allocatable['ephemeral-storage']);
    assert.deepEqual(
      node.status.addresses.map((a: Obj) => a.type),
      ['InternalIP', 'Hostname'],
    );
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
    assert.ok(node.status.daemonEndpoints.kubeletEndpoint.Port > 0);
    assert.equal(node.spec.podCIDR, clusterArgs[1]);
    for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure'])
      assert.equal(node.status.conditions.find((c: Obj) => c.type === t)?.status, 'False');
    const lease = await getJson(['get', 'lease', '-n', 'kube-node-lease', nodeName]);
    assert.equal(lease.spec.holderIdentity, nodeName);
    assert.equal(lease.metadata.ownerReferences[0].uid, node.metadata.uid);
  });

  it('runs a Deployment of busybox httpd pods that serve on their pod IPs', async () => {
    await kubectl(['create', 'configmap', 'greeting', '--from-literal=text=hello']);
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              terminationGracePeriodSeconds: 2,
              containers: [
                {
                  name: 'httpd',
                  image: 'k8ts.local/busybox:latest',
                  command: [
                    'sh',
                    '-c',
                    'echo "$(GREETING) from $(POD_NAME)" > /tmp/index.html && exec httpd -f -p 8080 -h /tmp',
                  ],
                  env: [
                    { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'greeting', key: 'text' } } },
                    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  ],
                  resources: { limits: { cpu: '200m', memory: '64Mi' } },
                },
              ],
            },
          },
        },
      }),
    );
    const pods = await eventually('3 web pods Running', allRunning(3, 'app=web'), { timeoutMs: 30_000 });
    for (const p of pods) {
      assert.ok(p.status.podIP, 'pod IP');
      const ready = p.status.conditions.find((c: Obj) => c.type === 'Ready');
      assert.equal(ready.status, 'True');
      assert.equal(p.status.containerStatuses[0].ready, true);
      assert.match(p.status.containerStatuses[0].containerID, /^containerd:\/\//);
      const body = await eventually(`${p.metadata.name} to answer`, async () => {
        try {
          const res = await fetch(`http://${p.status.podIP}:8080/index.html`, {
            signal: AbortSignal.timeout(2_000),
          });
          return await res.text();
        } catch {
          return undefined;
        }
      });
      assert.equal(body.trim(), `hello from ${p.metadata.name}`);
    }
    // Logs in upstream's layout, found by the resolver the kubelet gives its log server.
    const logs = logResolver(cri, (_ns, name) => pods.find((p) => p.metadata.name === name));
    const p0 = pods[0];
    const path = await logs.resolve('default', p0.metadata.name, 'httpd', false);
    assert.equal(
      path,
      join(dataDir, 'pods', `default_${p0.metadata.name}_${p0.metadata.uid}`, 'httpd', '0.log'),
    );
    assert.ok(existsSync(path!));
    assert.equal(await logs.resolve('default', p0.metadata.name, 'httpd', true), undefined);
    const table = await kubectl(['get', 'pods', '-l', 'app=web']);
    assert.equal(table.match(/ Running /g)?.length, 3, table);
    const events = await kubectl([
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${pods[0].metadata.name}`,
    ]);
    for (const reason of ['Scheduled', 'Pulled', 'Created', 'Started'])
      assert.match(events, new RegExp(reason));
  });

  it('deleting the Deployment stops its containers: the runtime has none left for it', async () => {
    const uids = (await podsOf('app=web')).map((p) => p.metadata.uid as string);
    assert.equal(uids.length, 3);
    await kubectl(['delete', 'deployment', 'web']);
    await eventually(
      'web pods gone',
      async () => ((await podsOf('app=web')).length === 0 ? true : undefined),
      { timeoutMs: 30_000 },
    );
    const killing = await kubectl(['get', 'events', '--field-selector', 'reason=Killing']);
    assert.equal(killing.match(/Stopping container httpd/g)?.length, 3, killing);
    for (const uid of uids) {
      const left = await cri.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid } });
      const sandboxes = await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } });
      assert.deepEqual([left.length, sandboxes.length], [0, 0], `pod ${uid} left containers behind`);
    }
  });

  it('shows CrashLoopBackOff with a growing back-off for a pod that exits 1', async () => {
    await kubectl(['run', 'crash', '--image=k8ts.local/busybox:latest', '--', 'sh', '-c', 'exit 1']);
    const messages = new Set<string>();
    await eventually(
      'the back-off to grow to 20s',
      async () => {
        const p = await getJson(['get', 'pod', 'crash']);
        const w = p.status?.containerStatuses?.[0]?.state?.waiting;
        if (w?.reason === 'CrashLoopBackOff') messages.add(w.message.split(' ')[1]);
        return messages.has('20s') ? p : undefined;
      },
      { timeoutMs: 45_000 },
    );
    assert.ok(messages.has('10s'), `saw ${[...messages]}`);
    const p = await getJson(['get', 'pod', 'crash']);
    const cs = p.status.containerStatuses[0];
    assert.equal(p.status.phase, 'Running');
    assert.ok(cs.restartCount >= 2);
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    const logs = logResolver(cri, () => p);
    const previous = await logs.resolve('default', 'crash', 'crash', true);
    assert.match(previous ?? '', /\/crash\/\d+\.log$/);
    assert.ok(existsSync(previous!));
    const table = await kubectl(['get', 'pod', 'crash']);
    assert.match(table, /CrashLoopBackOff/);
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=crash']);
    assert.match(events, /BackOff/);
    await kubectl(['delete', 'pod', 'crash', '--grace-period=1']);
  });

  it('finishes a Job of 5 completions with Completed pods', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'five' },
        spec: {
          completions: 5,
          parallelism: 3,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [
                { name: 'work', image: 'k8ts.local/busybox:latest', command: ['sh', '-c', 'echo done'] },
              ],
            },
          },
        },
      }),
    );
    await eventually(
      'the Job to complete',
      async () => {
        const job = await getJson(['get', 'job', 'five']);
        return job.status?.conditions?.some((c: Obj) => c.type === 'Complete' && c.status === 'True')
          ? job
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const pods = await podsOf('job-name=five');
    assert.equal(pods.filter((p) => p.status.phase === 'Succeeded').length, 5);
    const table = await kubectl(['get', 'pods', '-l', 'job-name=five']);
    assert.equal(table.match(/ Completed /g)?.length, 5, table);
    for (const p of pods) {
      const t = p.status.containerStatuses[0].state.terminated;
      assert.equal(t.exitCode, 0);
      assert.equal(t.reason, 'Completed');
      // a finished pod's volumes (its API access tmpfs) are torn down while the pod object stays
      await eventually(`${p.metadata.name}'s volumes to go`, async () =>
        existsSync(join(dataDir, 'pods', p.metadata.uid)) ? undefined : true,
      );
    }
    // kubectl logs of a real container through the API server and the kubelet's log server.
    for (const v of ['1.27', '1.33'] as const) {
      const r = await cluster!.kubectl(v, ['logs', `job/five`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'done\n');
    }
  });

  it('streams kubectl logs -f from a running container and ends when it exits', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'counter' },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'count',
              image: 'k8ts.local/busybox:latest',
              command: ['sh', '-c', 'for i in 1 2 3 4 5 6; do echo line $i; sleep 1; done'],
            },
          ],
        },
      }),
    );
    await eventually('the counter pod to run', async () => {
      const p = await getJson(['get', 'pod', 'counter']);
      return p.status?.phase === 'Running' ? p : undefined;
    });
    // -f follows while the container runs and returns once it has exited: all six lines, in order.
    const started = Date.now();
    const r = await cluster!.kubectl('1.33', ['logs', '-f', 'counter'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [1, 2, 3, 4, 5, 6].map((i) => `line ${i}\n`).join(''));
    assert.ok(Date.now() - started >= 2000, 'logs -f returned before the container finished');
    const tail = await kubectl(['logs', 'counter', '--tail', '2']);
    assert.equal(tail, 'line 5\nline 6\n');
    await kubectl(['delete', 'pod', 'counter', '--grace-period=1']);
  });

  it('restarts a container whose liveness probe fails, with Unhealthy and Killing events', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'liveness' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'app',
              image: 'k8ts.local/busybox:latest',
              // Healthy for 2 s, then the probe's file is gone.
              command: ['sh', '-c', 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 3600'],
              livenessProbe: {
                exec: { command: ['test', '-f', '/tmp/healthy'] },
                periodSeconds: 1,
                failureThreshold: 2,
              },
            },
          ],
        },
      }),
    );
    const p = await eventually(
      'the liveness pod restarted twice',
      async () => {
        const pod = await getJson(['get', 'pod', 'liveness']);
        return (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 ? pod : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(p.status.phase, 'Running');
    const events = await getJson(['get', 'events', '--field-selector', 'involvedObject.name=liveness']);
    const messages = events.items.map((e: Obj) => `${e.reason}: ${e.message}`);
    assert.ok(
      messages.some((m: string) => m.startsWith('Unhealthy: Liveness probe failed')),
      messages.join('\n'),
    );
    assert.ok(
      messages.includes('Killing: Container app failed liveness probe, will be restarted'),
      messages.join('\n'),
    );
    await kubectl(['delete', 'pod', 'liveness', '--grace-period=1']);
  });

  it('keeps a pod not Ready until its readiness probe passes; runs postStart first', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'readiness' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'web',
              image: 'k8ts.local/busybox:latest',
              command: ['sh', '-c', 'mkdir -p /www && exec httpd -f -p 8080 -h /www'],
              ports: [{ name: 'http', containerPort: 8080 }],
              lifecycle: {
                postStart: {
                  exec: { command: ['sh', '-c', 'mkdir -p /www && echo hooked > /www/hook.txt'] },
                },
              },
              // Only passes once /www/ready exists (httpd answers 404 before).
              readinessProbe: {
                httpGet: { path: '/ready', port: 'http', httpHeaders: [{ name: 'X-Probe', value: '1' }] },
                periodSeconds: 1,
              },
              livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      }),
    );
    const running = await eventually('the readiness pod to run', async () => {
      const pod = await getJson(['get', 'pod', 'readiness']);
      return pod.status?.phase === 'Running' ? pod : undefined;
    });
    // Several probe periods later it is still not Ready.
    await new Promise((r) => setTimeout(r, 3_000));
    const notYet = await getJson(['get', 'pod', 'readiness']);
    const cond = (pod: Obj, type: string) => pod.status.conditions.find((c: Obj) => c.type === type);
    assert.equal(cond(notYet, 'Ready').status, 'False');
    assert.equal(cond(notYet, 'ContainersReady').status, 'False');
    assert.equal(notYet.status.containerStatuses[0].ready, false);
    assert.equal(notYet.status.containerStatuses[0].started, true);
    assert.equal(notYet.status.containerStatuses[0].restartCount, 0, 'the tcpSocket liveness probe passes');
    const hook = await fetch(`http://${running.status.podIP}:8080/hook.txt`, {
      signal: AbortSignal.timeout(2_000),
    });
    assert.equal((await hook.text()).trim(), 'hooked');
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=readiness']);
    assert.match(events, /Readiness probe failed: HTTP probe failed with statuscode: 404/);

    const id = running.status.containerStatuses[0].containerID.replace('containerd://', '');
    const r = await cri.execSync(id, ['sh', '-c', 'echo ok > /www/ready'], 5);
    assert.equal(r.exitCode, 0);
    const ready = await eventually(
      'the readiness pod to be Ready',
      async () => {
        const pod = await getJson(['get', 'pod', 'readiness']);
        return cond(pod, 'Ready')?.status === 'True' ? pod : undefined;
      },
      { timeoutMs: 15_000 },
    );
    assert.equal(cond(ready, 'ContainersReady').status, 'True');
    assert.equal(ready.status.containerStatuses[0].ready, true);
    await kubectl(['delete', 'pod', 'readiness', '--grace-period=1']);
  });

  it('calls a preStop httpGet hook before stopping; a failing postStart hook kills the container', async () => {
    // The kubelet runs in the host's network namespace: a preStop hook aimed at 127.0.0.1 reaches us.
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(`${req.url} ${req.headers['user-agent']}`);
      res.end('bye');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const pod = (name: string, lifecycle: Obj) =>
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: {
            terminationGracePeriodSeconds: 2,
            containers: [
              { name: 'app', image: 'k8ts.local/busybox:latest', command: ['sleep', '3600'], lifecycle },
            ],
          },
        });
      await kubectl(
        ['apply', '-f', '-'],
        pod('prestop', { preStop: { httpGet: { host: '127.0.0.1', port, path: '/bye' } } }),
      );
      await kubectl(
        ['apply', '-f', '-'],
        pod('poststart', { postStart: { exec: { command: ['sh', '-c', 'exit 3'] } } }),
      );
      await eventually('the prestop pod to run', async () => {
        const p = await getJson(['get', 'pod', 'prestop']);
        return p.status?.phase === 'Running' ? p : undefined;
      });
      assert.deepEqual(hits, []);
      await kubectl(['delete', 'pod', 'prestop', '--wait=true']);
      assert.equal(hits.length, 1, 'the preStop hook ran once');
      assert.match(hits[0], /^\/bye kube-lifecycle\//);

      const failed = await eventually(
        'the poststart pod restarted',
        async () => {
          const p = await getJson(['get', 'pod', 'poststart']);
          return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? p : undefined;
        },
        { timeoutMs: 30_000 },
      );
      assert.ok(failed.status.containerStatuses[0].lastState.terminated, 'the killed instance is lastState');
      const events = await getJson(['get', 'events', '--field-selector', 'involvedObject.name=poststart']);
      const reasons = events.items.map((e: Obj) => `${e.reason}: ${e.message}`);
      assert.ok(
        reasons.some((m: string) => /^FailedPostStartHook: Exec lifecycle hook .*exit 3/.test(m)),
        reasons.join('\n'),
      );
      assert.ok(reasons.includes('Killing: FailedPostStartHook'), reasons.join('\n'));
      await kubectl(['delete', 'pod', 'poststart', '--grace-period=1']);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  const runPod = (pod: Obj) =>
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...pod }));
  const podRunning = (name: string) => async () => {
    const p = await getJson(['get', 'pod', name]);
    return p.status?.phase === 'Running' ? p : undefined;
  };
  const logsOf = async (pod: string, container?: string) => {
    const r = await cluster!.kubectl('1.33', ['logs', pod, ...(container ? ['-c', container] : [])]);
    return r.code === 0 ? r.stdout : '';
  };
  const deletePodAndCheckVolumesGone = async (name: string) => {
    const uid = (await getJson(['get', 'pod', name])).metadata.uid;
    await kubectl(['delete', 'pod', name, '--grace-period=1']);
    await eventually(`${name}'s volume directory to go`, async () =>
      existsSync(join(dataDir, 'pods', uid)) ? undefined : true,
    );
    assert.deepEqual(mountsUnder(join(dataDir, 'pods', uid)), []);
  };

  it('mounts a configMap volume, and an edit of the ConfigMap reaches the mounted file', async () => {
    await kubectl(['create', 'configmap', 'app-config', '--from-literal=greeting=hello']);
    await runPod({
      metadata: { name: 'cm-reader' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'read',
            image: 'k8ts.local/busybox:latest',
            command: [
              'sh',
              '-c',
              'while true; do echo "greeting=$(cat /etc/config/greeting)"; sleep 1; done',
            ],
            volumeMounts: [{ name: 'config', mountPath: '/etc/config' }],
          },
        ],
        volumes: [{ name: 'config', configMap: { name: 'app-config' } }],
      },
    });
    await eventually('cm-reader to run', podRunning('cm-reader'), { timeoutMs: 30_000 });
    await eventually('the file content in the log', async () =>
      (await logsOf('cm-reader')).includes('greeting=hello\n') ? true : undefined,
    );
    await kubectl([
      'patch',
      'configmap',
      'app-config',
      '-p',
      JSON.stringify({ data: { greeting: 'bonjour' } }),
    ]);
    const changedAfter = Date.now();
    await eventually(
      'the edit to reach the mounted file',
      async () => ((await logsOf('cm-reader')).includes('greeting=bonjour\n') ? true : undefined),
      // Watched, not polled: the edit is in the file within moments (the reader looks every second).
      { timeoutMs: 5_000 },
    );
    console.log(`# configMap edit reached the file in ${Date.now() - changedAfter} ms`);
    await deletePodAndCheckVolumesGone('cm-reader');
    await kubectl(['delete', 'configmap', 'app-config']);
  });

  it('holds a pod whose configMap is missing in ContainerCreating with FailedMount, then starts it', async () => {
    await runPod({
      metadata: { name: 'cm-missing' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'app',
            image: 'k8ts.local/busybox:latest',
            command: ['sh', '-c', 'cat /cfg/k; echo; sleep 3600'],
            volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }],
          },
        ],
        volumes: [{ name: 'cfg', configMap: { name: 'late' } }],
      },
    });
    const events = await eventually('a FailedMount event', async () => {
      const out = await kubectl([
        'get',
        'events',
        '--field-selector',
        'involvedObject.name=cm-missing,reason=FailedMount',
      ]);
      return out.includes('MountVolume.SetUp failed for volume "cfg" : configmap "late" not found')
        ? out
        : undefined;
    });
    assert.match(events, /Warning/);
    const p = await getJson(['get', 'pod', 'cm-missing']);
    assert.equal(p.status.phase, 'Pending');
    assert.equal(
      p.status.containerStatuses?.[0]?.state?.waiting?.reason ?? 'ContainerCreating',
      'ContainerCreating',
    );
    assert.match(await kubectl(['get', 'pod', 'cm-missing']), /ContainerCreating/);
    await kubectl(['create', 'configmap', 'late', '--from-literal=k=arrived']);
    await eventually('cm-missing to run', podRunning('cm-missing'), { timeoutMs: 30_000 });
    await eventually('the file in the log', async () =>
      (await logsOf('cm-missing')) === 'arrived\n' ? true : undefined,
    );
    await deletePodAndCheckVolumesGone('cm-missing');
    await kubectl(['delete', 'configmap', 'late']);
  });

  it('shares an emptyDir (disk and a tmpfs with its sizeLimit) between two containers', async () => {
    await runPod({
      metadata: { name: 'shared' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'writer',
            image: 'k8ts.local/busybox:latest',
            command: ['sh', '-c', 'echo from-writer > /data/msg; echo in-memory > /mem/msg; sleep 3600'],
            volumeMounts: [
              { name: 'data', mountPath: '/data' },
              { name: 'mem', mountPath: '/mem' },
            ],
          },
          {
            name: 'reader',
            image: 'k8ts.local/busybox:latest',
            command: [
              'sh',
              '-c',
              'until [ -f /shared/msg ] && [ -f /mem/msg ]; do sleep 0.2; done; cat /shared/msg /mem/msg; df -k /mem | tail -1; sleep 3600',
            ],
            volumeMounts: [
              { name: 'data', mountPath: '/shared', readOnly: true },
              { name: 'mem', mountPath: '/mem' },
            ],
          },
        ],
        volumes: [
          { name: 'data', emptyDir: {} },
          { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
        ],
      },
    });
    await eventually('shared to run', podRunning('shared'), { timeoutMs: 30_000 });
    const out = await eventually('the reader to see both files', async () => {
      const log = await logsOf('shared', 'reader');
      return log.split('\n').length >= 4 ? log : undefined;
    });
    const [disk, mem, df] = out.split('\n');
    assert.equal(disk, 'from-writer');
    assert.equal(mem, 'in-memory');
    // tmpfs of 16 MiB: 16384 1K-blocks
    assert.match(df!, /^tmpfs\s+16384\s/);
    const p = await getJson(['get', 'pod', 'shared']);
    const mounts = mountsUnder(join(dataDir, 'pods', p.metadata.uid)).map((m) => m.split('/volumes/')[1]);
    const api = p.spec.volumes.find((v: Obj) => v.projected).name;
    assert.deepEqual(mounts.sort(), [`kubernetes.io~empty-dir/mem`, `kubernetes.io~projected/${api}`].sort());
    await deletePodAndCheckVolumesGone('shared');
  });

  it('mounts the service account token, ca.crt and namespace; the token passes a TokenReview', async () => {
    await runPod({
      metadata: { name: 'token-reader' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'app',
            image: 'k8ts.local/busybox:latest',
            command: [
              'sh',
              '-c',
              'cd /var/run/secrets/kubernetes.io/serviceaccount && echo "ns=$(cat namespace)" && ls && echo "token=$(cat token)" && sleep 3600',
            ],
          },
        ],
      },
    });
    const p = await eventually('token-reader to run', podRunning('token-reader'), { timeoutMs: 30_000 });
    const vol = p.spec.volumes.find((v: Obj) => v.name.startsWith('kube-api-access-'));
    assert.ok(vol, 'the admission added the API access volume');
    assert.deepEqual(p.spec.containers[0].volumeMounts, [
      { name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ]);
    const log = await eventually('the token in the log', async () => {
      const out = await logsOf('token-reader');
      return /token=\S+/.test(out) ? out : undefined;
    });
    assert.match(log, /^ns=default\n/);
    // the projected volume is a tmpfs of its own: the token never reaches the node's disk
    assert.deepEqual(
      mountsUnder(join(dataDir, 'pods', p.metadata.uid)).map((m) => m.split('/volumes/')[1]),
      [`kubernetes.io~projected/${vol.name}`],
    );
    assert.match(log, /\nca\.crt\nnamespace\ntoken\n/);
    const token = /token=(\S+)/.exec(log)![1]!;
    const r = await cluster!.kubectl('1.33', ['create', '-o', 'json', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }),
    });
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout).status;
    assert.equal(status.authenticated, true, JSON.stringify(status));
    assert.equal(status.user.username, 'system:serviceaccount:default:default');
    assert.deepEqual(status.user.extra['authentication.kubernetes.io/pod-name'], ['token-reader']);
    assert.deepEqual(status.user.extra['authentication.kubernetes.io/pod-uid'], [p.metadata.uid]);
    await deletePodAndCheckVolumesGone('token-reader');
  });

  it('exec, attach, cp and port-forward reach the container with kubectl 1.27 (SPDY) and 1.33', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'shell' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'httpd',
              image: 'k8ts.local/busybox:latest',
              command: [
                'sh',
                '-c',
                'echo "page of $(hostname)" > /tmp/index.html && exec httpd -f -p 8080 -h /tmp',
              ],
            },
          ],
        },
      }),
    );
    await eventually('the shell pod to run', async () => {
      const p = await getJson(['get', 'pod', 'shell']);
      return p.status?.phase === 'Running' ? p : undefined;
    });
    // kubectl 1.33 speaks websocket v5 (translated to SPDY by the API server) without falling back to SPDY;
    // its own log (-v=7) says which protocol it got.
    const v5 = await cluster!.kubectl(
      '1.33',
      ['exec', '-i', '-v=7', 'shell', '--', 'sh', '-c', 'cat; exit 3'],
      {
        input: 'over v5\n',
      },
    );
    assert.equal(v5.code, 3, v5.stderr);
    assert.equal(v5.stdout, 'over v5\n');
    assert.match(v5.stderr, /The subprotocol is v5\.channel\.k8s\.io/);
    assert.doesNotMatch(v5.stderr, /fallback/i);
    for (const v of KUBECTL_VERSIONS) {
      // The exit code comes back through the error stream's Status.
      const exit3 = await cluster!.kubectl(v, [
        'exec',
        'shell',
        '--',
        'sh',
        '-c',
        'echo out; echo err >&2; exit 3',
      ]);
      assert.equal(exit3.code, 3, `${v}: ${exit3.stderr}`);
      assert.equal(exit3.stdout, 'out\n', v);
      assert.match(exit3.stderr, /^err\n/, v);
      const host = await cluster!.kubectl(v, ['exec', 'shell', '-c', 'httpd', '--', 'cat', '/etc/hostname']);
      assert.equal(host.code, 0, `${v}: ${host.stderr}`);
      assert.equal(host.stdout.trim(), 'shell', v);
      const echo = await cluster!.kubectl(v, ['exec', '-i', 'shell', '--', 'cat'], {
        input: `stdin via ${v}\n`,
      });
      assert.equal(echo.code, 0, `${v}: ${echo.stderr}`);
      assert.equal(echo.stdout, `stdin via ${v}\n`);
      // -it under a pseudo-terminal (util-linux `script`): the runtime gives the process a TTY and the exit
      // code still comes back.
      const tty = await runInPty(
        `${kubectlPath(v)} --kubeconfig ${cluster!.kubeconfig} exec -it shell -- sh -c 'test -t 0 && echo is-a-tty; exit 4'`,
        dataDir,
      );
      assert.equal(tty.code, 4, `${v}: ${tty.output}`);
      assert.match(tty.output, /is-a-tty/, v);
      const missing = await cluster!.kubectl(v, ['exec', 'shell', '-c', 'nope', '--', 'true']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /container nope is not valid for pod shell/, v);
    }
    // kubectl cp runs tar in the container, both ways.
    const local = join(dataDir, 'cp-in.txt');
    writeFileSync(local, 'copied in\n');
    for (const v of KUBECTL_VERSIONS) {
      const into = await cluster!.kubectl(v, ['cp', local, `shell:/tmp/cp-${v}.txt`]);
      assert.equal(into.code, 0, `${v}: ${into.stderr}`);
      const back = join(dataDir, `cp-out-${v}.txt`);
      const out = await cluster!.kubectl(v, ['cp', `shell:/tmp/cp-${v}.txt`, back]);
      assert.equal(out.code, 0, `${v}: ${out.stderr}`);
      assert.equal(readFileSync(back, 'utf8'), 'copied in\n');
    }
    // port-forward carries HTTP to busybox httpd on the pod's 8080.
    for (const v of KUBECTL_VERSIONS) {
      const pf = spawn(
        kubectlPath(v),
        ['--kubeconfig', cluster!.kubeconfig, 'port-forward', 'pod/shell', ':8080'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { PATH: process.env.PATH, HOME: dataDir },
        },
      );
      try {
        let out = '';
        const port = await new Promise<number>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`port-forward ${v} printed no port: ${out}`)), 15_000);
          const onData = (d: Buffer) => {
            out += d.toString();
            const m = out.match(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
            if (m) {
              clearTimeout(t);
              resolve(Number(m[1]));
            }
          };
          pf.stdout!.on('data', onData);
          pf.stderr!.on('data', onData);
          pf.once('exit', (code) => reject(new Error(`port-forward ${v} exited ${code}: ${out}`)));
        });
        for (let i = 0; i < 2; i++) {
          const res = await fetch(`http://127.0.0.1:${port}/index.html`, {
            signal: AbortSignal.timeout(10_000),
          });
          assert.equal(res.status, 200);
          assert.equal((await res.text()).trim(), 'page of shell', v);
        }
      } finally {
        const exited = new Promise((r) => (pf.exitCode !== null ? r(null) : pf.once('exit', r)));
        process.kill(pf.pid!, 'SIGTERM');
        await exited;
      }
    }
    // @kubernetes/client-node's Exec speaks websocket (it offers v5 and v4; the runtime picks v4).
    const kc = new k8s.KubeConfig();
    // client-node refuses plain http unless skipTLSVerify is set (as in client-node.test.ts).
    kc.loadFromOptions({
      clusters: [{ name: 'k8ts', server: cluster!.url, skipTLSVerify: true }],
      users: [{ name: 'admin' }],
      contexts: [{ name: 'k8ts', cluster: 'k8ts', user: 'admin' }],
      currentContext: 'k8ts',
    });
    let out = '';
    const stdout = new Writable({
      write(chunk, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const status = await new Promise<Obj>((resolve, reject) => {
      new k8s.Exec(kc)
        .exec(
          'default',
          'shell',
          'httpd',
          ['sh', '-c', 'echo from client-node; exit 5'],
          stdout,
          null,
          null,
          false,
          resolve,
        )
        .catch(reject);
    });
    assert.equal(out, 'from client-node\n');
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.equal(status.details.causes.find((c: Obj) => c.reason === 'ExitCode')?.message, '5');
    // client-node's PortForward: websocket (the runtime picks v4.channel.k8s.io), data on channel 0 after the port.
    let page = '';
    const pfOut = new Writable({
      write(chunk, _enc, cb) {
        page += chunk.toString();
        cb();
      },
    });
    const request = new PassThrough();
    const pfSocket = await new k8s.PortForward(kc).portForward(
      'default',
      'shell',
      [8080],
      pfOut,
      null,
      request,
    );
    try {
      request.write('GET /index.html HTTP/1.0\r\n\r\n');
      await eventually('the page through client-node PortForward', async () =>
        page.includes('page of shell') ? page : undefined,
      );
      assert.match(page, /^HTTP\/1\.[01] 200 OK/);
    } finally {
      (pfSocket as { close(): void }).close();
    }
    await kubectl(['delete', 'pod', 'shell', '--grace-period=1']);
  });

  it('kubectl attach -i feeds a container started with stdin and shows its output', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'talker' },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'talk',
              image: 'k8ts.local/busybox:latest',
              stdin: true,
              stdinOnce: true,
              command: ['sh', '-c', 'while read l; do echo "got $l"; done; echo bye'],
            },
          ],
        },
      }),
    );
    await eventually('the talker pod to run', async () => {
      const p = await getJson(['get', 'pod', 'talker']);
      return p.status?.phase === 'Running' ? p : undefined;
    });
    // stdinOnce: closing our stdin closes the container's, so the loop ends and so does attach.
    const r = await cluster!.kubectl('1.27', ['attach', '-i', 'talker', '-c', 'talk'], {
      input: 'one\ntwo\n',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /got one\ngot two\nbye\n$/);
    await kubectl(['delete', 'pod', 'talker', '--grace-period=1']);
  });

  it('runs a pod on a local-path PersistentVolumeClaim: provisioned on its node, bound, removed with the claim', async () => {
    await eventually('the default local-path StorageClass', async () => {
      const r = await cluster!.kubectl('1.33', ['get', 'storageclass']);
      return /local-path \(default\)\s+rancher\.io\/local-path\s+Delete\s+WaitForFirstConsumer/.test(r.stdout)
        ? true
        : undefined;
    });
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } },
      }),
    );
    const pending = await getJson(['get', 'pvc', 'data']);
    assert.equal(pending.spec.storageClassName, 'local-path', 'the default class');
    assert.equal(pending.status.phase, 'Pending');
    await runPod({
      metadata: { name: 'pvc-writer' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'w',
            image: 'k8ts.local/busybox:latest',
            command: ['sh', '-c', 'echo kept > /data/file; exec sleep 3600'],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      },
    });
    const created = Date.now();
    await eventually('pvc-writer to run', podRunning('pvc-writer'), { timeoutMs: 60_000 });
    console.log(`# pod with a new local-path claim Running in ${Date.now() - created} ms`);
    const pvc = await getJson(['get', 'pvc', 'data']);
    assert.equal(pvc.status.phase, 'Bound');
    assert.equal(pvc.metadata.annotations['volume.kubernetes.io/selected-node'], nodeName);
    assert.equal(pvc.status.capacity.storage, '64Mi');
    const pv = await getJson(['get', 'pv', pvc.spec.volumeName]);
    assert.equal(pv.status.phase, 'Bound');
    assert.equal(pv.spec.claimRef.uid, pvc.metadata.uid);
    assert.equal(pv.metadata.annotations['pv.kubernetes.io/provisioned-by'], 'rancher.io/local-path');
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, [
      nodeName,
    ]);
    const path: string = pv.spec.hostPath.path;
    assert.ok(path.startsWith(`${join(dataDir, 'storage')}/pvc-`), path);
    await eventually('the file on the node', async () =>
      existsSync(join(path, 'file')) && readFileSync(join(path, 'file'), 'utf8') === 'kept\n'
        ? true
        : undefined,
    );
    // The claim deleted after its pod: the helper pod empties the directory and the volume goes.
    await kubectl(['delete', 'pod', 'pvc-writer', '--grace-period=1']);
    await kubectl(['delete', 'pvc', 'data']);
    await eventually(
      'the volume and its directory gone',
      async () => {
        const r = await cluster!.kubectl('1.33', ['get', 'pv', pv.metadata.name]);
        return r.code !== 0 && !existsSync(path) ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
  });

  it('runs a static pod from <data-dir>/manifests and mirrors it; a deleted mirror comes back', async () => {
    const file = join(dataDir, 'manifests', 'static-web.yaml');
    const name = `static-web-${nodeName}`;
    const manifest = (word: string) => `apiVersion: v1
kind: Pod
metadata:
  name: static-web
  labels: {tier: static}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: k8ts.local/busybox:latest
    command: [sh, -c, 'echo ${word}; exec sleep 3600']
`;
    const running = async () =>
      (
        await cri.listContainers({
          labelSelector: { 'io.kubernetes.pod.name': name },
          state: { state: 'CONTAINER_RUNNING' },
        })
      ).map((c) => c.id);
    const mirror = async (): Promise<Obj | undefined> => {
      const r = await cluster!.kubectl('1.33', ['get', 'pod', name, '-o', 'json']);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    };
    const runningMirror = (not?: Obj) => async () => {
      const m = await mirror();
      return m?.status?.phase === 'Running' &&
        !m.metadata.deletionTimestamp &&
        m.metadata.uid !== not?.metadata?.uid
        ? m
        : undefined;
    };
    const written = Date.now();
    writeFileSync(file, manifest('one'));
    const m1 = await eventually('the mirror pod Running', runningMirror(), { timeoutMs: 60_000 });
    console.log(`# static pod file to mirror pod Running in ${Date.now() - written} ms`);
    const hash = m1.metadata.annotations['kubernetes.io/config.mirror'];
    assert.match(hash, /^[0-9a-f]{32}$/);
    assert.equal(m1.metadata.annotations['kubernetes.io/config.hash'], hash);
    assert.equal(m1.metadata.annotations['kubernetes.io/config.source'], 'file');
    assert.ok(m1.metadata.annotations['kubernetes.io/config.seen']);
    assert.equal(m1.metadata.ownerReferences[0].kind, 'Node');
    assert.equal(m1.metadata.ownerReferences[0].name, nodeName);
    assert.equal(m1.status.containerStatuses[0].ready, true);
    const [container] = await running();
    assert.ok(container);
    // logs and exec name the mirror pod and reach the static pod's container.
    assert.equal(await kubectl(['logs', name]), 'one\n');
    assert.equal(await kubectl(['exec', name, '--', 'cat', '/proc/1/comm']), 'sleep\n');

    // kubectl delete: the kubelet makes the mirror pod again, the container keeps running.
    await kubectl(['delete', 'pod', name, '--wait=false']);
    const m2 = await eventually(
      'a new mirror pod',
      async () => {
        const m = await mirror();
        return m && m.metadata.uid !== m1.metadata.uid && !m.metadata.deletionTimestamp ? m : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(m2.metadata.annotations['kubernetes.io/config.mirror'], hash);
    await eventually('the new mirror Running', runningMirror(m1), { timeoutMs: 30_000 });
    assert.deepEqual(await running(), [container]);

    // A changed manifest: a new pod (new hash) with a new container.
    writeFileSync(file, manifest('two'));
    const m3 = await eventually(
      'the changed pod Running',
      async () => {
        const m = await mirror();
        return m?.status?.phase === 'Running' &&
          m.metadata.annotations['kubernetes.io/config.mirror'] !== hash
          ? m
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.notEqual(m3.metadata.uid, m2.metadata.uid);
    const now = await running();
    assert.equal(now.length, 1);
    assert.notEqual(now[0], container);
    assert.equal(await kubectl(['logs', name]), 'two\n');

    // The file removed: the pod stops and its mirror pod goes.
    rmSync(file);
    await eventually('the mirror pod gone', async () => ((await mirror()) ? undefined : true), {
      timeoutMs: 30_000,
    });
    await eventually(
      'the container stopped',
      async () => ((await running()).length === 0 ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );
  });

  it('keeps running containers across kill -9 of the server and a restart, then catches up', async () => {
    await kubectl([
      'create',
      'deployment',
      'keep',
      '--image=k8ts.local/busybox:latest',
      '--replicas=2',
      '--',
      'httpd',
      '-f',
      '-p',
      '8080',
    ]);
    const before = await eventually('2 keep pods Running', allRunning(2, 'app=keep'), { timeoutMs: 30_000 });
    const ids = before.map((p) => p.status.containerStatuses[0].containerID).sort();
    process.kill(cluster!.pid, 'SIGKILL');
    await new Promise((r) => cluster!.process.once('exit', r));
    cluster = await startCluster({ agent: true, dataDir, args: clusterArgs });
    await eventually('the node to be Ready again', nodeReady, { timeoutMs: 30_000 });
    // Caught up: a change made after the restart is carried out.
    await kubectl(['scale', 'deployment', 'keep', '--replicas=3']);
    const afterPods = await eventually('3 keep pods Running', allRunning(3, 'app=keep'), {
      timeoutMs: 30_000,
    });
    const kept = afterPods.filter((p) => ids.includes(p.status.containerStatuses[0].containerID));
    assert.equal(kept.length, 2, 'the two running containers were adopted, not restarted');
    for (const p of kept) assert.equal(p.status.containerStatuses[0].restartCount, 0);
    await kubectl(['delete', 'deployment', 'keep']);
  });
});
