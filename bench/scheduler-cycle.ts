// bench/scheduler-cycle: the scheduling cycle alone (framework + cache, no API server, no binding):
// CPU time per decision for the plain, spread and anti cases of bench/scheduler.
//   npm run build && node dist/bench/scheduler-cycle.js [--nodes 5000] [--pods 10000] [--case plain|spread|anti]
import { SchedulerCache } from '../src/scheduler/cache.js';
import { Framework } from '../src/scheduler/framework.js';
import { Nominator } from '../src/scheduler/nominator.js';
import { newPodInfo } from '../src/scheduler/resources.js';

function argValue(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const numNodes = Number(argValue('nodes', '5000'));
const numPods = Number(argValue('pods', '10000'));
const caseName = argValue('case', 'plain');

const cache = new SchedulerCache();
const allocatable = { cpu: '32', memory: '128Gi', pods: '110' };
for (let i = 0; i < numNodes; i++)
  cache.setNode({
    metadata: {
      name: `node-${i}`,
      labels: { 'kubernetes.io/hostname': `node-${i}`, 'topology.kubernetes.io/zone': `zone-${i % 10}` },
    },
    status: { allocatable, capacity: allocatable },
  });
const selector = { matchLabels: { app: 'bench' } };
const extras: Record<string, unknown> =
  caseName === 'spread'
    ? {
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: selector,
          },
        ],
      }
    : caseName === 'anti'
      ? {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: selector, topologyKey: 'kubernetes.io/hostname' },
              ],
            },
          },
        }
      : {};
const fw = new Framework({
  nominator: new Nominator(),
  pdbs: () => [],
  defaultSelector: () => undefined,
  cacheView: cache,
});
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let failed = 0;
for (let i = 0; i < numPods; i++) {
  const pod = {
    metadata: {
      name: `pod-${i}`,
      namespace: 'default',
      labels: { app: 'bench' },
      creationTimestamp: '2025-01-01T00:00:00Z',
    },
    spec: {
      ...extras,
      containers: [{ name: 'c', image: 'pause', resources: { requests: { cpu: '100m', memory: '500Mi' } } }],
    },
  };
  const pi = newPodInfo(pod);
  const r = fw.schedule(pod, cache.nodes(), {
    podInfo: pi,
    affinityNodes: cache.nodesWithAffinityPods(),
    fromCache: true,
  });
  if (r.ok) cache.assume(pi, r.nodeName);
  else failed++;
}
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(
  `${caseName}: ${numNodes} nodes, ${numPods} pods: ${((cpu.user + cpu.system) / 1000 / numPods).toFixed(3)} ms CPU per pod ` +
    `(${(numPods / ((cpu.user + cpu.system) / 1e6)).toFixed(0)} pods per CPU-second; wall ${wall.toFixed(0)} ms), failed ${failed}`,
);
