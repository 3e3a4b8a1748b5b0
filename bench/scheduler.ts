// bench/scheduler: pods bound per second by the scheduler against an in-process API server (memory
// store, Node objects only, no kubelets), in the style of upstream's scheduler_perf: nodes and pending
// pods are created first, then the scheduler starts and the clock runs until every pod is bound.
// Prints pods/s, the time to first bind, and the peak RSS of the process (API server + scheduler).
//
//   npm run build && node dist/bench/scheduler.js [--nodes 100] [--pods 1000] [--case plain|spread|anti]
// spread: every pod has a required topology spread over 10 zones (maxSkew 1);
// anti: every pod has required anti-affinity to the others per hostname.
import { ApiServer } from '../src/apiserver/server.js';
import { silentLogger } from '../src/client/log.js';
import { RestClient } from '../src/client/rest.js';
import { startScheduler } from '../src/scheduler/index.js';
import { NODES, PODS } from '../src/scheduler/scheduler.js';
import { openMemoryBackend } from '../src/storage/memory/index.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const numNodes = arg('nodes', 100);
const numPods = arg('pods', 1000);
const caseName = process.argv.includes('--case') ? process.argv[process.argv.indexOf('--case') + 1] : 'plain';

function podSpecExtras(): Record<string, unknown> {
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

async function main(): Promise<void> {
  const backend = await openMemoryBackend();
  const api = new ApiServer({ backend });
  const { port } = await api.listen(0);
  const baseUrl = `http://127.0.0.1:${port}`;
  const rest = new RestClient({ baseUrl });
  const nodes = rest.resource(NODES);
  const pods = rest.resource(PODS).in('default');

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
  await inParallel(numPods, 16, (i) =>
    pods.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, labels: { app: 'bench' } },
      spec: {
        ...podSpecExtras(),
        containers: [
          {
            name: 'c',
            image: 'registry.k8s.io/pause:3.10',
            resources: { requests: { cpu: '100m', memory: '500Mi' } },
          },
        ],
      },
    }),
  );

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const t0 = performance.now();
  const s = startScheduler({ baseUrl, log: silentLogger });
  await s.ready;
  const synced = performance.now();
  let firstBind = 0;
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (!firstBind && s.scheduler.stats.scheduled > 0) firstBind = performance.now();
      if (s.scheduler.stats.scheduled >= numPods) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
  const t1 = performance.now();
  clearInterval(sampler);
  const secs = (t1 - synced) / 1000;
  const st = s.scheduler.stats;
  console.log(
    `scheduler bench (${caseName}): ${numNodes} nodes, ${numPods} pods (100m cpu / 500Mi each), in-process API server`,
  );
  console.log(`  informer sync:      ${(synced - t0).toFixed(0)} ms`);
  console.log(`  first bind after:   ${(firstBind - synced).toFixed(0)} ms`);
  console.log(`  all bound in:       ${(secs * 1000).toFixed(0)} ms`);
  console.log(`  throughput:         ${(numPods / secs).toFixed(0)} pods/s`);
  console.log(
    `  attempts ${st.attempts}, bind failures ${st.bindFailures}, unschedulable ${st.unschedulable}`,
  );
  console.log(`  peak RSS (API server + scheduler): ${(peakRss / 2 ** 20).toFixed(0)} MiB`);

  await s.stop();
  rest.close();
  await api.close();
  await backend.close();
}

await main();
