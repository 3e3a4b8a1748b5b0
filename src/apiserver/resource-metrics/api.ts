// metrics.k8s.io/v1beta1, served by the API server itself (upstream aggregates metrics-server for it):
// NodeMetrics and PodMetrics, get and list with label and field selectors, read-only, answered from the
// scraper's store. The objects carry the node's or pod's own name, namespace and labels, as metrics-server's do.
import { canonicalQuantity, canonicalQuantityString, parseQuantity } from '../../api/quantity.js';
import type { Obj, ResourceDef } from '../../api/types.js';
import { K8tsError } from '../../errors.js';
import { type ApiContext, listObjects } from '../handlers.js';
import type { ResourceRequest } from '../requestinfo.js';
import type { MetricsStore, Usage } from './store.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

const common = {
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  verbs: ['get', 'list'],
};

/** Discovery entries of the group (not stored kinds: they are not in the resource registry). */
export const METRICS_RESOURCES: ResourceDef[] = [
  {
    ...common,
    kind: 'NodeMetrics',
    plural: 'nodes',
    singular: 'node',
    namespaced: false,
    schemaName: 'io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics',
  },
  {
    ...common,
    kind: 'PodMetrics',
    plural: 'pods',
    singular: 'pod',
    namespaced: true,
    schemaName: 'io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics',
  },
];

export interface MetricsApiSources {
  ctx: ApiContext;
  nodes: ResourceDef;
  pods: ResourceDef;
  store: MetricsStore;
}

/** Answers a request under /apis/metrics.k8s.io/v1beta1. */
export async function serveResourceMetrics(
  src: MetricsApiSources,
  info: ResourceRequest,
  query: URLSearchParams,
): Promise<object> {
  const nodes = info.resource === 'nodes';
  if ((!nodes && info.resource !== 'pods') || info.version !== METRICS_VERSION) {
    throw new K8tsError('NotFound', `the server could not find the requested resource`);
  }
  if (info.subresource !== undefined)
    throw new K8tsError('NotFound', 'the server could not find the requested resource');
  if (info.verb !== 'get' && info.verb !== 'list') {
    throw new K8tsError(
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  }
  const now = src.ctx.now();
  if (nodes) {
    if (info.verb === 'get') {
      const node = await getOrUndefined(src, src.nodes, undefined, info.name!);
      const m = node && nodeMetrics(node, src.store.nodeUsage(info.name!), now);
      if (!m) throw notFound('nodemetrics', info.name!);
      return m;
    }
    const { items } = await listObjects(src.ctx, { def: src.nodes }, selectorsOnly(query));
    return list(
      'NodeMetricsList',
      items.map((n) => nodeMetrics(n, src.store.nodeUsage(n.metadata.name), now)),
    );
  }
  if (info.verb === 'get') {
    const pod = await getOrUndefined(src, src.pods, info.namespace, info.name!);
    const m = pod && podMetrics(pod, src.store, now);
    if (!m) throw notFound('podmetrics', `${info.namespace}/${info.name}`);
    return m;
  }
  const { items } = await listObjects(
    src.ctx,
    { def: src.pods, namespace: info.namespace },
    selectorsOnly(query),
  );
  return list(
    'PodMetricsList',
    items.map((p) => podMetrics(p, src.store, now)),
  );
}

async function getOrUndefined(
  src: MetricsApiSources,
  def: ResourceDef,
  namespace: string | undefined,
  name: string,
): Promise<Obj | undefined> {
  try {
    return await src.ctx.store.get(def, namespace, name);
  } catch (err) {
    if (err instanceof K8tsError && err.code === 'NotFound') return undefined;
    throw err;
  }
}

function notFound(resource: string, name: string): K8tsError {
  return new K8tsError('NotFound', `${resource}.${METRICS_GROUP} "${name}" not found`, {
    name,
    group: METRICS_GROUP,
    kind: resource,
  });
}

/** Only the selectors apply: paging and resourceVersion of a list of computed objects mean nothing. */
function selectorsOnly(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const k of ['labelSelector', 'fieldSelector']) {
    const v = query.get(k);
    if (v) out.set(k, v);
  }
  return out;
}

function list(kind: string, items: (object | undefined)[]): object {
  return { kind, apiVersion: API_VERSION, metadata: {}, items: items.filter((i) => i !== undefined) };
}

function meta(o: Obj, now: Date): Obj {
  const m: Obj = { name: o.metadata.name };
  if (o.metadata.namespace) m.namespace = o.metadata.namespace;
  m.creationTimestamp = rfc3339(now.getTime());
  if (o.metadata.labels) m.labels = o.metadata.labels;
  return m;
}

function nodeMetrics(node: Obj, u: Usage | undefined, now: Date): object | undefined {
  if (!u) return undefined;
  return {
    kind: 'NodeMetrics',
    apiVersion: API_VERSION,
    metadata: meta(node, now),
    timestamp: rfc3339(u.timestampMs),
    window: goDuration(u.windowMs),
    usage: usage(u.nanoCores, u.memoryBytes),
  };
}

function podMetrics(pod: Obj, store: MetricsStore, now: Date): object | undefined {
  const u = store.podUsage(pod.metadata.namespace, pod.metadata.name);
  if (!u) return undefined;
  return {
    kind: 'PodMetrics',
    apiVersion: API_VERSION,
    metadata: meta(pod, now),
    timestamp: rfc3339(u.timestampMs),
    window: goDuration(u.windowMs),
    containers: u.containers.map((c) => ({ name: c.name, usage: usage(c.nanoCores, c.memoryBytes) })),
  };
}

/** CPU in nanocores and memory in bytes, as metrics-server builds them (scaled decimal, binary SI). */
export function usage(nanoCores: number, memoryBytes: number): { cpu: string; memory: string } {
  return {
    cpu: canonicalQuantityString(`${Math.max(0, Math.round(nanoCores))}n`),
    memory: canonicalQuantity({
      ...parseQuantity(`${Math.max(0, Math.round(memoryBytes))}`)!,
      format: 'BinarySI',
    }),
  };
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Go's time.Duration String() (how metav1.Duration serializes): "15s", "15.012s", "1m0.5s". */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const totalMs = Math.round(ms);
  const h = Math.floor(totalMs / 3_600_000);
  const m = Math.floor((totalMs % 3_600_000) / 60_000);
  const sMs = totalMs % 60_000;
  const secs = sMs % 1000 === 0 ? `${sMs / 1000}` : (sMs / 1000).toFixed(3).replace(/0+$/, '');
  if (h > 0) return `${h}h${m}m${secs}s`;
  if (m > 0) return `${m}m${secs}s`;
  if (totalMs < 1000) return `${totalMs}ms`;
  return `${secs}s`;
}
