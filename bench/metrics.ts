// bench/metrics: what metrics cost. The per-request price of the API server's request series (observe()
// over 60 label sets, as a busy server has; prom-client's labelled children for comparison), and of a
// long-running request's count; scraping /metrics;
// building the kubelet's /metrics/resource text for 110 pods and reading it back into the metrics store.
//
//   npm run build && node dist/bench/metrics.js [--quick]
import { Counter, Histogram, Registry } from 'prom-client';
import { ApiServerMetrics } from '../src/apiserver/metrics.js';
import type { ResourceRequest } from '../src/apiserver/requestinfo.js';
import { parseExposition } from '../src/apiserver/resource-metrics/prom-text.js';
import { MetricsStore, pointsFromSamples } from '../src/apiserver/resource-metrics/store.js';
import { resourceMetricsText } from '../src/kubelet/metrics.js';
import type { Summary } from '../src/kubelet/stats.js';

const quick = process.argv.includes('--quick');
const N = quick ? 200_000 : 2_000_000;

/** CPU nanoseconds per call (process CPU time, so a shared, loaded machine inflates it less than wall time). */
function timeIt(n: number, fn: (i: number) => void): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(i);
  const u = process.cpuUsage(c0);
  return ((u.user + u.system) * 1000) / n;
}

function summaryOf(pods: number, ms: number): Summary {
  const time = new Date(ms).toISOString();
  return {
    node: {
      nodeName: 'n',
      startTime: time,
      cpu: { time, usageCoreNanoSeconds: 1e13 },
      memory: { time, workingSetBytes: 2e9 },
    },
    pods: Array.from({ length: pods }, (_, i) => ({
      podRef: { name: `pod-${i}`, namespace: `ns-${i % 10}`, uid: `u${i}` },
      startTime: time,
      cpu: { time, usageCoreNanoSeconds: 1e9 * i },
      memory: { time, workingSetBytes: 1e7 },
      containers: [
        {
          name: 'app',
          startTime: time,
          cpu: { time, usageCoreNanoSeconds: 1e9 * i },
          memory: { time, workingSetBytes: 1e7 },
        },
        {
          name: 'side',
          startTime: time,
          cpu: { time, usageCoreNanoSeconds: 1e8 * i },
          memory: { time, workingSetBytes: 1e6 },
        },
      ],
    })),
  };
}

async function main(): Promise<void> {
  const m = new ApiServerMetrics({
    inflight: { inflight: () => ({ readOnly: 0, mutating: 0 }) },
    storage: { counts: async () => new Map([['pods', 1]]) },
  });
  const verbs: ResourceRequest['verb'][] = ['get', 'list', 'create', 'update', 'patch', 'delete'];
  const resources = [
    'pods',
    'configmaps',
    'nodes',
    'leases',
    'events',
    'services',
    'endpoints',
    'secrets',
    'jobs',
    'deployments',
  ];
  const infos: ResourceRequest[] = [];
  for (const verb of verbs)
    for (const resource of resources)
      infos.push({
        type: 'resource',
        group: '',
        version: 'v1',
        namespace: 'default',
        resource,
        rest: [],
        verb,
      });
  for (const i of infos) m.observe(i, 'application/json', false, 200, 0.001);
  const observeNs = timeIt(N, (i) =>
    m.observe(infos[i % infos.length], 'application/json', false, 200, 0.001),
  );
  const longNs = timeIt(N / 10, (i) => m.longRunningStarted(infos[i % infos.length], undefined)());
  // For comparison: prom-client's labelled counter and histogram children, which hash their labels per call.
  const reg = new Registry();
  const names = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'];
  const counter = new Counter({ name: 'c', help: 'c', labelNames: [...names, 'code'], registers: [reg] });
  const histogram = new Histogram({ name: 'h', help: 'h', labelNames: names, registers: [reg] });
  const children = infos.map((i) => {
    const l = {
      verb: i.verb,
      dry_run: '',
      group: '',
      version: 'v1',
      resource: i.resource,
      subresource: '',
      scope: 'namespace',
      component: 'apiserver',
    };
    return { c: counter.labels({ ...l, code: '200' }), h: histogram.labels(l) };
  });
  const promNs = timeIt(N, (i) => {
    const ch = children[i % children.length];
    ch.c.inc();
    ch.h.observe(0.001);
  });
  const t0 = performance.now();
  const text = await m.text();
  const scrapeMs = performance.now() - t0;

  const t1 = performance.now();
  const rounds = quick ? 20 : 200;
  let bytes = 0;
  for (let r = 0; r < rounds; r++)
    bytes = resourceMetricsText(summaryOf(110, 1_700_000_000_000 + r * 15_000)).length;
  const buildMs = (performance.now() - t1) / rounds;
  const texts = [0, 1].map((r) => resourceMetricsText(summaryOf(110, 1_700_000_000_000 + r * 15_000)));
  const store = new MetricsStore();
  const t2 = performance.now();
  for (let r = 0; r < rounds; r++) store.update('n', pointsFromSamples(parseExposition(texts[r % 2])));
  const readMs = (performance.now() - t2) / rounds;

  console.log(`\nbench/metrics (${quick ? 'quick' : 'full'})\n`);
  const row = (k: string, v: string) => console.log(`${k.padEnd(60)}${v.padStart(12)}`);
  row('apiserver request observe(), CPU ns per request (60 label sets)', observeNs.toFixed(0));
  row('  prom-client labelled inc + observe instead, CPU ns', promNs.toFixed(0));
  row('long-running request count up and down, CPU ns per request', longNs.toFixed(0));
  row(`GET /metrics text (${(text.length / 1024).toFixed(0)} KiB), ms`, scrapeMs.toFixed(1));
  row(`kubelet /metrics/resource text, 110 pods (${(bytes / 1024).toFixed(0)} KiB), ms`, buildMs.toFixed(2));
  row('API server parse + store update of that text, ms', readMs.toFixed(2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
