// The pieces behind metrics.k8s.io: the Prometheus text reader, turning kubelet samples into points, the
// rate over the window between two scrapes (metrics-server's computation), and the scrape loop on a FakeClock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goDuration, usage } from '../../src/apiserver/resource-metrics/api.js';
import { parseExposition } from '../../src/apiserver/resource-metrics/prom-text.js';
import { MetricsScraper } from '../../src/apiserver/resource-metrics/scraper.js';
import { MetricsStore, pointsFromSamples, usageBetween } from '../../src/apiserver/resource-metrics/store.js';
import { FakeClock, settle } from '../../src/client/clock.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** What a kubelet's /metrics/resource says at `ms`, with a node and one pod of two containers. */
function resourceText(
  ms: number,
  nodeCpu: number,
  app: number,
  side: number,
  appStart = T0 - 60_000,
): string {
  return [
    '# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds',
    '# TYPE container_cpu_usage_seconds_total counter',
    `container_cpu_usage_seconds_total{container="app",namespace="default",pod="web"} ${app} ${ms}`,
    `container_cpu_usage_seconds_total{container="side",namespace="default",pod="web"} ${side} ${ms}`,
    '# TYPE container_memory_working_set_bytes gauge',
    `container_memory_working_set_bytes{container="app",namespace="default",pod="web"} 10485760 ${ms}`,
    `container_memory_working_set_bytes{container="side",namespace="default",pod="web"} 1000 ${ms}`,
    `container_start_time_seconds{container="app",namespace="default",pod="web"} ${appStart / 1000} ${appStart}`,
    `container_start_time_seconds{container="side",namespace="default",pod="web"} ${(T0 - 60_000) / 1000} ${T0 - 60_000}`,
    `node_cpu_usage_seconds_total ${nodeCpu} ${ms}`,
    `node_memory_working_set_bytes 2147483648 ${ms}`,
    'resource_scrape_error 0',
    '',
  ].join('\n');
}

describe('Prometheus text reader', () => {
  it('reads names, labels with escapes, values and timestamps, and skips comments', () => {
    const s = parseExposition(
      '# HELP x a help\n# TYPE x counter\nx{a="1",b="q\\"uote\\\\ \\n"} 2.5 1700000000000\ny 3\nz{} NaN\nw +Inf\n',
    );
    assert.equal(s.length, 4);
    assert.deepEqual(s[0], {
      name: 'x',
      labels: { a: '1', b: 'q"uote\\ \n' },
      value: 2.5,
      timestampMs: 1700000000000,
    });
    assert.deepEqual(s[1], { name: 'y', labels: {}, value: 3 });
    assert.ok(Number.isNaN(s[2].value));
    assert.equal(s[3].value, Number.POSITIVE_INFINITY);
  });

  it('names the line of a malformed sample', () => {
    assert.throws(() => parseExposition('ok 1\nbad{a=1} 2\n'), /line 2: bad label/);
    assert.throws(() => parseExposition('x{a="1"} notanumber\n'), /line 1: bad value/);
    assert.throws(() => parseExposition('x{a="1} 2\n'), /unterminated/);
  });
});

describe('usage between two scrapes', () => {
  it('is the CPU rate over the window and the newest working set', () => {
    const u = usageBetween(
      { timestampMs: T0, cpuSeconds: 10, memoryBytes: 5 },
      { timestampMs: T0 + 15_000, cpuSeconds: 13, memoryBytes: 7 },
    );
    assert.deepEqual(u, {
      timestampMs: T0 + 15_000,
      windowMs: 15_000,
      nanoCores: 200_000_000,
      memoryBytes: 7,
    });
  });

  it('needs an older point, and a counter that did not go backwards', () => {
    assert.equal(usageBetween(undefined, { timestampMs: T0, cpuSeconds: 1, memoryBytes: 1 }), undefined);
    const older = { timestampMs: T0, cpuSeconds: 10, memoryBytes: 1 };
    assert.equal(usageBetween(older, { timestampMs: T0 + 1000, cpuSeconds: 9, memoryBytes: 1 }), undefined);
    assert.equal(usageBetween(older, { timestampMs: T0, cpuSeconds: 11, memoryBytes: 1 }), undefined);
  });

  it('counts a container restarted between the scrapes from its start, with zero CPU before it', () => {
    const prev = { timestampMs: T0, cpuSeconds: 50, memoryBytes: 1, startMs: T0 - 100_000 };
    const last = { timestampMs: T0 + 15_000, cpuSeconds: 1, memoryBytes: 2, startMs: T0 + 5_000 };
    assert.deepEqual(usageBetween(prev, last), {
      timestampMs: T0 + 15_000,
      windowMs: 10_000,
      nanoCores: 100_000_000,
      memoryBytes: 2,
    });
  });
});

describe('MetricsStore', () => {
  it('answers a node and a pod after their second scrape, and forgets what a scrape no longer has', () => {
    const store = new MetricsStore();
    store.update('n1', pointsFromSamples(parseExposition(resourceText(T0, 100, 10, 1))));
    assert.equal(store.nodeUsage('n1'), undefined);
    assert.equal(store.podUsage('default', 'web'), undefined);
    // A repeated reading (same timestamps) is not a second point.
    store.update('n1', pointsFromSamples(parseExposition(resourceText(T0, 100, 10, 1))));
    assert.equal(store.nodeUsage('n1'), undefined);
    store.update('n1', pointsFromSamples(parseExposition(resourceText(T0 + 10_000, 115, 15, 1.1))));
    assert.deepEqual(store.nodeUsage('n1'), {
      timestampMs: T0 + 10_000,
      windowMs: 10_000,
      nanoCores: 1_500_000_000,
      memoryBytes: 2147483648,
    });
    const pod = store.podUsage('default', 'web')!;
    assert.equal(pod.windowMs, 10_000);
    assert.deepEqual(pod.containers, [
      { name: 'app', nanoCores: 500_000_000, memoryBytes: 10485760 },
      { name: 'side', nanoCores: 10_000_000, memoryBytes: 1000 },
    ]);
    store.update('n1', { node: undefined, pods: new Map() });
    assert.equal(store.podUsage('default', 'web'), undefined);
    store.retainNodes(new Set());
    assert.equal(store.nodeUsage('n1'), undefined);
  });

  it('holds a pod back while one of its containers has no usage yet', () => {
    const store = new MetricsStore();
    store.update('n1', pointsFromSamples(parseExposition(resourceText(T0, 100, 10, 1))));
    const text = resourceText(T0 + 10_000, 110, 11, 1.1).replace(
      /^container_cpu_usage_seconds_total\{container="side".*\n/m,
      '',
    );
    store.update('n1', pointsFromSamples(parseExposition(text)));
    assert.deepEqual(
      store.podUsage('default', 'web')?.containers.map((c) => c.name),
      ['app'],
    );
  });
});

describe('metrics.k8s.io values', () => {
  it('formats usage as metrics-server does: nanocores and binary SI bytes', () => {
    assert.deepEqual(usage(200_000_000, 10485760), { cpu: '200m', memory: '10Mi' });
    assert.deepEqual(usage(123_456_789, 1000), { cpu: '123456789n', memory: '1k' });
    assert.deepEqual(usage(0, 0), { cpu: '0', memory: '0' });
  });

  it('writes windows as Go durations', () => {
    assert.equal(goDuration(15_000), '15s');
    assert.equal(goDuration(15_012), '15.012s');
    assert.equal(goDuration(60_500), '1m0.5s');
    assert.equal(goDuration(250), '250ms');
  });
});

describe('MetricsScraper', () => {
  it('scrapes every node at once, then every period, and drops a node that stops answering', async () => {
    const clock = new FakeClock(T0);
    const node = (name: string, ip: string) => ({
      metadata: { name },
      status: {
        addresses: [{ type: 'InternalIP', address: ip }],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      },
    });
    const fetched: string[] = [];
    let failing = false;
    const errors: string[] = [];
    const scraper = new MetricsScraper({
      clock,
      intervalMs: 15_000,
      listNodes: async () => [node('a', '10.0.0.1'), node('b', '10.0.0.2')],
      fetchText: async (url) => {
        fetched.push(url);
        if (failing && url.includes('10.0.0.2')) throw new Error('connection refused');
        const n = fetched.length;
        return resourceText(clock.now(), 100 + n, 10 + n, 1);
      },
      onError: (name) => errors.push(name),
    });
    scraper.start();
    await settle();
    assert.deepEqual(fetched.sort(), [
      'http://10.0.0.1:10250/metrics/resource',
      'http://10.0.0.2:10250/metrics/resource',
    ]);
    assert.equal(scraper.rounds, 1);
    clock.advance(14_999);
    await settle();
    assert.equal(scraper.rounds, 1);
    clock.advance(1);
    await settle();
    assert.equal(scraper.rounds, 2);
    assert.ok(scraper.store.nodeUsage('a'));
    assert.ok(scraper.store.nodeUsage('b'));
    failing = true;
    clock.advance(15_000);
    await settle();
    assert.equal(scraper.rounds, 3);
    assert.deepEqual(errors, ['b']);
    assert.ok(scraper.store.nodeUsage('a'));
    assert.equal(scraper.store.nodeUsage('b'), undefined);
    await scraper.stop();
    clock.advance(60_000);
    await settle();
    assert.equal(scraper.rounds, 3);
  });

  it('stops without waiting for a kubelet that does not answer', async () => {
    const clock = new FakeClock(T0);
    let aborted = false;
    const scraper = new MetricsScraper({
      clock,
      listNodes: async () => [
        { metadata: { name: 'slow' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.9' }] } },
      ],
      fetchText: (_url, _timeout, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
    });
    scraper.start();
    await settle();
    await scraper.stop();
    assert.equal(aborted, true);
    assert.equal(scraper.rounds, 1);
  });
});
