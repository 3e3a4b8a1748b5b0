// bench/scheduler: pods bound per second by the scheduler against the real API server (memory store,
// Node objects only, no kubelets), in the style of upstream's scheduler_perf: nodes and pending pods
// are created first, then the scheduler starts and the clock runs until every pod is bound.
// The API server runs in this process and the scheduler in a child process, so the peak RSS printed
// for the scheduler is its own.
//
//   npm run build && node dist/bench/scheduler.js                # all four cases at their issue sizes
//   node dist/bench/scheduler.js --case plain|spread|anti|preempt [--nodes N] [--pods N]
//
// (a) plain:   5,000 nodes / 10,000 pods (100m cpu / 500Mi each)
// (b) spread:  5,000 nodes / 5,000 pods, each with a required topology spread over 10 zones (maxSkew 1)
// (c) anti:    5,000 nodes / 2,000 pods with required anti-affinity to each other per hostname
// (d) preempt: 1,000 nodes filled with 4 low-priority pods each (bound at creation), then 1,000
//     high-priority pods that each must preempt one of them. A stand-in for kubelets finishes the
//     victims' graceful deletion at once.
import { fork } from 'node:child_process';
import { isNotFound } from '../src/client/apierror.js';
import { NODES, PODS } from '../src/client/index.js';
import { SharedInformerFactory } from '../src/client/informer-factory.js';
import { silentLogger } from '../src/client/log.js';
import { RestClient } from '../src/client/rest.js';
import { startScheduler } from '../src/scheduler/index.js';
import { openMemoryBackend } from '../src/storage/memory/index.js';

type CaseName = 'plain' | 'spread' | 'anti' | 'preempt';
const SIZES: Record<CaseName, { nodes: number; pods: number; label: string }> = {
  plain: { nodes: 5000, pods: 10000, label: '(a)' },
  spread: { nodes: 5000, pods: 5000, label: '(b)' },
  anti: { nodes: 5000, pods: 2000, label: '(c)' },
  preempt: { nodes: 1000, pods: 1000, label: '(d)' },
};
const LOW_PODS_PER_NODE = 4;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function podSpecExtras(caseName: CaseName): Record<string, unknown> {
  const selector = { matchLabels: { app: 'bench' } };
  if (caseName === 'spread')
    return {
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: selector,
        },
      ],
    };
  if (caseName === 'anti')
    return {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: selector, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
    };
  return {};
}

async function inParallel(n: number, limit: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

interface ChildReport {
  type: 'progress' | 'done';
  scheduled: number;
  syncMs: number;
  firstBindMs: number;
  allBoundMs: number;
  peakRss: number;
  /** CPU seconds the scheduler process used while binding (user + system). */
  cpuSeconds: number;
  stats: Record<string, number>;
}

/** Child role: run the scheduler against `url` until `expect` pods are bound, then report. */
async function schedulerChild(url: string, expect: number): Promise<void> {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  const t0 = performance.now();
  const s = startScheduler({ baseUrl: url, log: silentLogger });
  await s.ready;
  const synced = performance.now();
  const cpu0 = process.cpuUsage();
  let firstBind = 0;
  const debug = process.env.BENCH_DEBUG
    ? setInterval(
        () =>
          console.error(
            JSON.stringify({
              t: Math.round(performance.now() - synced),
              ...s.scheduler.stats,
              q: s.scheduler.queue.sizes(),
            }),
          ),
        1000,
      )
    : undefined;
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (!firstBind && s.scheduler.stats.scheduled > 0) firstBind = performance.now();
      if (s.scheduler.stats.scheduled >= expect) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
  const done = performance.now();
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  clearInterval(debug);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const report: ChildReport = {
    type: 'done',
    scheduled: s.scheduler.stats.scheduled,
    syncMs: synced - t0,
    firstBindMs: firstBind - synced,
    allBoundMs: done - synced,
    peakRss,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    stats: { ...s.scheduler.stats },
  };
  await s.stop();
  process.send!(report);
  process.disconnect();
}

async function runCase(caseName: CaseName, numNodes: number, numPods: number): Promise<void> {
  const backend = await openMemoryBackend();
  const { ApiServer } = await import('../src/apiserver/server.js');
  const api = new ApiServer({ backend });
  const { port } = await api.listen(0);
  const baseUrl = `http://127.0.0.1:${port}`;
  const rest = new RestClient({ baseUrl });
  const nodes = rest.resource(NODES);
  const pods = rest.resource(PODS).in('default');
  const preempt = caseName === 'preempt';
  const pcs = rest.resource({
    group: 'scheduling.k8s.io',
    version: 'v1',
    plural: 'priorityclasses',
    namespaced: false,
    kind: 'PriorityClass',
  });
  if (preempt) {
    for (const [name, value] of [
      ['bench-low', 10],
      ['bench-high', 1000],
    ] as const)
      await pcs.create({
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name },
        value,
      });
  }

  const allocatable = { cpu: '32', memory: '128Gi', pods: '110' };
  await inParallel(numNodes, 16, (i) =>
    nodes.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: `node-${i}`,
        labels: { 'kubernetes.io/hostname': `node-${i}`, 'topology.kubernetes.io/zone': `zone-${i % 10}` },
      },
      status: {
        allocatable,
        capacity: allocatable,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }],
      },
    }),
  );
  // Preemption: every node full of low-priority pods of 8 cpu; each high-priority pod needs 8 cpu.
  const request = preempt ? { cpu: '8', memory: '1Gi' } : { cpu: '100m', memory: '500Mi' };
  const podBody = (name: string, extra: Record<string, unknown>) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench' } },
    spec: {
      ...extra,
      containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: request } }],
    },
  });
  if (preempt)
    await inParallel(numNodes * LOW_PODS_PER_NODE, 16, (i) =>
      pods.create(podBody(`low-${i}`, { priorityClassName: 'bench-low', nodeName: `node-${i % numNodes}` })),
    );
  await inParallel(numPods, 16, (i) =>
    pods.create(podBody(`pod-${i}`, preempt ? { priorityClassName: 'bench-high' } : podSpecExtras(caseName))),
  );

  // Kubelet stand-in for preemption victims: finish graceful deletions at once.
  let finisher: SharedInformerFactory | undefined;
  let victimsDeleted = 0;
  if (preempt) {
    finisher = new SharedInformerFactory(rest, { log: silentLogger });
    const seen = new Set<string>();
    finisher.informerFor(PODS).addEventHandler({
      onUpdate: (_old, pod: any) => {
        if (!pod.metadata?.deletionTimestamp || seen.has(pod.metadata.name)) return;
        seen.add(pod.metadata.name);
        pods
          .delete(pod.metadata.name, { gracePeriodSeconds: 0 })
          .then(() => victimsDeleted++)
          .catch((err) => {
            if (!isNotFound(err)) console.error('finishing deletion failed', err);
          });
      },
    });
    finisher.start();
    await finisher.waitForSync();
  }

  let apiPeakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    apiPeakRss = Math.max(apiPeakRss, process.memoryUsage.rss());
  }, 50);
  const child = fork(
    process.argv[1],
    ['--role', 'scheduler', '--url', baseUrl, '--expect', String(numPods)],
    {
      // BENCH_SCHEDULER_NODE_ARGS passes extra flags to the scheduler's node (e.g. --cpu-prof).
      execArgv: ['--max-old-space-size=4096', ...(process.env.BENCH_SCHEDULER_NODE_ARGS?.split(' ') ?? [])],
    },
  );
  const apiCpu0 = process.cpuUsage();
  const report = await new Promise<ChildReport>((resolve, reject) => {
    child.on('message', (m: ChildReport) => {
      if (m.type === 'done') resolve(m);
    });
    child.on('exit', (code) => {
      if (code) reject(new Error(`scheduler child exited with ${code}`));
    });
  });
  const apiCpu = process.cpuUsage(apiCpu0);
  await new Promise((r) => child.once('exit', r));
  clearInterval(sampler);

  const secs = report.allBoundMs / 1000;
  const st = report.stats;
  const what = preempt
    ? `${numNodes} nodes full of ${numNodes * LOW_PODS_PER_NODE} low-priority pods, ${numPods} high-priority pods (8 cpu each)`
    : `${numNodes} nodes, ${numPods} pods (100m cpu / 500Mi each)`;
  console.log(`${SIZES[caseName].label} ${caseName}: ${what}`);
  console.log(`  informer sync:      ${report.syncMs.toFixed(0)} ms`);
  console.log(`  first bind after:   ${report.firstBindMs.toFixed(0)} ms`);
  console.log(`  all bound in:       ${report.allBoundMs.toFixed(0)} ms`);
  console.log(`  throughput:         ${(numPods / secs).toFixed(0)} pods/s`);
  // CPU time is what the load of other processes on the machine distorts least.
  console.log(
    `  CPU: scheduler ${report.cpuSeconds.toFixed(1)} s (${(numPods / report.cpuSeconds).toFixed(0)} pods per CPU-second), ` +
      `API server process ${((apiCpu.user + apiCpu.system) / 1e6).toFixed(1)} s (from scheduler start)`,
  );
  console.log(
    `  attempts ${st.attempts}, bind failures ${st.bindFailures}, unschedulable ${st.unschedulable}` +
      (preempt ? `, preemptions ${st.preemptions}, victims ${st.victims} (deleted ${victimsDeleted})` : ''),
  );
  console.log(
    `  peak RSS: scheduler ${(report.peakRss / 2 ** 20).toFixed(0)} MiB, API server ${(apiPeakRss / 2 ** 20).toFixed(0)} MiB`,
  );

  await finisher?.stop();
  rest.close();
  await api.close();
  await backend.close();
}

async function main(): Promise<void> {
  if (argValue('role') === 'scheduler') {
    await schedulerChild(argValue('url')!, Number(argValue('expect')));
    return;
  }
  const only = argValue('case') as CaseName | undefined;
  if (only && !(only in SIZES)) throw new Error(`unknown case ${only}: plain, spread, anti or preempt`);
  const cases = only ? [only] : (Object.keys(SIZES) as CaseName[]);
  for (const c of cases) {
    const nodes = Number(argValue('nodes') ?? SIZES[c].nodes);
    const pods = Number(argValue('pods') ?? SIZES[c].pods);
    await runCase(c, nodes, pods);
  }
}

await main();
