// Node registration values, node IPAM, and CRI configs built from pod specs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CidrAllocator } from '../../src/controllers/nodeipam/index.js';
import {
  containerConfig,
  linuxResources,
  podCgroupParent,
  podDnsConfig,
  sandboxConfig,
} from '../../src/kubelet/container-config.js';
import { parseResolvConf } from '../../src/kubelet/host.js';
import {
  allocatable,
  capacity,
  nodeConditions,
  nodeConditionTexts,
  nodeStatusChanged,
} from '../../src/kubelet/node-status.js';
import { pod } from './fixtures.js';

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
