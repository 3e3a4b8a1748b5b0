// The kubelet's /metrics (Prometheus text through prom-client, upstream's series names): running pods and
// containers, pod start latency, CRI operation counts, latencies and errors, and the process metrics. And
// /metrics/resource, the small endpoint metrics-server scrapes: CPU and working-set memory of the node, its
// pods and containers, each sample stamped with the time it was read.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { processMetrics } from '../metrics/process.js';
import type { Summary } from './stats.js';

/** What the running-pods and running-containers gauges read at scrape time. */
export interface RunningCounts {
  pods(): Promise<number>;
  /** Containers by upstream's container_state label (running, exited, created, unknown). */
  containers(): Promise<Map<string, number>>;
}

/** Upstream's operation_type of a CRI method: list_podsandbox, create_container, port_forward, ... */
export function operationType(method: string): string {
  if (method === 'updateContainerResources') return 'update_container';
  return method
    .replace(/[pP]odSandbox/g, (m) => (m[0] === 'P' ? 'Podsandbox' : 'podsandbox'))
    .replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export class KubeletMetrics {
  readonly registry = new Registry();
  private readonly operations: Counter;
  private readonly operationErrors: Counter;
  private readonly operationDurations: Histogram;
  private readonly podStart: Histogram;

  constructor(running: RunningCounts) {
    new Gauge({
      name: 'kubelet_running_pods',
      help: 'Number of pods that have a running pod sandbox',
      registers: [this.registry],
      async collect() {
        this.set(await running.pods());
      },
    });
    new Gauge({
      name: 'kubelet_running_containers',
      help: 'Number of containers currently running',
      labelNames: ['container_state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [state, n] of await running.containers()) this.set({ container_state: state }, n);
      },
    });
    this.podStart = new Histogram({
      name: 'kubelet_pod_start_duration_seconds',
      help: 'Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run',
      buckets: [
        0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800,
        2700, 3600,
      ],
      registers: [this.registry],
    });
    this.operations = new Counter({
      name: 'kubelet_runtime_operations_total',
      help: 'Cumulative number of runtime operations by operation type.',
      labelNames: ['operation_type'],
      registers: [this.registry],
    });
    this.operationErrors = new Counter({
      name: 'kubelet_runtime_operations_errors_total',
      help: 'Cumulative number of runtime operation errors by operation type.',
      labelNames: ['operation_type'],
      registers: [this.registry],
    });
    this.operationDurations = new Histogram({
      name: 'kubelet_runtime_operations_duration_seconds',
      help: 'Duration in seconds of runtime operations. Broken down by operation type.',
      labelNames: ['operation_type'],
      buckets: [
        0.005, 0.0125, 0.03125, 0.078125, 0.1953125, 0.48828125, 1.220703125, 3.0517578125, 7.62939453125,
        19.073486328125, 47.6837158203125, 119.20928955078125, 298.0232238769531, 745.0580596923828,
      ],
      registers: [this.registry],
    });
  }

  observePodStart(seconds: number): void {
    this.podStart.observe(seconds);
  }

  observeOperation(operation: string, seconds: number, failed: boolean): void {
    const labels = { operation_type: operation };
    this.operations.inc(labels);
    this.operationDurations.observe(labels, seconds);
    if (failed) this.operationErrors.inc(labels);
  }

  async text(): Promise<string> {
    return `${await this.registry.metrics()}\n${await processMetrics().metrics()}`;
  }
}

/**
 * The CRI client with every call counted and timed (upstream's instrumentedRuntimeService). Methods that
 * answer a promise are measured until it settles; others pass through.
 */
export function instrumentRuntime<T extends object>(cri: T, metrics: KubeletMetrics): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(cri, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || typeof prop !== 'string' || prop === 'close' || prop === 'constructor')
        return v;
      let w = wrapped.get(prop);
      if (!w) {
        const op = operationType(prop);
        w = (...args: unknown[]) => {
          const start = performance.now();
          const out = (v as (...a: unknown[]) => unknown).apply(target, args);
          if (out && typeof (out as Promise<unknown>).then === 'function') {
            (out as Promise<unknown>).then(
              () => metrics.observeOperation(op, (performance.now() - start) / 1000, false),
              () => metrics.observeOperation(op, (performance.now() - start) / 1000, true),
            );
          }
          return out;
        };
        wrapped.set(prop, w);
      }
      return w;
    },
  });
}

/** Remembers when the kubelet first saw each pod and observes the start latency once it runs. */
export class PodStartTracker {
  private readonly firstSeen = new Map<string, number>();
  private readonly observed = new Set<string>();

  constructor(
    private readonly metrics: KubeletMetrics,
    private readonly now: () => number,
  ) {}

  seen(uid: string): void {
    if (!this.firstSeen.has(uid) && !this.observed.has(uid)) this.firstSeen.set(uid, this.now());
  }

  /** A status was written: the first Running phase ends the pod's start. */
  statusWritten(uid: string, phase: string | undefined): void {
    const t = this.firstSeen.get(uid);
    if (t === undefined || phase !== 'Running') return;
    this.firstSeen.delete(uid);
    this.observed.add(uid);
    this.metrics.observePodStart((this.now() - t) / 1000);
  }

  forget(uid: string): void {
    this.firstSeen.delete(uid);
    this.observed.delete(uid);
  }
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The text of /metrics/resource, built from a summary, as upstream's resource metrics collector writes it. */
export function resourceMetricsText(s: Summary): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string, lines: string[]) => {
    if (lines.length === 0) return;
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  };
  const ts = (iso: string) => Date.parse(iso);
  const labels = (l: Record<string, string>) =>
    `{${Object.entries(l)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',')}}`;
  const cpuLines: string[] = [];
  const memLines: string[] = [];
  const startLines: string[] = [];
  const podCpu: string[] = [];
  const podMem: string[] = [];
  for (const p of s.pods) {
    const pl = { namespace: p.podRef.namespace, pod: p.podRef.name };
    for (const c of p.containers) {
      const l = labels({ container: c.name, ...pl });
      if (c.cpu)
        cpuLines.push(
          `container_cpu_usage_seconds_total${l} ${c.cpu.usageCoreNanoSeconds / 1e9} ${ts(c.cpu.time)}`,
        );
      if (c.memory)
        memLines.push(
          `container_memory_working_set_bytes${l} ${c.memory.workingSetBytes} ${ts(c.memory.time)}`,
        );
      startLines.push(`container_start_time_seconds${l} ${ts(c.startTime) / 1000} ${ts(c.startTime)}`);
    }
    if (p.cpu)
      podCpu.push(
        `pod_cpu_usage_seconds_total${labels(pl)} ${p.cpu.usageCoreNanoSeconds / 1e9} ${ts(p.cpu.time)}`,
      );
    if (p.memory)
      podMem.push(
        `pod_memory_working_set_bytes${labels(pl)} ${p.memory.workingSetBytes} ${ts(p.memory.time)}`,
      );
  }
  family(
    'container_cpu_usage_seconds_total',
    'counter',
    '[STABLE] Cumulative cpu time consumed by the container in core-seconds',
    cpuLines,
  );
  family(
    'container_memory_working_set_bytes',
    'gauge',
    '[STABLE] Current working set of the container in bytes',
    memLines,
  );
  family(
    'container_start_time_seconds',
    'gauge',
    '[STABLE] Start time of the container since unix epoch in seconds',
    startLines,
  );
  const n = s.node;
  if (n.cpu)
    family(
      'node_cpu_usage_seconds_total',
      'counter',
      '[STABLE] Cumulative cpu time consumed by the node in core-seconds',
      [`node_cpu_usage_seconds_total ${n.cpu.usageCoreNanoSeconds / 1e9} ${ts(n.cpu.time)}`],
    );
  if (n.memory)
    family('node_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the node in bytes', [
      `node_memory_working_set_bytes ${n.memory.workingSetBytes} ${ts(n.memory.time)}`,
    ]);
  family(
    'pod_cpu_usage_seconds_total',
    'counter',
    '[STABLE] Cumulative cpu time consumed by the pod in core-seconds',
    podCpu,
  );
  family('pod_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the pod in bytes', podMem);
  family(
    'resource_scrape_error',
    'gauge',
    '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise',
    ['resource_scrape_error 0'],
  );
  return `${out.join('\n')}\n`;
}
