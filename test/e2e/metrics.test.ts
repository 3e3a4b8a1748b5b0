// Metrics end to end on a real single-node cluster: a busybox pod burning CPU with 24 MiB in a memory
// emptyDir shows up in `kubectl top pod` (1.27 and 1.33, with --containers and -A) with non-zero CPU and
// memory, `kubectl top node` shows the node, without warnings; the API server's /metrics, the kubelet's
// /metrics (through nodes/NAME/proxy) and /metrics/resource and /stats/summary carry their series. The server
// scrapes every 3 s (--metric-resolution) so the test waits seconds, not half a minute. Teardown stops every
// process by pid and removes the pod, the node's runtime leftovers and the data dir.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerdPaths } from '../../src/runtime/containerd-config.js';
import { CriClient } from '../../src/runtime/cri/client.js';
import { type Cluster, KUBECTL_VERSIONS, startCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { cleanupNodeDataDir } from '../helpers/node-cleanup.js';
import { mountsUnder, pickTestPodCidr, runtimeSkipReason, testBridgeName } from '../helpers/node-runtime.js';

const skip = runtimeSkipReason();
if (skip) console.log(`# skipping metrics e2e: ${skip}`);

type Obj = Record<string, any>;

/** Millicores and MiB of one `kubectl top` row's CPU and memory columns. */
function usageOf(cpu: string, memory: string): { milli: number; mib: number } {
  const milli = cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
  assert.match(memory, /^\d+Mi$/, `memory column ${memory}`);
  return { milli, mib: Number(memory.slice(0, -2)) };
}

describe('metrics e2e: kubectl top and /metrics', { skip: skip ?? false, timeout: 240_000 }, () => {
  let cluster: Cluster | undefined;
  let dataDir = '';
  const bridge = testBridgeName();
  const cgroupRoot = `/k8ts-e2e-metrics-${process.pid}`;
  const nodeName = `e2e-metrics-${process.pid}`;
  let kubeletPort = 0;

  const kubectl = async (a: string[], v: '1.27' | '1.33' = '1.33', input?: string) => {
    const r = await cluster!.kubectl(v, a, { input });
    assert.equal(r.code, 0, `kubectl ${a.join(' ')}: ${r.stderr}`);
    return r;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'k8ts-metrics-e2e-'));
    cluster = await startCluster({
      agent: true,
      dataDir,
      args: [
        '--cluster-cidr',
        pickTestPodCidr(2),
        '--cni-bridge',
        bridge,
        '--cgroup-root',
        cgroupRoot,
        '--kubelet-port',
        '0',
        '--node-name',
        nodeName,
        '--metric-resolution',
        '3',
      ],
    });
    const node = await eventually(
      'the node to be Ready',
      async () => {
        const r = await cluster!.kubectl('1.33', ['get', 'node', nodeName, '-o', 'json']);
        if (r.code !== 0) return undefined;
        const n: Obj = JSON.parse(r.stdout);
        return n.status?.conditions?.find((c: Obj) => c.type === 'Ready')?.status === 'True' ? n : undefined;
      },
      { timeoutMs: 30_000 },
    );
    kubeletPort = node.status.daemonEndpoints.kubeletEndpoint.Port;
    await kubectl(
      ['apply', '-f', '-'],
      '1.33',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'burn', labels: { app: 'burn' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'spin',
              image: 'k8ts.local/busybox:latest',
              command: [
                'sh',
                '-c',
                'dd if=/dev/zero of=/mem/fill bs=1M count=24 2>/dev/null; while :; do :; done',
              ],
              volumeMounts: [{ name: 'mem', mountPath: '/mem' }],
            },
          ],
          volumes: [{ name: 'mem', emptyDir: { medium: 'Memory' } }],
        },
      }),
    );
    await kubectl(['wait', '--for=condition=Ready', 'pod/burn', '--timeout=60s']);
  });

  after(async () => {
    if (cluster) {
      await cluster.kubectl('1.33', ['delete', 'pod', 'burn', '--wait=true', '--timeout=20s']);
      const pid = cluster.pid;
      await cluster.stop();
      assert.throws(() => process.kill(pid, 0), 'k8ts server still running');
    }
    if (!dataDir) return;
    await cleanupNodeDataDir(dataDir, bridge, cgroupRoot);
    assert.deepEqual(mountsUnder(dataDir), []);
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const v of KUBECTL_VERSIONS) {
    it(`kubectl ${v} top pod shows the pod burning CPU with its memory`, async () => {
      const row = await eventually(
        'the pod in kubectl top with its memory',
        async () => {
          const r = await cluster!.kubectl(v, ['top', 'pod', 'burn', '--no-headers']);
          if (r.code !== 0) return undefined;
          const [name, cpu, mem] = r.stdout.trim().split(/\s+/);
          const u = usageOf(cpu, mem);
          return name === 'burn' && u.mib >= 20 ? { ...u, stderr: r.stderr } : undefined;
        },
        { timeoutMs: 60_000 },
      );
      assert.ok(row.milli > 0, `cpu ${row.milli}m`);
      assert.equal(row.stderr, '');
      const all = await kubectl(['top', 'pod', '-A', '--containers'], v);
      assert.equal(all.stderr, '');
      const lines = all.stdout.trim().split('\n');
      assert.match(lines[0], /^NAMESPACE\s+POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
      const spin = lines.find((l) => /^default\s+burn\s+spin\s/.test(l));
      assert.ok(spin, all.stdout);
      const [, , , cpu, mem] = spin.trim().split(/\s+/);
      assert.ok(usageOf(cpu, mem).mib >= 20, spin);
      const sel = await kubectl(['top', 'pod', '-l', 'app=burn', '--no-headers'], v);
      assert.match(sel.stdout, /^burn\s/);
    });

    it(`kubectl ${v} top node shows the node`, async () => {
      const r = await kubectl(['top', 'node'], v);
      assert.equal(r.stderr, '');
      const row = r.stdout
        .trim()
        .split('\n')
        .find((l) => l.startsWith(`${nodeName} `));
      assert.ok(row, r.stdout);
      const [, cpu, cpuPct, mem, memPct] = row.trim().split(/\s+/);
      assert.ok(usageOf(cpu, mem).milli > 0 && usageOf(cpu, mem).mib > 0, row);
      assert.match(cpuPct, /^\d+%$/);
      assert.match(memPct, /^\d+%$/);
    });
  }

  it("gets the container's CPU and working set from containerd's CRI ListContainerStats", async () => {
    const cri = new CriClient(containerdPaths(dataDir).socket);
    try {
      const stats = await cri.listContainerStats({
        labelSelector: { 'io.kubernetes.pod.name': 'burn', 'io.kubernetes.container.name': 'spin' },
      });
      assert.equal(stats.length, 1);
      assert.ok(Number(stats[0].cpu?.usageCoreNanoSeconds?.value) > 0, JSON.stringify(stats[0].cpu));
      assert.ok(Number(stats[0].memory?.workingSetBytes?.value) >= 24 << 20, JSON.stringify(stats[0].memory));
    } finally {
      cri.close();
    }
  });

  it('serves /metrics on the API server and the kubelet, and the kubelet resource endpoints', async () => {
    const api = await (await fetch(`${cluster!.url}/metrics`)).text();
    assert.match(
      api,
      /^apiserver_request_total\{verb="LIST",.*group="metrics.k8s.io".*resource="pods".*\} \d+$/m,
    );
    assert.match(api, /^apiserver_request_duration_seconds_bucket\{/m);
    assert.match(api, /^apiserver_storage_objects\{resource="pods"\} 1$/m);
    assert.match(api, /^process_resident_memory_bytes \d+/m);
    const kubelet = (await kubectl(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/metrics`])).stdout;
    assert.match(kubelet, /^kubelet_running_pods 1$/m);
    assert.match(kubelet, /^kubelet_running_containers\{container_state="running"\} 1$/m);
    assert.match(kubelet, /^kubelet_pod_start_duration_seconds_count 1$/m);
    assert.match(kubelet, /^kubelet_runtime_operations_total\{operation_type="create_container"\} \d+$/m);
    const resource = await (await fetch(`http://127.0.0.1:${kubeletPort}/metrics/resource`)).text();
    assert.match(
      resource,
      /^container_cpu_usage_seconds_total\{container="spin",namespace="default",pod="burn"\} [\d.e+-]+ \d+$/m,
    );
    assert.match(resource, /^node_memory_working_set_bytes \d+ \d+$/m);
    const summary = JSON.parse(
      (await kubectl(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/stats/summary`])).stdout,
    );
    assert.equal(summary.node.nodeName, nodeName);
    const pod = summary.pods.find((p: Obj) => p.podRef.name === 'burn');
    assert.ok(pod.cpu.usageCoreNanoSeconds > 0);
    assert.ok(pod.memory.workingSetBytes >= 24 * 1024 * 1024);
    assert.equal(pod.containers[0].name, 'spin');
  });
});
