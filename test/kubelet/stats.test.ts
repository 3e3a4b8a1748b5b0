// The kubelet's stats and metrics: cgroup v1 and v2 readers over fixture trees, the Summary built from CRI
// container stats with the cgroup fallback, usageNanoCores between readings on a FakeClock, the
// /metrics/resource text (read back by the API server's reader), CRI operation metrics, pod start latency
// and the server routes.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseExposition } from '../../src/apiserver/resource-metrics/prom-text.js';
import { pointsFromSamples } from '../../src/apiserver/resource-metrics/store.js';
import { FakeClock } from '../../src/client/clock.js';
import {
  instrumentRuntime,
  KubeletMetrics,
  operationType,
  PodStartTracker,
  resourceMetricsText,
} from '../../src/kubelet/metrics.js';
import { startKubeletServer } from '../../src/kubelet/server.js';
import { CgroupReader, StatsProvider } from '../../src/kubelet/stats.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fixture tree: path -> content, under a fresh temp dir. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'k8ts-stats-'));
  dirs.push(root);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), content);
  }
  return root;
}

const PROC = {
  'proc/stat': 'cpu  1000 0 500 9000 10 0 0 0 0 0\ncpu0 1000 0 500 9000 10 0 0 0 0 0\nbtime 1767225600\n',
  'proc/meminfo': 'MemTotal:        8000000 kB\nMemFree:         1000000 kB\nInactive(file):   500000 kB\n',
};

function v1Tree(extra: Record<string, string> = {}): string {
  return tree({
    ...PROC,
    'cg/cpu/.keep': '',
    'cg/cpuacct/cpuacct.usage': '5000000000\n',
    'cg/memory/memory.usage_in_bytes': '4000000000\n',
    'cg/memory/memory.stat':
      'total_inactive_file 1000000000\ntotal_rss 2000000000\ntotal_pgfault 7\ntotal_pgmajfault 1\n',
    // the pod's cgroup (burstable) and one container's
    'cg/cpuacct/kp/burstable/podu1/cpuacct.usage': '3000000000\n',
    'cg/memory/kp/burstable/podu1/memory.usage_in_bytes': '30000000\n',
    'cg/memory/kp/burstable/podu1/memory.stat': 'total_inactive_file 10000000\n',
    'cg/memory/kp/burstable/podu1/c1/memory.usage_in_bytes': '25000000\n',
    'cg/memory/kp/burstable/podu1/c1/memory.stat': 'total_inactive_file 5000000\ntotal_rss 15000000\n',
    ...extra,
  });
}

describe('CgroupReader', () => {
  it('reads cgroup v1: cpuacct.usage, usage minus inactive file as the working set', () => {
    const root = v1Tree();
    const r = new CgroupReader(join(root, 'cg'), join(root, 'proc'));
    assert.equal(r.v2, false);
    assert.equal(r.cpuNanos('/'), 5e9);
    assert.deepEqual(r.memory('/'), {
      usageBytes: 4e9,
      workingSetBytes: 3e9,
      rssBytes: 2e9,
      pageFaults: 7,
      majorPageFaults: 1,
    });
    assert.equal(r.exists('/kp/burstable/podu1'), true);
    assert.equal(r.exists('/kp/podu1'), false);
    assert.equal(r.bootTime(), 1767225600);
    // (1000 user + 500 system) ticks of 10 ms
    assert.equal(r.procCpuNanos(), 15e9);
    assert.equal(r.meminfo().get('MemTotal'), 8000000 * 1024);
  });

  it('reads cgroup v2: cpu.stat usage_usec, memory.current and memory.stat', () => {
    const root = tree({
      ...PROC,
      'cg/cgroup.controllers': 'cpu memory\n',
      'cg/cpu.stat': 'usage_usec 7000\nuser_usec 5000\n',
      'cg/kp/podu2/cpu.stat': 'usage_usec 2000\n',
      'cg/kp/podu2/memory.current': '1000000\n',
      'cg/kp/podu2/memory.stat': 'anon 600000\ninactive_file 300000\npgfault 3\npgmajfault 0\n',
    });
    const r = new CgroupReader(join(root, 'cg'), join(root, 'proc'));
    assert.equal(r.v2, true);
    assert.equal(r.cpuNanos('/'), 7_000_000);
    assert.equal(r.memory('/'), undefined);
    assert.equal(r.cpuNanos('/kp/podu2'), 2_000_000);
    assert.deepEqual(r.memory('/kp/podu2'), {
      usageBytes: 1000000,
      workingSetBytes: 700000,
      rssBytes: 600000,
      pageFaults: 3,
      majorPageFaults: 0,
    });
  });
});

const u64 = (n: number) => ({ value: String(n) });

function fakeCri(cpuNanos: () => number, withMemory = true) {
  const labels = { 'io.kubernetes.k8ts.managed': 'true' };
  return {
    listPodSandbox: async () => [
      {
        id: 's1',
        metadata: { name: 'web', uid: 'u1', namespace: 'default', attempt: 0 },
        state: 'SANDBOX_READY' as const,
        createdAt: String(BigInt(T0 - 60_000) * 1_000_000n),
        labels,
        annotations: {},
        runtimeHandler: '',
      },
    ],
    listContainers: async () => [
      {
        id: 'c1',
        podSandboxId: 's1',
        metadata: { name: 'app', attempt: 0 },
        image: null,
        imageRef: '',
        state: 'CONTAINER_RUNNING' as const,
        createdAt: String(BigInt(T0 - 50_000) * 1_000_000n),
        labels,
        annotations: {},
      },
    ],
    listContainerStats: async () => [
      {
        attributes: { id: 'c1', metadata: { name: 'app', attempt: 0 }, labels },
        cpu: { timestamp: '0', usageCoreNanoSeconds: u64(cpuNanos()), usageNanoCores: null },
        memory: withMemory
          ? {
              timestamp: '0',
              workingSetBytes: u64(12_000_000),
              availableBytes: null,
              usageBytes: u64(14_000_000),
              rssBytes: u64(9_000_000),
              pageFaults: null,
              majorPageFaults: null,
            }
          : null,
        writableLayer: null,
      },
    ],
  };
}

describe('StatsProvider', () => {
  it('builds the Summary from CRI stats, the pod cgroup and the root cgroup', async () => {
    const root = v1Tree();
    const clock = new FakeClock(T0);
    let cpu = 1_000_000_000;
    const p = new StatsProvider({
      cri: fakeCri(() => cpu),
      nodeName: 'n1',
      cgroupRoot: '/kp',
      cgroups: new CgroupReader(join(root, 'cg'), join(root, 'proc')),
      clock,
    });
    const s = await p.summary();
    assert.deepEqual(s.node, {
      nodeName: 'n1',
      startTime: '2026-01-01T00:00:00.000Z',
      cpu: { time: '2026-01-01T00:00:00.000Z', usageCoreNanoSeconds: 5e9 },
      memory: {
        time: '2026-01-01T00:00:00.000Z',
        usageBytes: 4e9,
        workingSetBytes: 3e9,
        rssBytes: 2e9,
        pageFaults: 7,
        majorPageFaults: 1,
        availableBytes: 8000000 * 1024 - 3e9,
      },
    });
    assert.equal(s.pods.length, 1);
    const pod = s.pods[0];
    assert.deepEqual(pod.podRef, { name: 'web', namespace: 'default', uid: 'u1' });
    assert.equal(pod.startTime, '2025-12-31T23:59:00.000Z');
    assert.equal(pod.cpu?.usageCoreNanoSeconds, 3e9);
    assert.equal(pod.memory?.workingSetBytes, 20_000_000);
    assert.equal(pod.containers.length, 1);
    const c = pod.containers[0];
    assert.equal(c.name, 'app');
    assert.equal(c.startTime, '2025-12-31T23:59:10.000Z');
    assert.deepEqual(c.cpu, { time: '2026-01-01T00:00:00.000Z', usageCoreNanoSeconds: 1e9 });
    assert.equal(c.memory?.workingSetBytes, 12_000_000);
    assert.equal(c.memory?.rssBytes, 9_000_000);
    // A second reading 10 s later: half a core in between.
    clock.advance(10_000);
    cpu += 5_000_000_000;
    const s2 = await p.summary();
    assert.equal(s2.pods[0].containers[0].cpu?.usageNanoCores, 500_000_000);
    assert.equal(s2.node.cpu?.usageNanoCores, 0);
  });

  it('reads the container cgroup when CRI has no memory, and sums containers when the pod has no cgroup', async () => {
    const root = v1Tree();
    const p = new StatsProvider({
      cri: fakeCri(() => 2e9, false),
      nodeName: 'n1',
      cgroupRoot: '/kp',
      cgroups: new CgroupReader(join(root, 'cg'), join(root, 'proc')),
      clock: new FakeClock(T0),
    });
    const c = (await p.summary()).pods[0].containers[0];
    assert.equal(c.memory?.workingSetBytes, 20_000_000);
    assert.equal(c.memory?.rssBytes, 15_000_000);

    const bare = tree(PROC);
    const q = new StatsProvider({
      cri: fakeCri(() => 2e9),
      nodeName: 'n1',
      cgroupRoot: '/kp',
      cgroups: new CgroupReader(join(bare, 'cg'), join(bare, 'proc')),
      clock: new FakeClock(T0),
    });
    const s = await q.summary();
    assert.equal(s.pods[0].cpu?.usageCoreNanoSeconds, 2e9);
    assert.equal(s.pods[0].memory?.workingSetBytes, 12_000_000);
    // No root cgroup: /proc/stat for CPU and /proc/meminfo for memory.
    assert.equal(s.node.cpu?.usageCoreNanoSeconds, 15e9);
    assert.equal(s.node.memory?.workingSetBytes, (8000000 - 1000000 - 500000) * 1024);
  });

  it('writes /metrics/resource that the API server reads back into points', async () => {
    const root = v1Tree();
    const p = new StatsProvider({
      cri: fakeCri(() => 1_500_000_000),
      nodeName: 'n1',
      cgroupRoot: '/kp',
      cgroups: new CgroupReader(join(root, 'cg'), join(root, 'proc')),
      clock: new FakeClock(T0),
    });
    const text = resourceMetricsText(await p.summary());
    assert.match(text, /^# HELP container_cpu_usage_seconds_total \[STABLE\]/);
    assert.match(
      text,
      /^container_cpu_usage_seconds_total\{container="app",namespace="default",pod="web"\} 1\.5 1767225600000$/m,
    );
    assert.match(
      text,
      /^pod_memory_working_set_bytes\{namespace="default",pod="web"\} 20000000 1767225600000$/m,
    );
    assert.match(text, /^node_cpu_usage_seconds_total 5 1767225600000$/m);
    assert.match(text, /^resource_scrape_error 0$/m);
    const points = pointsFromSamples(parseExposition(text));
    assert.deepEqual(points.node, { timestampMs: T0, cpuSeconds: 5, memoryBytes: 3e9 });
    assert.deepEqual(points.pods.get('default/web')?.get('app'), {
      timestampMs: T0,
      cpuSeconds: 1.5,
      memoryBytes: 12_000_000,
      startMs: T0 - 50_000,
    });
  });
});

describe('kubelet metrics', () => {
  it('names CRI operations as upstream does', () => {
    assert.equal(operationType('listPodSandbox'), 'list_podsandbox');
    assert.equal(operationType('podSandboxStatus'), 'podsandbox_status');
    assert.equal(operationType('runPodSandbox'), 'run_podsandbox');
    assert.equal(operationType('createContainer'), 'create_container');
    assert.equal(operationType('listContainerStats'), 'list_container_stats');
    assert.equal(operationType('updateContainerResources'), 'update_container');
    assert.equal(operationType('portForward'), 'port_forward');
    assert.equal(operationType('version'), 'version');
  });

  it('counts and times CRI calls, errors too, and reads running pods and containers at scrape time', async () => {
    const m = new KubeletMetrics({
      pods: async () => 3,
      containers: async () =>
        new Map([
          ['running', 4],
          ['exited', 1],
        ]),
    });
    const cri = instrumentRuntime(
      {
        value: 7,
        async startContainer(_id: string) {
          return this.value;
        },
        async stopContainer() {
          throw new Error('boom');
        },
      },
      m,
    );
    assert.equal(await cri.startContainer('x'), 7);
    assert.equal(await cri.startContainer('y'), 7);
    await assert.rejects(cri.stopContainer(), /boom/);
    const text = await m.text();
    const has = (line: string) => assert.ok(text.includes(line), `missing ${line}`);
    has('kubelet_runtime_operations_total{operation_type="start_container"} 2');
    has('kubelet_runtime_operations_total{operation_type="stop_container"} 1');
    has('kubelet_runtime_operations_errors_total{operation_type="stop_container"} 1');
    has('kubelet_runtime_operations_duration_seconds_count{operation_type="start_container"} 2');
    has('kubelet_running_pods 3');
    has('kubelet_running_containers{container_state="running"} 4');
    has('kubelet_running_containers{container_state="exited"} 1');
    has('# TYPE process_resident_memory_bytes gauge');
  });

  it('observes pod start latency once, from first sight to the first Running status', async () => {
    const clock = new FakeClock(T0);
    const m = new KubeletMetrics({ pods: async () => 0, containers: async () => new Map() });
    const t = new PodStartTracker(m, () => clock.now());
    t.seen('u1');
    clock.advance(1500);
    t.seen('u1');
    t.statusWritten('u1', 'Pending');
    clock.advance(1000);
    t.statusWritten('u1', 'Running');
    t.statusWritten('u1', 'Running');
    t.seen('u1'); // an update after it ran starts nothing new
    t.statusWritten('u1', 'Running');
    const text = await m.text();
    assert.ok(text.includes('kubelet_pod_start_duration_seconds_count 1'));
    assert.ok(text.includes('kubelet_pod_start_duration_seconds_sum 2.5'));
    assert.ok(text.includes('kubelet_pod_start_duration_seconds_bucket{le="3"} 1'));
    assert.ok(text.includes('kubelet_pod_start_duration_seconds_bucket{le="2"} 0'));
  });

  it('serves /metrics, /metrics/resource and /stats/summary on the kubelet server', async () => {
    const server = await startKubeletServer({
      host: '127.0.0.1',
      port: 0,
      logs: { resolve: async () => undefined },
      metrics: {
        metrics: async () => 'a 1\n',
        resourceMetrics: async () => 'b 2\n',
        summary: async () => ({ node: { nodeName: 'n1' }, pods: [] }),
      },
    });
    try {
      const get = async (path: string, method = 'GET') => {
        const r = await fetch(`http://127.0.0.1:${server.port}${path}`, { method });
        return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
      };
      assert.deepEqual(await get('/metrics'), {
        status: 200,
        type: 'text/plain; version=0.0.4; charset=utf-8',
        body: 'a 1\n',
      });
      assert.equal((await get('/metrics/resource')).body, 'b 2\n');
      const s = await get('/stats/summary');
      assert.equal(s.type, 'application/json');
      assert.deepEqual(JSON.parse(s.body), { node: { nodeName: 'n1' }, pods: [] });
      assert.equal((await get('/metrics/cadvisor')).status, 404);
      assert.equal((await get('/metrics', 'POST')).status, 405);
    } finally {
      await server.close();
    }
  });
});
