// Resources end to end on a real `k8ts server` with its node (containerd, runc): requests and limits land in
// the containers' and pods' cgroups as upstream maps them (cpu shares / weight, CFS quota, memory limit with
// swap held to it, OOM score by QoS class), pods sit under their QoS cgroup, a container allocating beyond
// its memory limit is OOMKilled by the kernel and reported so (exit code 137, `kubectl get pods` STATUS
// OOMKilled with kubectl 1.27 and 1.33) and restarted per its policy, and a pod whose emptyDir outgrows its
// sizeLimit is evicted. Teardown stops every process by pid and removes pods, shims, mounts, the bridge, the
// cgroups and the data dir.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCgroupV2 } from '../../src/kubelet/cgroups.js';
import { containerdPaths } from '../../src/runtime/containerd-config.js';
import { CriClient } from '../../src/runtime/cri/client.js';
import { BUSYBOX_IMAGE, buildOciArchive, busyboxLayer, PAUSE_IMAGE } from '../../src/runtime/images.js';
import { type Cluster, KUBECTL_VERSIONS, startCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { cleanupNodeDataDir } from '../helpers/node-cleanup.js';
import { mountsUnder, pickTestPodCidr, runtimeSkipReason, testBridgeName } from '../helpers/node-runtime.js';

const skip = runtimeSkipReason();
if (skip) console.log(`# skipping resources e2e: ${skip}`);

type Obj = Record<string, any>;
const MiB = 2 ** 20;
const GC_TEST_IMAGE = 'example.com/k8ts-gc-test:1';

describe('resources e2e: cgroups, QoS and OOMKilled', { skip: skip ?? false, timeout: 240_000 }, () => {
  let cluster: Cluster | undefined;
  let dataDir = '';
  const bridge = testBridgeName();
  const cgroupRoot = `/k8ts-e2e-res-${process.pid}`;
  const nodeName = `e2e-res-${process.pid}`;
  const v2 = isCgroupV2();

  const kubectl = async (a: string[], input?: string) => {
    const r = await cluster!.kubectl('1.33', a, { input });
    assert.equal(r.code, 0, `kubectl ${a.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const getPod = async (name: string): Promise<Obj> =>
    JSON.parse(await kubectl(['get', 'pod', name, '-o', 'json']));
  const apply = (o: Obj) => kubectl(['apply', '-f', '-'], JSON.stringify(o));
  const busybox = (name: string, command: string, resources: Obj, restartPolicy = 'Always'): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      restartPolicy,
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: 'c', image: 'k8ts.local/busybox:latest', command: ['sh', '-c', command], resources },
      ],
    },
  });
  /** A controller's file of the container's cgroup (v1: in that controller's hierarchy). */
  const cgroupFile = (controller: string, parent: string, containerId: string, file: string) =>
    readFileSync(
      v2
        ? join('/sys/fs/cgroup', parent, containerId, file)
        : join('/sys/fs/cgroup', controller, parent, containerId, file),
      'utf8',
    ).trim();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'k8ts-resources-e2e-'));
    const args = [
      '--cluster-cidr',
      pickTestPodCidr(0),
      '--cni-bridge',
      bridge,
      '--cgroup-root',
      cgroupRoot,
      '--kubelet-port',
      '0',
      '--node-name',
      nodeName,
    ];
    cluster = await startCluster({ agent: true, dataDir, args });
    await eventually(
      'the node to be Ready',
      async () => {
        const r = await cluster!.kubectl('1.33', ['get', 'node', nodeName, '-o', 'json']);
        if (r.code !== 0) return undefined;
        const ready = JSON.parse(r.stdout).status?.conditions?.find((c: Obj) => c.type === 'Ready');
        return ready?.status === 'True' ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
  });

  after(async () => {
    if (cluster) {
      const pid = cluster.pid;
      await cluster.stop();
      assert.throws(() => process.kill(pid, 0), 'k8ts server still running');
    }
    if (!dataDir) return;
    await cleanupNodeDataDir(dataDir, bridge, cgroupRoot);
    assert.deepEqual(mountsUnder(dataDir), []);
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(existsSync(join('/sys/fs/cgroup', v2 ? '' : 'memory', cgroupRoot)), false);
  });

  it('applies requests and limits to the container cgroups under the QoS cgroups', async () => {
    await apply(
      busybox('burstable', 'sleep 3600', {
        requests: { cpu: '250m', memory: '32Mi' },
        limits: { cpu: '500m', memory: '64Mi' },
      }),
    );
    const g = { cpu: '100m', memory: '48Mi' };
    await apply(busybox('guaranteed', 'sleep 3600', { requests: g, limits: g }));
    await apply(busybox('besteffort', 'sleep 3600', {}));
    const running = async (name: string) => {
      const p = await getPod(name);
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    };
    const b = await eventually('burstable Running', () => running('burstable'), { timeoutMs: 30_000 });
    const gu = await eventually('guaranteed Running', () => running('guaranteed'), { timeoutMs: 30_000 });
    const be = await eventually('besteffort Running', () => running('besteffort'), { timeoutMs: 30_000 });
    assert.equal(b.status.qosClass, 'Burstable');
    assert.equal(gu.status.qosClass, 'Guaranteed');
    assert.equal(be.status.qosClass, 'BestEffort');

    const id = (p: Obj) => p.status.containerStatuses[0].containerID.replace('containerd://', '');
    const bParent = `${cgroupRoot}/burstable/pod${b.metadata.uid}`;
    const gParent = `${cgroupRoot}/pod${gu.metadata.uid}`;
    const eParent = `${cgroupRoot}/besteffort/pod${be.metadata.uid}`;
    if (v2) {
      // runc turns 256 shares into cpu.weight 1 + (256-2)*9999/262142 = 10.
      assert.equal(cgroupFile('cpu', bParent, id(b), 'cpu.weight'), '10');
      assert.equal(cgroupFile('cpu', bParent, id(b), 'cpu.max'), '50000 100000');
      assert.equal(cgroupFile('memory', bParent, id(b), 'memory.max'), String(64 * MiB));
      assert.equal(cgroupFile('memory', bParent, id(b), 'memory.swap.max'), '0');
      assert.equal(cgroupFile('memory', gParent, id(gu), 'memory.max'), String(48 * MiB));
      assert.equal(cgroupFile('cpu', eParent, id(be), 'cpu.max'), 'max 100000');
    } else {
      assert.equal(cgroupFile('cpu', bParent, id(b), 'cpu.shares'), '256');
      assert.equal(cgroupFile('cpu', bParent, id(b), 'cpu.cfs_quota_us'), '50000');
      assert.equal(cgroupFile('cpu', bParent, id(b), 'cpu.cfs_period_us'), '100000');
      assert.equal(cgroupFile('memory', bParent, id(b), 'memory.limit_in_bytes'), String(64 * MiB));
      if (existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'))
        assert.equal(cgroupFile('memory', bParent, id(b), 'memory.memsw.limit_in_bytes'), String(64 * MiB));
      assert.equal(cgroupFile('cpu', gParent, id(gu), 'cpu.shares'), '102');
      assert.equal(cgroupFile('memory', gParent, id(gu), 'memory.limit_in_bytes'), String(48 * MiB));
      assert.equal(cgroupFile('cpu', eParent, id(be), 'cpu.shares'), '2');
      assert.equal(cgroupFile('cpu', eParent, id(be), 'cpu.cfs_quota_us'), '-1');
    }
    // The pod cgroups carry the pod's own limits (upstream's ResourceConfigForPod).
    const podFile = (controller: string, parent: string, file: string) =>
      readFileSync(
        v2 ? join('/sys/fs/cgroup', parent, file) : join('/sys/fs/cgroup', controller, parent, file),
        'utf8',
      ).trim();
    if (v2) {
      assert.equal(podFile('cpu', bParent, 'cpu.weight'), '10');
      assert.equal(podFile('cpu', bParent, 'cpu.max'), '50000 100000');
      assert.equal(podFile('memory', bParent, 'memory.max'), String(64 * MiB));
      assert.equal(podFile('memory', gParent, 'memory.max'), String(48 * MiB));
      assert.equal(podFile('cpu', eParent, 'cpu.weight'), '1');
      assert.equal(podFile('memory', eParent, 'memory.max'), 'max');
    } else {
      assert.equal(podFile('cpu', bParent, 'cpu.shares'), '256');
      assert.equal(podFile('cpu', bParent, 'cpu.cfs_quota_us'), '50000');
      assert.equal(podFile('memory', bParent, 'memory.limit_in_bytes'), String(64 * MiB));
      assert.equal(podFile('cpu', gParent, 'cpu.shares'), '102');
      assert.equal(podFile('cpu', gParent, 'cpu.cfs_quota_us'), '10000');
      assert.equal(podFile('memory', gParent, 'memory.limit_in_bytes'), String(48 * MiB));
      assert.equal(podFile('cpu', eParent, 'cpu.shares'), '2');
      assert.equal(podFile('cpu', eParent, 'cpu.cfs_quota_us'), '-1');
    }
    // The OOM score adjustment by QoS class, on the container's process.
    const pidOf = (parent: string, p: Obj) =>
      Number(cgroupFile('memory', parent, id(p), 'cgroup.procs').split('\n')[0]);
    const adj = (pid: number) => readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim();
    // Without CAP_SYS_RESOURCE (as on this CI sandbox) containerd clamps negative scores to its own
    // (restrict_oom_score_adj), which it inherited from us.
    const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    const sysResource = ((BigInt(`0x${capEff}`) >> 24n) & 1n) === 1n;
    const own = Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
    assert.equal(adj(pidOf(gParent, gu)), String(sysResource ? -997 : Math.max(-997, own)));
    assert.equal(adj(pidOf(eParent, be)), '1000');
    const burstableAdj = Number(adj(pidOf(bParent, b)));
    assert.ok(burstableAdj > 2 && burstableAdj < 1000, `burstable oom_score_adj ${burstableAdj}`);
    await kubectl(['delete', 'pod', 'burstable', 'guaranteed', 'besteffort', '--wait=false']);
  });

  it('reports a container over its memory limit as OOMKilled (exit 137) and restarts it per policy', async () => {
    // tail keeps all of a newline-free input in memory: far past the 32Mi limit.
    const hog = 'head -c 200m /dev/zero | tail';
    const limits = { limits: { memory: '32Mi' } };
    await apply(busybox('oom-never', hog, limits, 'Never'));
    await apply(busybox('oom-always', hog, limits, 'Always'));

    const failed = await eventually(
      'oom-never Failed',
      async () => {
        const p = await getPod('oom-never');
        return p.status?.phase === 'Failed' ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const t = failed.status.containerStatuses[0].state.terminated;
    assert.equal(t.reason, 'OOMKilled');
    assert.equal(t.exitCode, 137);
    assert.equal(failed.status.qosClass, 'Burstable');
    for (const v of KUBECTL_VERSIONS) {
      const r = await cluster!.kubectl(v, ['get', 'pod', 'oom-never', '--no-headers']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split(/\s+/)[2], 'OOMKilled', `kubectl ${v}: ${r.stdout}`);
    }

    const restarted = await eventually(
      'oom-always restarted after an OOM kill',
      async () => {
        const p = await getPod('oom-always');
        const s = p.status?.containerStatuses?.[0];
        return s?.restartCount >= 1 && s.lastState?.terminated ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const last = restarted.status.containerStatuses[0].lastState.terminated;
    assert.equal(last.reason, 'OOMKilled');
    assert.equal(last.exitCode, 137);
    assert.equal(restarted.status.phase, 'Running');
    await kubectl(['delete', 'pod', 'oom-never', 'oom-always', '--wait=false']);
  });
  it('evicts a pod whose emptyDir grows past its sizeLimit', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'scratch-hog' },
      spec: {
        terminationGracePeriodSeconds: 1,
        volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Mi' } }],
        containers: [
          {
            name: 'c',
            image: 'k8ts.local/busybox:latest',
            command: ['sh', '-c', 'dd if=/dev/zero of=/scratch/f bs=1024 count=4096 && sleep 3600'],
            volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
          },
        ],
      },
    });
    const evicted = await eventually(
      'scratch-hog evicted',
      async () => {
        const p = await getPod('scratch-hog');
        return p.status?.phase === 'Failed' ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(evicted.status.reason, 'Evicted');
    assert.equal(evicted.status.message, 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
    await kubectl(['delete', 'pod', 'scratch-hog', '--wait=false']);
  });
});

// A node whose hard memory threshold is always met (memory.available<1000Gi): MemoryPressure and its taint
// appear, a BestEffort pod bound to it is refused at admission, and a Burstable pod that tolerates the taint
// is admitted and then evicted (Failed, reason Evicted, upstream's message, an Evicted event). Its image GC
// thresholds are 0% (always over): an unused image imported at start is removed, the built-in ones stay.
describe('resources e2e: node-pressure eviction and image GC', {
  skip: skip ?? false,
  timeout: 180_000,
}, () => {
  let cluster: Cluster | undefined;
  let dataDir = '';
  const bridge = `${testBridgeName().slice(0, 13)}e`;
  const cgroupRoot = `/k8ts-e2e-evict-${process.pid}`;
  const nodeName = `e2e-evict-${process.pid}`;

  const kubectl = async (a: string[], input?: string) => {
    const r = await cluster!.kubectl('1.33', a, { input });
    assert.equal(r.code, 0, `kubectl ${a.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async (a: string[]): Promise<Obj> => JSON.parse(await kubectl([...a, '-o', 'json']));

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'k8ts-eviction-e2e-'));
    // An image nothing uses, imported at start from <data-dir>/images/ (its own config: its own image ID).
    mkdirSync(join(dataDir, 'images'));
    const layer = await busyboxLayer();
    writeFileSync(
      join(dataDir, 'images', 'gc-test.tar'),
      buildOciArchive([
        {
          ref: GC_TEST_IMAGE,
          layers: [layer],
          config: { Cmd: ['sh'], Labels: { 'io.k8ts.test': 'image-gc' } },
        },
      ]),
    );
    const args = [
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
      '--eviction-hard',
      'memory.available<1000Gi',
      '--image-gc-high-threshold',
      '0',
      '--image-gc-low-threshold',
      '0',
      '--image-minimum-gc-age',
      '0s',
    ];
    cluster = await startCluster({ agent: true, dataDir, args });
  });

  after(async () => {
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

  it('reports MemoryPressure with its taint, refuses BestEffort pods and evicts a running one', async () => {
    const node = await eventually(
      'MemoryPressure True and its taint',
      async () => {
        const r = await cluster!.kubectl('1.33', ['get', 'node', nodeName, '-o', 'json']);
        if (r.code !== 0) return undefined;
        const n = JSON.parse(r.stdout);
        const mp = n.status?.conditions?.find((c: Obj) => c.type === 'MemoryPressure');
        const taint = (n.spec?.taints ?? []).find((t: Obj) => t.key === 'node.kubernetes.io/memory-pressure');
        return mp?.status === 'True' && taint ? n : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const mp = node.status.conditions.find((c: Obj) => c.type === 'MemoryPressure');
    assert.equal(mp.reason, 'KubeletHasInsufficientMemory');
    assert.equal(
      node.spec.taints.find((t: Obj) => t.key === 'node.kubernetes.io/memory-pressure').effect,
      'NoSchedule',
    );

    // Bound straight to the node (past the scheduler's taint check): refused by the kubelet.
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'refused' },
        spec: {
          nodeName,
          containers: [{ name: 'c', image: 'k8ts.local/busybox:latest', command: ['sleep', '3600'] }],
        },
      }),
    );
    const refused = await eventually(
      'the BestEffort pod refused',
      async () => {
        const p = await getJson(['get', 'pod', 'refused']);
        return p.status?.phase === 'Failed' ? p : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(refused.status.reason, 'Evicted');
    assert.equal(refused.status.message, 'Pod was rejected: The node had condition: [MemoryPressure]. ');
    for (const v of KUBECTL_VERSIONS) {
      const r = await cluster!.kubectl(v, ['get', 'pod', 'refused', '--no-headers']);
      assert.equal(r.stdout.trim().split(/\s+/)[2], 'Evicted', `kubectl ${v}: ${r.stdout}`);
    }

    // Burstable and tolerating the taint: scheduled, admitted, then evicted by the next pass.
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'victim' },
        spec: {
          terminationGracePeriodSeconds: 30,
          tolerations: [
            { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
          ],
          containers: [
            {
              name: 'c',
              image: 'k8ts.local/busybox:latest',
              command: ['sleep', '3600'],
              // No memory request: allocatable memory is capacity less the 1000Gi threshold, i.e. none.
              resources: { requests: { cpu: '10m' } },
            },
          ],
        },
      }),
    );
    const evicted = await eventually(
      'the Burstable pod evicted',
      async () => {
        const p = await getJson(['get', 'pod', 'victim']);
        return p.status?.phase === 'Failed' ? p : undefined;
      },
      { timeoutMs: 60_000 },
    ).catch(async (err) => {
      console.log(JSON.stringify((await getJson(['get', 'pod', 'victim'])).status, null, 1));
      console.log(cluster!.output().slice(-6000));
      throw err;
    });
    assert.equal(evicted.status.reason, 'Evicted');
    assert.match(
      evicted.status.message,
      /^The node was low on resource: memory\. Threshold quantity: 1000Gi, available: \d+\w*\. /,
    );
    const dt = evicted.status.conditions.find((c: Obj) => c.type === 'DisruptionTarget');
    assert.equal(dt?.reason, 'TerminationByKubelet');
    // Its container killed once the 1 s grace period is over (sleep as PID 1 ignores SIGTERM: exit 137); as
    // with upstream 1.22+ (kubernetes#105467) the STATUS column then shows the container's reason (Error)
    // while status.reason says Evicted.
    const stopped = await eventually(
      'the evicted container stopped',
      async () => {
        const p = await getJson(['get', 'pod', 'victim']);
        return p.status?.containerStatuses?.[0]?.state?.terminated ? p : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(stopped.status.containerStatuses[0].state.terminated.exitCode, 137);
    assert.equal(stopped.status.reason, 'Evicted');
    for (const v of KUBECTL_VERSIONS) {
      const r = await cluster!.kubectl(v, ['get', 'pod', 'victim', '--no-headers']);
      assert.equal(r.stdout.trim().split(/\s+/)[2], 'Error', `kubectl ${v}: ${r.stdout}`);
    }
    const events = await eventually('the Evicted event', async () => {
      const list = await getJson(['get', 'events', '--field-selector', 'involvedObject.name=victim']);
      return list.items.find((e: Obj) => e.reason === 'Evicted');
    });
    assert.equal(events.type, 'Warning');
    assert.equal(events.source?.component, 'kubelet');
    await kubectl(['delete', 'pod', 'refused', 'victim', '--wait=false']);
  });

  it('removes an unused image by the GC thresholds and keeps the pause and built-in images', async () => {
    const cri = new CriClient(containerdPaths(dataDir).socket);
    try {
      const tags = await eventually(
        'the unused image removed',
        async () => {
          const all = (await cri.listImages()).flatMap((i) => i.repoTags);
          return all.includes(GC_TEST_IMAGE) ? undefined : all;
        },
        { timeoutMs: 30_000 },
      );
      assert.ok(tags.includes(PAUSE_IMAGE), tags.join(' '));
      assert.ok(tags.includes(BUSYBOX_IMAGE), tags.join(' '));
    } finally {
      cri.close();
    }
    // 0% is never reachable: the shortfall is reported on the Node, as upstream.
    const event = await eventually('the FreeDiskSpaceFailed event', async () => {
      const list = await getJson(['get', 'events', '--field-selector', `involvedObject.name=${nodeName}`]);
      return list.items.find((e: Obj) => e.reason === 'FreeDiskSpaceFailed');
    });
    assert.equal(event.type, 'Warning');
    assert.match(
      event.message,
      /^Failed to garbage collect required amount of images\. Attempted to free \d+ bytes/,
    );
  });
});
