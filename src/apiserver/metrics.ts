// The API server's /metrics, in the Prometheus text format through prom-client, with upstream's series
// names and labels: apiserver_request_total, apiserver_request_duration_seconds,
// apiserver_current_inflight_requests, apiserver_longrunning_requests, apiserver_storage_objects, and the
// Node process metrics. The hot path costs one string key and a Map lookup per request: the label children
// of each (verb, resource, scope, code) combination are made once and reused.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { processMetrics } from '../client/process-metrics.js';
import type { ResourceRequest } from './requestinfo.js';

/** Upstream's bucket bounds of apiserver_request_duration_seconds. */
const DURATION_BUCKETS = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
];

/**
 * Upstream's reported verb: the HTTP method, LIST/WATCH for collection reads, APPLY for apply patches,
 * CONNECT for the connecter subresources.
 */
export function reportedVerb(info: ResourceRequest, contentType: string | undefined): string {
  // exec, attach, port-forward and proxy are connecters upstream, whatever the method.
  if (info.subresource !== undefined && CONNECT_SUBRESOURCES.has(info.subresource)) return 'CONNECT';
  switch (info.verb) {
    case 'get':
      return 'GET';
    case 'list':
      return 'LIST';
    case 'watch':
      return 'WATCH';
    case 'create':
      return 'POST';
    case 'update':
      return 'PUT';
    case 'patch':
      return contentType?.startsWith('application/apply-patch') ? 'APPLY' : 'PATCH';
    case 'delete':
    case 'deletecollection':
      return 'DELETE';
    default:
      return 'CONNECT';
  }
}

const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/** Upstream's scope label: one object, one namespace, or the whole cluster. */
export function requestScope(info: ResourceRequest): 'resource' | 'namespace' | 'cluster' {
  if (info.name !== undefined) return 'resource';
  return info.namespace !== undefined ? 'namespace' : 'cluster';
}

interface RequestSeries {
  count: { inc(): void };
  duration: { observe(v: number): void };
}

export interface StorageCounter {
  /** Objects stored per resource (upstream's `pods`, `deployments.apps`). */
  counts(): Promise<Map<string, number>>;
}

export interface InflightCounter {
  inflight(): { readOnly: number; mutating: number };
}

export class ApiServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter;
  private readonly durations: Histogram;
  private readonly longRunning: Gauge;
  private readonly series = new Map<string, RequestSeries>();

  constructor(sources: { storage: StorageCounter; inflight: InflightCounter }) {
    const labels = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'];
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: [...labels, 'code'],
      registers: [this.registry],
    });
    this.durations = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: labels,
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.longRunning = new Gauge({
      name: 'apiserver_longrunning_requests',
      help: 'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.',
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'apiserver_current_inflight_requests',
      help: 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
      labelNames: ['request_kind'],
      registers: [this.registry],
      collect() {
        const n = sources.inflight.inflight();
        this.set({ request_kind: 'readOnly' }, n.readOnly);
        this.set({ request_kind: 'mutating' }, n.mutating);
      },
    });
    new Gauge({
      name: 'apiserver_storage_objects',
      help: 'Number of stored objects at the time of last check split by kind.',
      labelNames: ['resource'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [resource, n] of await sources.storage.counts()) this.set({ resource }, n);
      },
    });
  }

  /** Records a finished request. `seconds` is its latency. */
  observe(
    info: ResourceRequest,
    contentType: string | undefined,
    dryRun: boolean,
    code: number,
    seconds: number,
  ) {
    const verb = reportedVerb(info, contentType);
    const scope = requestScope(info);
    const sub = info.subresource ?? '';
    const key = `${verb}\0${dryRun}\0${info.group}\0${info.version}\0${info.resource}\0${sub}\0${scope}\0${code}`;
    let s = this.series.get(key);
    if (!s) {
      const l = {
        verb,
        dry_run: dryRun ? 'All' : '',
        group: info.group,
        version: info.version,
        resource: info.resource,
        subresource: sub,
        scope,
        component: 'apiserver',
      };
      s = { count: this.requests.labels({ ...l, code: String(code) }), duration: this.durations.labels(l) };
      this.series.set(key, s);
    }
    s.count.inc();
    s.duration.observe(seconds);
  }

  /** Counts a long-running request (watch, exec, log, proxy) while it is open; call the result when it ends. */
  longRunningStarted(info: ResourceRequest, contentType: string | undefined): () => void {
    const l = {
      verb: reportedVerb(info, contentType),
      group: info.group,
      version: info.version,
      resource: info.resource,
      subresource: info.subresource ?? '',
      scope: requestScope(info),
      component: 'apiserver',
    };
    this.longRunning.inc(l);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.longRunning.dec(l);
    };
  }

  /** The exposition text: this server's series, then the process's. */
  async text(): Promise<string> {
    return `${await this.registry.metrics()}\n${await processMetrics().metrics()}`;
  }
}

export { METRICS_CONTENT_TYPE } from '../client/process-metrics.js';
