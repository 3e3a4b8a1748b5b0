// Node-pressure eviction on a FakeClock with an injected stats provider: threshold flags in upstream's
// syntax, upstream's pod ranking and eviction message, the manager's passes (pressure conditions with the
// transition period, one eviction per pass, soft grace periods, image reclaim before evicting for disk,
// critical pods spared, admission under pressure), and the pod worker failing an evicted pod.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/client/clock.js';
import type { EventRecorder } from '../../src/client/events.js';
import { silentLogger } from '../../src/client/log.js';
import type { RestClient } from '../../src/client/rest.js';
import { EvictionManager, type EvictionRequest } from '../../src/kubelet/eviction/manager.js';
import {
  binaryQuantity,
  evictionMessage,
  hasLocalStorageLimits,
  localStorageViolation,
  rankPods,
} from '../../src/kubelet/eviction/rank.js';
import type { NodeStats, PodUsage, StatsProvider } from '../../src/kubelet/eviction/stats.js';
import {
  DEFAULT_EVICTION_HARD,
  parseDuration,
  parseEvictionConfig,
  parseThresholdStatements,
} from '../../src/kubelet/eviction/thresholds.js';
import type { PodSyncer } from '../../src/kubelet/pod-sync.js';
import { PODS } from '../../src/kubelet/refs.js';
import { type KubeletUnitEnv, startKubeletUnitEnv } from '../helpers/kubelet-unit-env.js';
import { createNamespaceBasics } from '../helpers/namespace-basics.js';
import { FakeCri } from './fake-cri.js';
import { unitPodSyncer } from './unit-syncer.js';

type Obj = Record<string, any>;
const Mi = 2 ** 20;
const Gi = 2 ** 30;

function pod(
  name: string,
  o: { priority?: number; requests?: Obj; grace?: number; annotations?: Obj } = {},
): Obj {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations: o.annotations ?? {} },
    spec: {
      priority: o.priority ?? 0,
      terminationGracePeriodSeconds: o.grace ?? 30,
      containers: [{ name: 'c', image: 'busybox', resources: o.requests ? { requests: o.requests } : {} }],
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function usage(name: string, memory: number, extra: Partial<PodUsage> = {}): PodUsage {
  return {
    uid: `uid-${name}`,
    memoryWorkingSetBytes: memory,
    containers: [{ name: 'c', memoryWorkingSetBytes: memory, ephemeralBytes: extra.ephemeralBytes }],
    ...extra,
  };
}

/** A node of 4Gi memory and 100Gi disks, each value overridable by the test as it goes. */
class FakeStats implements StatsProvider {
  memoryAvailable = 3 * Gi;
  nodeFsAvailable = 50 * Gi;
  imageFsAvailable = 50 * Gi;
  inodesFree = 1_000_000;
  pidsRunning = 500;
  podUsage: PodUsage[] = [];
  diskAsked = 0;
  async node(): Promise<NodeStats> {
    return {
      memory: { capacityBytes: 4 * Gi, workingSetBytes: 4 * Gi - this.memoryAvailable },
      nodeFs: {
        capacityBytes: 100 * Gi,
        availableBytes: this.nodeFsAvailable,
        inodes: 2_000_000,
        inodesFree: this.inodesFree,
      },
      imageFs: {
        capacityBytes: 100 * Gi,
        availableBytes: this.imageFsAvailable,
        inodes: 2_000_000,
        inodesFree: this.inodesFree,
      },
      pids: { max: 4_194_304, running: this.pidsRunning },
    };
  }
  async pods(opts: { disk?: boolean } = {}): Promise<PodUsage[]> {
    if (opts.disk) this.diskAsked++;
    return this.podUsage;
  }
}

describe('eviction thresholds', () => {
  it('parses upstream defaults and flag syntax', () => {
    assert.deepEqual(parseEvictionConfig({}), [
      { signal: 'memory.available', quantity: 100 * Mi, gracePeriodMs: 0 },
      { signal: 'nodefs.available', percentage: 0.1, gracePeriodMs: 0 },
      { signal: 'nodefs.inodesFree', percentage: 0.05, gracePeriodMs: 0 },
      { signal: 'imagefs.available', percentage: 0.15, gracePeriodMs: 0 },
    ]);
    assert.equal(DEFAULT_EVICTION_HARD.split(',').length, 4);
    assert.deepEqual(parseEvictionConfig({ hard: '' }), []);
    assert.deepEqual(
      parseEvictionConfig({
        hard: 'memory.available<1Gi',
        soft: 'memory.available<2Gi, pid.available<10%',
        softGracePeriod: 'memory.available=1m30s,pid.available=30s',
      }),
      [
        { signal: 'memory.available', quantity: Gi, gracePeriodMs: 0 },
        { signal: 'memory.available', quantity: 2 * Gi, gracePeriodMs: 90_000 },
        { signal: 'pid.available', percentage: 0.1, gracePeriodMs: 30_000 },
      ],
    );
    assert.equal(parseDuration('1h2m3s'), 3_723_000);
    assert.equal(parseDuration('500ms'), 500);
  });

  it('refuses what upstream refuses', () => {
    assert.throws(
      () => parseThresholdStatements('memory.free<1Gi'),
      /unsupported eviction signal memory.free/,
    );
    assert.throws(
      () => parseThresholdStatements('memory.available>1Gi'),
      /invalid eviction threshold syntax/,
    );
    assert.throws(() => parseThresholdStatements('nodefs.available<110%'), /must be >= 0% and <= 100%/);
    assert.throws(
      () => parseThresholdStatements('memory.available<lots'),
      /invalid eviction threshold quantity/,
    );
    assert.throws(
      () => parseThresholdStatements('memory.available<1Gi,memory.available<2Gi'),
      /duplicate eviction threshold/,
    );
    assert.throws(
      () => parseEvictionConfig({ soft: 'memory.available<1Gi' }),
      /grace period must be specified for the soft eviction threshold memory.available/,
    );
    assert.throws(() => parseDuration('5 minutes'), /invalid duration/);
  });
});

describe('eviction ranking and message', () => {
  it('ranks memory pressure: over requests first, then lower priority, then usage above requests', () => {
    const pods = [
      pod('guaranteed-under', { requests: { memory: '500Mi' } }),
      pod('high-over', { priority: 1000 }),
      pod('low-small-over', { requests: { memory: '100Mi' } }),
      pod('low-big-over'),
      pod('no-stats', { priority: 5000 }),
    ];
    const stats = [
      usage('guaranteed-under', 400 * Mi),
      usage('high-over', 900 * Mi),
      usage('low-small-over', 150 * Mi),
      usage('low-big-over', 300 * Mi),
    ];
    assert.deepEqual(
      rankPods('memory.available', pods, stats).map((p) => p.metadata.name),
      ['no-stats', 'low-big-over', 'low-small-over', 'high-over', 'guaranteed-under'],
    );
  });

  it('ranks PID pressure by priority, then process count; disk by ephemeral storage above requests', () => {
    const pods = [pod('a'), pod('b', { priority: -10 }), pod('c')];
    const stats = [
      usage('a', 0, { processes: 10, ephemeralBytes: 5 * Gi }),
      usage('b', 0, { processes: 1, ephemeralBytes: Gi }),
      usage('c', 0, { processes: 50, ephemeralBytes: 2 * Gi }),
    ];
    assert.deepEqual(
      rankPods('pid.available', pods, stats).map((p) => p.metadata.name),
      ['b', 'c', 'a'],
    );
    pods[0].spec.containers[0].resources = { requests: { 'ephemeral-storage': '10Gi' } };
    assert.deepEqual(
      rankPods('nodefs.available', pods, stats).map((p) => p.metadata.name),
      ['b', 'c', 'a'],
    );
  });

  it('writes the message as upstream does', () => {
    const p = pod('x', { requests: { memory: '64Mi' } });
    assert.equal(
      evictionMessage('memory.available', p, usage('x', 300 * Mi), { amount: 100 * Mi, available: 50 * Mi }),
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container c was using 300Mi, request is 64Mi, has larger consumption of memory. ',
    );
    assert.equal(
      evictionMessage('nodefs.inodesFree', p, undefined, { amount: 100_000, available: 4_000 }),
      'The node was low on resource: inodes. Threshold quantity: 100000, available: 4k. ',
    );
    assert.equal(binaryQuantity(1000), '1000');
    assert.equal(binaryQuantity(1536 * Mi), '1536Mi');
  });
});

describe('local storage limits', () => {
  const withStorage = (spec: Obj): Obj => ({
    metadata: { name: 'ls', namespace: 'default', uid: 'uid-ls' },
    spec: { containers: [{ name: 'c' }], ...spec },
  });
  it('finds emptyDir, pod and container ephemeral-storage violations with upstream messages', () => {
    const emptyDir = withStorage({
      volumes: [
        { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
        { name: 'scratch', emptyDir: { sizeLimit: '1Mi' } },
      ],
    });
    assert.equal(hasLocalStorageLimits(emptyDir), true);
    assert.equal(
      localStorageViolation(emptyDir, {
        uid: 'uid-ls',
        containers: [],
        volumes: { mem: 5 * Mi, scratch: 2 * Mi },
      }),
      'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ',
    );
    assert.equal(
      localStorageViolation(emptyDir, {
        uid: 'uid-ls',
        containers: [],
        volumes: { mem: 5 * Mi, scratch: Mi },
      }),
      undefined,
      'memory-backed volumes are bounded by their tmpfs, not by eviction',
    );
    const limited = withStorage({
      containers: [
        { name: 'a', resources: { limits: { 'ephemeral-storage': '10Mi' } } },
        { name: 'b', resources: { limits: { 'ephemeral-storage': '20Mi' } } },
      ],
    });
    assert.equal(
      localStorageViolation(limited, {
        uid: 'uid-ls',
        containers: [
          { name: 'a', ephemeralBytes: 5 * Mi },
          { name: 'b', ephemeralBytes: 26 * Mi },
        ],
      }),
      'Pod ephemeral local storage usage exceeds the total limit of containers 30Mi. ',
    );
    assert.equal(
      localStorageViolation(limited, {
        uid: 'uid-ls',
        containers: [
          { name: 'a', ephemeralBytes: 11 * Mi },
          { name: 'b', ephemeralBytes: 1 * Mi },
        ],
      }),
      'Container a exceeded its local ephemeral storage limit "10Mi". ',
    );
    assert.equal(hasLocalStorageLimits(withStorage({})), false);
  });
});

describe('EvictionManager on a FakeClock', () => {
  const setup = (thresholds = parseEvictionConfig({}), extra: Obj = {}) => {
    const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'));
    const stats = new FakeStats();
    let active = [
      pod('best-effort'),
      pod('burstable', { requests: { memory: '1Gi' } }),
      pod('critical', { priority: 2_000_000_000 }),
    ];
    stats.podUsage = [
      usage('best-effort', 200 * Mi),
      usage('burstable', 500 * Mi),
      usage('critical', 2 * Gi),
    ];
    const evicted: EvictionRequest[] = [];
    const reclaimed: number[] = [];
    const changes: string[][] = [];
    const m = new EvictionManager({
      clock,
      log: silentLogger,
      stats,
      thresholds,
      activePods: () => active,
      evict: async (req) => {
        evicted.push(req);
        active = active.filter((p) => p !== req.pod);
      },
      reclaimImages: async () => {
        reclaimed.push(clock.now());
        if (extra.reclaimFrees) stats.imageFsAvailable = 60 * Gi;
      },
      onConditionsChanged: (c) => changes.push(c),
      ...extra.options,
    });
    return { clock, stats, m, evicted, reclaimed, changes };
  };

  it('reports no pressure and evicts nothing while every signal is above its threshold', async () => {
    const { m, evicted } = setup();
    assert.deepEqual(await m.synchronize(), []);
    assert.deepEqual(m.conditions(), []);
    assert.equal(evicted.length, 0);
  });

  it('under memory pressure evicts one pod per pass, ranked, with grace 1 s, and holds the condition for the transition period', async () => {
    const { clock, stats, m, evicted, changes } = setup();
    stats.memoryAvailable = 50 * Mi;
    const first = await m.synchronize();
    assert.deepEqual(
      first.map((p) => p.metadata.name),
      ['best-effort'],
    );
    assert.deepEqual(m.conditions(), ['MemoryPressure']);
    assert.deepEqual(changes, [['MemoryPressure']]);
    assert.equal(evicted[0].gracePeriodSeconds, 1);
    const message =
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container c was using 200Mi, request is 0, has larger consumption of memory. ';
    assert.equal(evicted[0].message, message);
    assert.equal(evicted[0].status.phase, 'Failed');
    assert.equal(evicted[0].status.reason, 'Evicted');
    assert.equal(evicted[0].status.message, message);
    const dt = evicted[0].status.conditions.find((c: Obj) => c.type === 'DisruptionTarget');
    assert.deepEqual(
      { status: dt.status, reason: dt.reason, message: dt.message },
      { status: 'True', reason: 'TerminationByKubelet', message },
    );
    assert.ok(
      evicted[0].status.conditions.find((c: Obj) => c.type === 'Ready'),
      'other conditions kept',
    );

    // Next pass, 10 s later: the burstable pod (within its request, lower than nothing else) goes; the
    // critical one never does.
    clock.advance(10_000);
    assert.deepEqual(
      (await m.synchronize()).map((p) => p.metadata.name),
      ['burstable'],
    );
    clock.advance(10_000);
    assert.deepEqual(await m.synchronize(), []);
    assert.equal(evicted.length, 2);

    // Relieved: MemoryPressure stays True for 5 minutes after the last breach, then clears.
    stats.memoryAvailable = 2 * Gi;
    clock.advance(10_000);
    await m.synchronize();
    assert.deepEqual(m.conditions(), ['MemoryPressure']);
    clock.advance(4 * 60_000 + 40_000);
    await m.synchronize();
    assert.deepEqual(m.conditions(), ['MemoryPressure'], 'still inside the transition period');
    clock.advance(10_000);
    await m.synchronize();
    assert.deepEqual(m.conditions(), []);
    assert.deepEqual(changes, [['MemoryPressure'], []]);
  });

  it('waits out a soft threshold grace period and then evicts with the capped pod grace period', async () => {
    const thresholds = parseEvictionConfig({
      hard: '',
      soft: 'memory.available<500Mi',
      softGracePeriod: 'memory.available=1m30s',
    });
    const { clock, stats, m, evicted } = setup(thresholds, { options: { maxPodGracePeriodSeconds: 10 } });
    stats.memoryAvailable = 400 * Mi;
    assert.deepEqual(await m.synchronize(), []);
    assert.deepEqual(m.conditions(), ['MemoryPressure'], 'the condition does not wait for the grace period');
    clock.advance(80_000);
    assert.deepEqual(await m.synchronize(), []);
    clock.advance(10_000);
    assert.deepEqual(
      (await m.synchronize()).map((p) => p.metadata.name),
      ['best-effort'],
    );
    assert.equal(evicted[0].gracePeriodSeconds, 10);
  });

  it('a breach that goes away restarts the soft grace period', async () => {
    const thresholds = parseEvictionConfig({
      hard: '',
      soft: 'memory.available<500Mi',
      softGracePeriod: 'memory.available=60s',
    });
    const { clock, stats, m } = setup(thresholds);
    stats.memoryAvailable = 400 * Mi;
    await m.synchronize();
    clock.advance(50_000);
    stats.memoryAvailable = Gi;
    await m.synchronize();
    clock.advance(10_000);
    stats.memoryAvailable = 400 * Mi;
    assert.deepEqual(await m.synchronize(), []);
    clock.advance(59_000);
    assert.deepEqual(await m.synchronize(), []);
    clock.advance(1_000);
    assert.equal((await m.synchronize()).length, 1);
  });

  it('frees unused images before evicting for disk pressure', async () => {
    const freeing = setup(undefined, { reclaimFrees: true });
    freeing.stats.imageFsAvailable = 10 * Gi; // under 15%
    assert.deepEqual(await freeing.m.synchronize(), []);
    assert.equal(freeing.reclaimed.length, 1);
    assert.deepEqual(freeing.m.conditions(), ['DiskPressure']);

    const notEnough = setup();
    notEnough.stats.nodeFsAvailable = 5 * Gi; // under 10%
    notEnough.stats.podUsage = [
      usage('best-effort', 0, { ephemeralBytes: Gi }),
      usage('burstable', 0, { ephemeralBytes: 3 * Gi }),
      usage('critical', 0, { ephemeralBytes: 9 * Gi }),
    ];
    const out = await notEnough.m.synchronize();
    assert.deepEqual(
      out.map((p) => p.metadata.name),
      ['burstable'],
    );
    assert.equal(notEnough.reclaimed.length, 1);
    assert.equal(notEnough.stats.diskAsked, 1, 'disk usage measured for the ranking');
    assert.match(
      notEnough.evicted[0].message,
      /^The node was low on resource: ephemeral-storage\. Threshold quantity: 10Gi, available: 5Gi\. /,
    );
  });

  it('evicts every pod over its local storage limits at once, with grace 0, before node pressure', async () => {
    const { stats, m, evicted } = setup();
    assert.deepEqual(await m.synchronize(), []);
    assert.equal(stats.diskAsked, 0, 'no directory walk while no pod has local storage limits');
    const {
      stats: stats2,
      m: m2,
      evicted: evicted2,
    } = setup(undefined, {
      options: {
        activePods: () => [
          {
            ...pod('a'),
            spec: { ...pod('a').spec, volumes: [{ name: 'v', emptyDir: { sizeLimit: '1Mi' } }] },
          },
          {
            ...pod('b'),
            spec: { ...pod('b').spec, volumes: [{ name: 'v', emptyDir: { sizeLimit: '1Gi' } }] },
          },
          {
            ...pod('c'),
            spec: { ...pod('c').spec, volumes: [{ name: 'v', emptyDir: { sizeLimit: '2Mi' } }] },
          },
        ],
      },
    });
    stats2.memoryAvailable = 50 * Mi; // conditions still follow the node while local storage evicts
    stats2.podUsage = [
      { ...usage('a', 0), volumes: { v: 3 * Mi } },
      { ...usage('b', 0), volumes: { v: 3 * Mi } },
      { ...usage('c', 0), volumes: { v: 3 * Mi } },
    ];
    assert.deepEqual(
      (await m2.synchronize()).map((p) => p.metadata.name),
      ['a', 'c'],
    );
    assert.deepEqual(
      evicted2.map((e) => [e.gracePeriodSeconds, e.message]),
      [
        [0, 'Usage of EmptyDir volume "v" exceeds the limit "1Mi". '],
        [0, 'Usage of EmptyDir volume "v" exceeds the limit "2Mi". '],
      ],
    );
    assert.deepEqual(m2.conditions(), ['MemoryPressure']);
    assert.equal(evicted.length, 0);
    assert.equal(stats.diskAsked, 0);
  });

  it('reports PIDPressure and DiskPressure for inodes', async () => {
    const thresholds = parseEvictionConfig({ hard: 'pid.available<10%,nodefs.inodesFree<5%' });
    const { stats, m } = setup(thresholds);
    stats.pidsRunning = 4_000_000;
    stats.inodesFree = 50_000;
    await m.synchronize();
    assert.deepEqual(m.conditions(), ['DiskPressure', 'PIDPressure']);
  });

  it('admits only what upstream admits under pressure', async () => {
    const { stats, m } = setup();
    const bestEffort = pod('new-be');
    const burstable = pod('new-b', { requests: { memory: '10Mi' } });
    const tolerating = pod('new-t');
    tolerating.spec.tolerations = [
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    ];
    const mirror = pod('mirror', { annotations: { 'kubernetes.io/config.mirror': 'abc' } });
    assert.deepEqual(m.admit(bestEffort), { admit: true });

    stats.memoryAvailable = 50 * Mi;
    await m.synchronize();
    assert.deepEqual(m.admit(bestEffort), {
      admit: false,
      reason: 'Evicted',
      message: 'The node had condition: [MemoryPressure]. ',
    });
    assert.deepEqual(m.admit(burstable), { admit: true });
    assert.deepEqual(m.admit(tolerating), { admit: true });

    stats.nodeFsAvailable = Gi;
    await m.synchronize();
    assert.deepEqual(m.admit(burstable), {
      admit: false,
      reason: 'Evicted',
      message: 'The node had condition: [MemoryPressure DiskPressure]. ',
    });
    assert.deepEqual(m.admit(mirror), { admit: true });
  });
});

describe('the pod worker fails evicted and refused pods', () => {
  let env: KubeletUnitEnv;
  let rest: RestClient;
  let dataDir: string;
  const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'));
  const events: Obj[] = [];
  let cri: FakeCri;
  let syncer: PodSyncer;
  let recorder: EventRecorder;
  let verdict: { admit: true } | { admit: false; reason: string; message: string } = { admit: true };

  before(async () => {
    env = await startKubeletUnitEnv('k8ts-evict-', events);
    ({ rest, dataDir, recorder } = env);
    cri = new FakeCri(() => clock.now());
    syncer = unitPodSyncer({
      cri: cri.asClient(),
      rest,
      recorder,
      clock,
      dataDir,
      cgroupRoot: `/k8ts-unit-${process.pid}`,
      admit: () => verdict,
    });
    await createNamespaceBasics(rest, 'default');
  });

  after(async () => {
    await env.close();
  });

  const pods = () => rest.resource<Obj>(PODS).in('default');
  const create = (name: string) =>
    pods().create({
      metadata: { name },
      spec: {
        nodeName: 'n1',
        terminationGracePeriodSeconds: 30,
        containers: [{ name: 'c', image: 'k8ts.local/busybox:latest' }],
      },
    });

  it('an evicted pod ends Failed/Evicted with DisruptionTarget, its containers stopped within 1 s', async () => {
    const p = await create('victim');
    await syncer.sync(p.metadata.uid, p, p);
    const running = await pods().get('victim');
    assert.equal(running.status.phase, 'Running');
    const message = 'The node was low on resource: memory. ';
    syncer.failPod(
      p.metadata.uid,
      {
        phase: 'Failed',
        reason: 'Evicted',
        message,
        conditions: [
          ...running.status.conditions,
          { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message },
        ],
      },
      1,
    );
    cri.calls.length = 0;
    // The pod worker runs with the API server's copy, still Running.
    await syncer.sync(p.metadata.uid, running, running);
    assert.ok(cri.calls.includes('StopContainer c timeout=1'), cri.calls.join('\n'));
    const got = await pods().get('victim');
    assert.equal(got.status.phase, 'Failed');
    assert.equal(got.status.reason, 'Evicted');
    assert.equal(got.status.message, message);
    assert.equal(
      got.status.conditions.find((c: Obj) => c.type === 'DisruptionTarget')?.reason,
      'TerminationByKubelet',
    );
    assert.equal(got.status.containerStatuses[0].state.terminated.exitCode, 143);
    // Later syncs keep it that way.
    await syncer.sync(p.metadata.uid, got, got);
    const again = await pods().get('victim');
    assert.equal(again.status.phase, 'Failed');
    assert.equal(again.status.reason, 'Evicted');
  });

  it('a pod refused at admission never starts and is Failed with "Pod was rejected"', async () => {
    verdict = { admit: false, reason: 'Evicted', message: 'The node had condition: [DiskPressure]. ' };
    const p = await create('refused');
    cri.calls.length = 0;
    await syncer.sync(p.metadata.uid, p, p);
    assert.deepEqual(
      cri.calls.filter((c) => c.startsWith('RunPodSandbox')),
      [],
    );
    const got = await pods().get('refused');
    assert.equal(got.status.phase, 'Failed');
    assert.equal(got.status.reason, 'Evicted');
    assert.equal(got.status.message, 'Pod was rejected: The node had condition: [DiskPressure]. ');
    assert.equal(got.status.containerStatuses, undefined, 'nothing but phase, reason and message');
    // Later syncs leave it so (kubectl shows the reason, Evicted).
    await syncer.sync(p.metadata.uid, got, got);
    assert.equal((await pods().get('refused')).status.containerStatuses, undefined);
    verdict = { admit: true };
  });
});
