// Node registration values, node IPAM, and CRI configs built from pod specs.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CidrAllocator } from '../../src/controllers/nodeipam/index.js';
import { ensurePodCgroup, sharesToWeight } from '../../src/kubelet/cgroups.js';
import {
  containerConfig,
  linuxResources,
  oomScoreAdj,
  podCgroupConfig,
  podCgroupParent,
  podDnsConfig,
  sandboxConfig,
} from '../../src/kubelet/container-config.js';
import { hardEvictionReserve, parseEvictionConfig } from '../../src/kubelet/eviction/thresholds.js';
import { parseResolvConf } from '../../src/kubelet/host.js';
import {
  allocatable,
  capacity,
  nodeConditions,
  nodeConditionTexts,
  nodeStatusChanged,
} from '../../src/kubelet/node-status.js';
import { pod } from './fixtures.js';

type Obj = Record<string, any>;

const facts = {
  hostname: 'h',
  cpus: 2,
  memoryBytes: 4 * 2 ** 30,
  diskBytes: 100 * 2 ** 30,
  osImage: 'Debian',
  kernelVersion: '6.1',
  architecture: 'amd64',
  machineID: 'm',
  bootID: 'b',
};
const usage = {
  memoryAvailableBytes: 2 ** 30,
  diskAvailableBytes: 50 * 2 ** 30,
  diskBytes: 100 * 2 ** 30,
  pidsUsed: 100,
  pidMax: 32768,
};

describe('node status', () => {
  it('reports capacity, and allocatable less the eviction thresholds', () => {
    assert.deepEqual(capacity(facts), {
      cpu: '2',
      memory: '4194304Ki',
      'ephemeral-storage': '104857600Ki',
      pods: '110',
    });
    const a = allocatable(facts);
    assert.equal(a.memory, `${4194304 - 102400}Ki`);
    assert.equal(a['ephemeral-storage'], String(Math.floor(100 * 2 ** 30 * 0.9)));
    // --eviction-hard decides what is held back, as upstream.
    const custom = allocatable(
      facts,
      hardEvictionReserve(parseEvictionConfig({ hard: 'memory.available<1Gi,nodefs.available<5Gi' })),
    );
    assert.equal(custom.memory, `${4194304 - 1048576}Ki`);
    assert.equal(custom['ephemeral-storage'], String(95 * 2 ** 30));
    const none = allocatable(facts, hardEvictionReserve([]));
    assert.equal(none.memory, '4194304Ki');
  });

  it('takes the pressure conditions from the eviction manager when it has them', () => {
    const texts = nodeConditionTexts(usage, { runtimeReady: true, networkReady: true }, ['DiskPressure']);
    assert.deepEqual(
      texts.map((t) => `${t.type}=${t.status}:${t.reason}`),
      [
        'MemoryPressure=False:KubeletHasSufficientMemory',
        'DiskPressure=True:KubeletHasDiskPressure',
        'PIDPressure=False:KubeletHasSufficientPID',
        'Ready=True:KubeletReady',
      ],
    );
  });

  it('has the four kubelet conditions with upstream reasons; NotReady without a pod network', () => {
    const ok = nodeConditionTexts(usage, { runtimeReady: true, networkReady: true });
    assert.deepEqual(
      ok.map((c) => `${c.type}=${c.status}:${c.reason}`),
      [
        'MemoryPressure=False:KubeletHasSufficientMemory',
        'DiskPressure=False:KubeletHasNoDiskPressure',
        'PIDPressure=False:KubeletHasSufficientPID',
        'Ready=True:KubeletReady',
      ],
    );
    const noNet = nodeConditionTexts(usage, { runtimeReady: true, networkReady: false });
    assert.equal(noNet[3].status, 'False');
    assert.match(noNet[3].message, /^container runtime network not ready/);
    const full = nodeConditionTexts(
      { ...usage, memoryAvailableBytes: 50 * 2 ** 20, diskAvailableBytes: 2 ** 30 },
      { runtimeReady: true, networkReady: true },
    );
    assert.equal(full[0].status, 'True');
    assert.equal(full[1].status, 'True');
  });

  it('counts a status as changed only beyond heartbeat times', () => {
    const texts = nodeConditionTexts(usage, { runtimeReady: true, networkReady: true });
    const a = {
      capacity: capacity(facts),
      conditions: nodeConditions(undefined, texts, '2025-01-01T00:00:00Z'),
    };
    const b = {
      capacity: capacity(facts),
      conditions: nodeConditions(a.conditions, texts, '2025-01-01T00:00:10Z'),
    };
    assert.equal(b.conditions[0].lastTransitionTime, '2025-01-01T00:00:00Z');
    assert.equal(nodeStatusChanged(a, b), false);
    const notReady = nodeConditionTexts(usage, { runtimeReady: false, networkReady: false });
    assert.equal(
      nodeStatusChanged(a, { ...a, conditions: nodeConditions(a.conditions, notReady, 'x') }),
      true,
    );
  });
});

describe('node IPAM', () => {
  it('hands out /24s from the cluster CIDR, lowest free first, and recovers existing ones', () => {
    const a = new CidrAllocator('10.42.0.0/16');
    assert.equal(a.allocate(), '10.42.0.0/24');
    assert.equal(a.allocate(), '10.42.1.0/24');
    const b = new CidrAllocator('10.42.0.0/16');
    assert.equal(b.occupy('10.42.0.0/24'), true);
    assert.equal(b.occupy('10.42.2.0/24'), true);
    assert.equal(b.occupy('10.99.0.0/24'), false);
    assert.equal(b.allocate(), '10.42.1.0/24');
    assert.equal(b.allocate(), '10.42.3.0/24');
    b.release('10.42.0.0/24');
    assert.equal(b.allocate(), '10.42.0.0/24');
    const one = new CidrAllocator('10.244.7.0/24');
    assert.equal(one.allocate(), '10.244.7.0/24');
    assert.throws(() => one.allocate(), /no free node range/);
  });
});

describe('CRI configs', () => {
  it('maps resources to cgroup values', () => {
    assert.deepEqual(linuxResources({}), { cpuShares: 2, cpuPeriod: 100000 });
    assert.deepEqual(
      linuxResources({ resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '64Mi' } } }),
      {
        cpuShares: 256,
        cpuPeriod: 100000,
        cpuQuota: 50000,
        memoryLimitInBytes: 64 * 2 ** 20,
      },
    );
  });

  it('holds swap to the memory limit as upstream does with swap off', () => {
    const c = { resources: { limits: { memory: '32Mi' } } };
    assert.equal(linuxResources(c, { swap: 'memsw' }).memorySwapLimitInBytes, 32 * 2 ** 20);
    assert.equal(linuxResources({}, { swap: 'memsw' }).memorySwapLimitInBytes, undefined);
    assert.deepEqual(linuxResources(c, { swap: 'unified' }).unified, { 'memory.swap.max': '0' });
    assert.equal(linuxResources(c, { swap: 'none' }).memorySwapLimitInBytes, undefined);
    assert.equal(linuxResources(c, { swap: 'none' }).unified, undefined);
  });

  it('sets the OOM score adjustment by QoS class (upstream GetContainerOOMScoreAdjust)', () => {
    const GiB = 2 ** 30;
    const withResources = (resources: Record<string, unknown>) =>
      pod({ containers: [{ name: 'a', resources }] });
    const g = { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } };
    assert.equal(oomScoreAdj(withResources(g), { resources: g }, 10 * GiB), -997);
    assert.equal(oomScoreAdj(pod(), { name: 'a' }, 10 * GiB), 1000);
    const b = { requests: { memory: '1Gi' } };
    assert.equal(oomScoreAdj(withResources(b), { resources: b }, 10 * GiB), 900);
    const tiny = { requests: { cpu: '1m' } };
    assert.equal(oomScoreAdj(withResources(tiny), { resources: tiny }, 10 * GiB), 999);
    const huge = { requests: { memory: '10Gi' } };
    assert.equal(oomScoreAdj(withResources(huge), { resources: huge }, 10 * GiB), 3);
    const cc = containerConfig(
      withResources(b),
      { name: 'a', resources: b },
      {
        restartCount: 0,
        env: [],
        image: 'x',
        resources: { memoryCapacity: 10 * GiB, swap: 'none' },
      },
    );
    assert.equal(cc.linux?.resources?.oomScoreAdj, 900);
  });

  it('gives the pod cgroup its own limits as upstream ResourceConfigForPod', () => {
    const two = (a: Obj, b: Obj) =>
      pod({
        containers: [
          { name: 'a', resources: a },
          { name: 'b', resources: b },
        ],
      });
    assert.deepEqual(podCgroupConfig(pod()), { cpuShares: 2 });
    const g = { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '250m', memory: '64Mi' } };
    assert.deepEqual(podCgroupConfig(two(g, g)), {
      cpuShares: 512,
      cpuPeriodUs: 100000,
      cpuQuotaUs: 50000,
      memoryLimitBytes: 128 * 2 ** 20,
    });
    // Burstable: a quota / memory limit only when every container declares one.
    assert.deepEqual(podCgroupConfig(two({ requests: { cpu: '100m' }, limits: { memory: '32Mi' } }, {})), {
      cpuShares: 102,
    });
    assert.deepEqual(
      podCgroupConfig(
        two({ limits: { memory: '32Mi' } }, { requests: { cpu: '1' }, limits: { memory: '16Mi' } }),
      ),
      { cpuShares: 1024, memoryLimitBytes: 48 * 2 ** 20 },
    );
  });

  it('writes the pod cgroup files for cgroup v1 and v2', () => {
    const root = mkdtempSync(join(tmpdir(), 'k8ts-cgroupfs-'));
    try {
      const config = {
        cpuShares: 256,
        cpuPeriodUs: 100000,
        cpuQuotaUs: 50000,
        memoryLimitBytes: 64 * 2 ** 20,
      };
      ensurePodCgroup('/kubepods/burstable/poduid-1', config, join(root, 'v1'), false);
      const v1 = (c: string, f: string) =>
        readFileSync(join(root, 'v1', c, 'kubepods/burstable/poduid-1', f), 'utf8');
      assert.equal(v1('cpu', 'cpu.shares'), '256');
      assert.equal(v1('cpu', 'cpu.cfs_quota_us'), '50000');
      assert.equal(v1('cpu', 'cpu.cfs_period_us'), '100000');
      assert.equal(v1('memory', 'memory.limit_in_bytes'), String(64 * 2 ** 20));
      mkdirSync(join(root, 'v2'));
      writeFileSync(join(root, 'v2', 'cgroup.subtree_control'), '');
      ensurePodCgroup('/kubepods/burstable/poduid-1', config, join(root, 'v2'), true);
      const v2 = (f: string) => readFileSync(join(root, 'v2', 'kubepods/burstable/poduid-1', f), 'utf8');
      assert.equal(v2('cpu.weight'), '10');
      assert.equal(v2('cpu.max'), '50000 100000');
      assert.equal(v2('memory.max'), String(64 * 2 ** 20));
      assert.equal(readFileSync(join(root, 'v2', 'cgroup.subtree_control'), 'utf8'), '+cpu +memory +pids');
      assert.equal(sharesToWeight(2), 1);
      assert.equal(sharesToWeight(262144), 10000);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('puts pods under their QoS cgroup and logs in the upstream layout', () => {
    const p = pod();
    assert.equal(podCgroupParent(p), '/kubepods/besteffort/poduid-1');
    const guaranteed = pod({
      containers: [
        {
          name: 'a',
          resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } },
        },
      ],
    });
    assert.equal(podCgroupParent(guaranteed, '/x'), '/x/poduid-1');
    const sb = sandboxConfig(p, {
      dataDir: '/d',
      attempt: 2,
      dns: parseResolvConf('nameserver 1.1.1.1\nsearch a b\noptions ndots:2\n'),
    });
    assert.equal(sb.logDirectory, '/d/pods/default_p_uid-1');
    assert.equal(sb.metadata.attempt, 2);
    assert.equal(sb.hostname, 'p');
    // A host-network pod keeps the node's hostname (upstream sets none; runc refuses one without a UTS namespace).
    const hostNet = sandboxConfig(
      { ...p, spec: { ...p.spec, hostNetwork: true } },
      {
        dataDir: '/d',
        attempt: 0,
        dns: parseResolvConf('nameserver 1.1.1.1\n'),
      },
    );
    assert.equal(hostNet.hostname, '');
    assert.equal(hostNet.linux?.securityContext?.namespaceOptions?.network, 'NODE');
    assert.deepEqual(sb.dnsConfig, { servers: ['1.1.1.1'], searches: ['a', 'b'], options: ['ndots:2'] });
    assert.equal(sb.labels?.['io.kubernetes.pod.uid'], 'uid-1');
    const cc = containerConfig(
      p,
      {
        name: 'app',
        workingDir: '/w',
        securityContext: {
          runAsUser: 1000,
          readOnlyRootFilesystem: true,
          capabilities: { add: ['NET_ADMIN'] },
        },
      },
      { restartCount: 3, env: [], image: 'sha256:x' },
    );
    assert.equal(cc.logPath, 'app/3.log');
    assert.equal(cc.workingDir, '/w');
    assert.deepEqual(cc.linux?.securityContext?.runAsUser, { value: 1000 });
    assert.equal(cc.linux?.securityContext?.readonlyRootfs, true);
    assert.deepEqual(cc.linux?.securityContext?.capabilities?.addCapabilities, ['NET_ADMIN']);
  });

  it('uses the host DNS, or only the pod dnsConfig with dnsPolicy None', () => {
    const host = parseResolvConf('nameserver 10.0.0.2\nsearch corp\n');
    assert.deepEqual(
      podDnsConfig(
        pod({
          dnsPolicy: 'None',
          dnsConfig: { nameservers: ['9.9.9.9'], options: [{ name: 'ndots', value: '1' }] },
        }),
        host,
      ),
      {
        servers: ['9.9.9.9'],
        searches: [],
        options: ['ndots:1'],
      },
    );
    assert.deepEqual(podDnsConfig(pod(), host).servers, ['10.0.0.2']);
  });
});
