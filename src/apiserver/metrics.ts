// The API server's /metrics, in the Prometheus text format through prom-client, with upstream's series
// names and labels: apiserver_request_total, apiserver_request_duration_seconds,
// apiserver_current_inflight_requests, apiserver_longrunning_requests, apiserver_storage_objects, and the
// Node process metrics. The hot path costs one string key and a Map lookup per request: the label children
// of each (verb, resource, scope, code) combination are made once and reused.
import { Gauge, Registry } from 'prom-client';
import { processMetrics } from '../metrics/process.js';
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

/** One latency histogram (per label set without the code), kept as plain numbers. */
interface Durations {
  labels: string;
  /** Observations per bucket (not cumulative); the last slot is above the largest bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** One label set of apiserver_request_total, with the histogram it also feeds. */
interface RequestSeries {
  labels: string;
  count: number;
  durations: Durations;
}

/** Prometheus label values escape backslash, double quote and newline. */
const escapeLabel = (v: string) => v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

export interface StorageCounter {
  /** Objects stored per resource (upstream's `pods`, `deployments.apps`). */
  counts(): Promise<Map<string, number>>;
}

export interface InflightCounter {
  inflight(): { readOnly: number; mutating: number };
}

/**
 * The request series are kept by hand (a Map lookup, a counter and a bucket per request) and written out
 * at scrape time: prom-client's labelled children hash their labels on every call, which costs more than
 * the rest of a cached GET. The gauges, read only when scraped, go through prom-client.
 */
export class ApiServerMetrics {
  readonly registry = new Registry();
  private readonly series = new Map<string, RequestSeries>();
  private readonly durations = new Map<string, Durations>();
  /** Open long-running requests per label set. */
  private readonly longRunning = new Map<string, number>();

  constructor(sources: { storage: StorageCounter; inflight: InflightCounter }) {
    const open = this.longRunning;
    new Gauge({
      name: 'apiserver_longrunning_requests',
      help: 'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.',
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [key, n] of open) {
          const [verb, group, version, resource, subresource, scope] = key.split('\0');
          this.set({ verb, group, version, resource, subresource, scope, component: 'apiserver' }, n);
        }
      },
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

  /**
   * Records a finished request. `seconds` is its latency. `served` false (a 404 for a resource the server
   * does not have) blanks the group, version and resource, so made-up paths cannot grow the series.
   */
  observe(
    info: ResourceRequest,
    contentType: string | undefined,
    dryRun: boolean,
    code: number,
    seconds: number,
    served = true,
  ): void {
    const verb = reportedVerb(info, contentType);
    const scope = requestScope(info);
    const group = served ? info.group : '';
    const version = served ? info.version : '';
    const resource = served ? info.resource : '';
    const sub = served ? (info.subresource ?? '') : '';
    const key = `${verb}\0${dryRun}\0${group}\0${version}\0${resource}\0${sub}\0${scope}\0${code}`;
    let s = this.series.get(key);
    if (!s) s = this.newSeries(key, verb, dryRun, group, version, resource, sub, scope, code);
    s.count++;
    const d = s.durations;
    d.count++;
    d.sum += seconds;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    d.buckets[i]++;
  }

  private newSeries(
    key: string,
    verb: string,
    dryRun: boolean,
    group: string,
    version: string,
    resource: string,
    sub: string,
    scope: string,
    code: number,
  ): RequestSeries {
    const labels = [
      `verb="${verb}"`,
      `dry_run="${dryRun ? 'All' : ''}"`,
      `group="${escapeLabel(group)}"`,
      `version="${escapeLabel(version)}"`,
      `resource="${escapeLabel(resource)}"`,
      `subresource="${escapeLabel(sub)}"`,
      `scope="${scope}"`,
      'component="apiserver"',
    ].join(',');
    let d = this.durations.get(labels);
    if (!d) {
      d = { labels, buckets: new Float64Array(DURATION_BUCKETS.length + 1), sum: 0, count: 0 };
      this.durations.set(labels, d);
    }
    const s: RequestSeries = { labels: `${labels},code="${code}"`, count: 0, durations: d };
    this.series.set(key, s);
    return s;
  }

  /** Counts a long-running request (watch, exec, log, proxy) while it is open; call the result when it ends. */
  longRunningStarted(info: ResourceRequest, contentType: string | undefined): () => void {
    const key = `${reportedVerb(info, contentType)}\0${info.group}\0${info.version}\0${info.resource}\0${info.subresource ?? ''}\0${requestScope(info)}`;
    this.longRunning.set(key, (this.longRunning.get(key) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.longRunning.get(key) ?? 1) - 1;
      if (n > 0) this.longRunning.set(key, n);
      else this.longRunning.delete(key);
    };
  }

  /** apiserver_request_total and apiserver_request_duration_seconds in the text format. */
  private requestText(): string {
    const out: string[] = [
      '# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      '# TYPE apiserver_request_total counter',
    ];
    for (const s of this.series.values()) out.push(`apiserver_request_total{${s.labels}} ${s.count}`);
    out.push(
      '# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      '# TYPE apiserver_request_duration_seconds histogram',
    );
    for (const d of this.durations.values()) {
      let cumulative = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        cumulative += d.buckets[i];
        out.push(
          `apiserver_request_duration_seconds_bucket{${d.labels},le="${DURATION_BUCKETS[i]}"} ${cumulative}`,
        );
      }
      out.push(`apiserver_request_duration_seconds_bucket{${d.labels},le="+Inf"} ${d.count}`);
      out.push(`apiserver_request_duration_seconds_sum{${d.labels}} ${d.sum}`);
      out.push(`apiserver_request_duration_seconds_count{${d.labels}} ${d.count}`);
    }
    return `${out.join('\n')}\n`;
  }

  /** The exposition text: this server's series, then the process's. */
  async text(): Promise<string> {
    return `${this.requestText()}${await this.registry.metrics()}\n${await processMetrics().metrics()}`;
  }
}

export { METRICS_CONTENT_TYPE } from '../metrics/process.js';
