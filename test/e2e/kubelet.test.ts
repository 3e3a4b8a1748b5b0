// The node agent end to end, in one shared cluster: a real `k8ts server` with its local node (containerd,
// runc, CNI) driven by real kubectl. A Deployment of busybox httpd pods serves on its pod IPs; a crashing
// pod backs off; a Job completes; deleting a Deployment stops its containers; kill -9 of the server and a
// restart keep the running containers. Teardown stops every process by pid and removes pods, shims,
// mounts, the bridge, the cgroups and the data dir.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  const args = () => [
    '--cluster-cidr',
    pickTestPodCidr(1),
    '--cni-bridge',
    bridge,
    '--cgroup-root',
    cgroupRoot,
    '--kubelet-port',
    '0',
    '--node-name',
    nodeName,
  ];
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
