// What metrics-server keeps between scrapes: the last two points of every node and container, and the usage
// it derives from them. CPU is a rate over the window between the two points (cumulative core-seconds
// delta / time delta); memory is the newest working set. A point needs a predecessor before it yields a
// usage, so a node or pod shows up after its second scrape; a container restarted between two scrapes
// counts from its start time with zero CPU.
import type { Sample } from './prom-text.js';

/** One reading of a node or container, from the kubelet's /metrics/resource. */
export interface Point {
  /** When the kubelet took the reading (ms since the epoch). */
  timestampMs: number;
  /** Cumulative CPU time in core-seconds. */
  cpuSeconds: number;
  memoryBytes: number;
  /** Containers only: when the container started (ms), to notice restarts. */
  startMs?: number;
}

export interface Usage {
  timestampMs: number;
  windowMs: number;
  nanoCores: number;
  memoryBytes: number;
}

export interface NodeScrape {
  node?: Point;
  /** Keyed by `namespace/pod`, then container name. */
  pods: Map<string, Map<string, Point>>;
}

/** Turns the resource metrics of one kubelet into points. Incomplete series (no memory, no CPU) are dropped. */
export function pointsFromSamples(samples: Sample[]): NodeScrape {
  let nodeCpu: Sample | undefined;
  let nodeMem: Sample | undefined;
  const containers = new Map<string, { cpu?: Sample; mem?: Sample; start?: Sample }>();
  for (const s of samples) {
    switch (s.name) {
      case 'node_cpu_usage_seconds_total':
        nodeCpu = s;
        break;
      case 'node_memory_working_set_bytes':
        nodeMem = s;
        break;
      case 'container_cpu_usage_seconds_total':
      case 'container_memory_working_set_bytes':
      case 'container_start_time_seconds': {
        const { namespace, pod, container } = s.labels;
        if (!namespace || !pod || !container) break;
        const key = `${namespace}/${pod}\0${container}`;
        let c = containers.get(key);
        if (!c) {
          c = {};
          containers.set(key, c);
        }
        if (s.name === 'container_cpu_usage_seconds_total') c.cpu = s;
        else if (s.name === 'container_memory_working_set_bytes') c.mem = s;
        else c.start = s;
        break;
      }
    }
  }
  const out: NodeScrape = { pods: new Map() };
  if (nodeCpu?.timestampMs !== undefined && nodeMem) {
    out.node = { timestampMs: nodeCpu.timestampMs, cpuSeconds: nodeCpu.value, memoryBytes: nodeMem.value };
  }
  for (const [key, c] of containers) {
    if (c.cpu?.timestampMs === undefined || !c.mem) continue;
    const [pod, container] = key.split('\0');
    let m = out.pods.get(pod);
    if (!m) {
      m = new Map();
      out.pods.set(pod, m);
    }
    m.set(container, {
      timestampMs: c.cpu.timestampMs,
      cpuSeconds: c.cpu.value,
      memoryBytes: c.mem.value,
      startMs: c.start ? c.start.value * 1000 : undefined,
    });
  }
  return out;
}

/** The usage between an older and a newer point of the same series, or undefined when it cannot be told. */
export function usageBetween(prev: Point | undefined, last: Point): Usage | undefined {
  if (!prev) return undefined;
  // The container restarted since the previous point: it used nothing before its start.
  if (last.startMs !== undefined && (last.startMs > prev.timestampMs || prev.startMs !== last.startMs)) {
    if (last.startMs >= last.timestampMs) return undefined;
    prev = { timestampMs: last.startMs, cpuSeconds: 0, memoryBytes: 0, startMs: last.startMs };
  }
  const windowMs = last.timestampMs - prev.timestampMs;
  if (windowMs <= 0 || last.cpuSeconds < prev.cpuSeconds) return undefined;
  return {
    timestampMs: last.timestampMs,
    windowMs,
    nanoCores: Math.round(((last.cpuSeconds - prev.cpuSeconds) * 1e12) / windowMs),
    memoryBytes: last.memoryBytes,
  };
}

interface Series {
  prev?: Point;
  last: Point;
}

/** Keeps the newest point and its predecessor; a repeated reading (same timestamp) changes nothing. */
function advance(s: Series | undefined, p: Point): Series {
  if (!s) return { last: p };
  if (p.timestampMs <= s.last.timestampMs) return s;
  return { prev: s.last, last: p };
}

export interface PodUsage {
  namespace: string;
  name: string;
  timestampMs: number;
  windowMs: number;
  containers: { name: string; nanoCores: number; memoryBytes: number }[];
}

export class MetricsStore {
  private nodes = new Map<string, Series>();
  /** Node name -> `namespace/pod` -> container -> series. */
  private pods = new Map<string, Map<string, Map<string, Series>>>();

  /** Records one scrape of a node. Pods and containers the scrape no longer has are forgotten. */
  update(nodeName: string, scrape: NodeScrape): void {
    if (scrape.node) this.nodes.set(nodeName, advance(this.nodes.get(nodeName), scrape.node));
    const old = this.pods.get(nodeName);
    const next = new Map<string, Map<string, Series>>();
    for (const [pod, containers] of scrape.pods) {
      const m = new Map<string, Series>();
      for (const [name, p] of containers) m.set(name, advance(old?.get(pod)?.get(name), p));
      next.set(pod, m);
    }
    this.pods.set(nodeName, next);
  }

  /** Forgets nodes not in `names` (deleted nodes). */
  retainNodes(names: Set<string>): void {
    for (const n of [...this.nodes.keys()]) if (!names.has(n)) this.nodes.delete(n);
    for (const n of [...this.pods.keys()]) if (!names.has(n)) this.pods.delete(n);
  }

  /** Forgets a node whose kubelet stopped answering (metrics-server drops failed nodes' points). */
  forgetNode(name: string): void {
    this.nodes.delete(name);
    this.pods.delete(name);
  }

  nodeUsage(name: string): Usage | undefined {
    const s = this.nodes.get(name);
    return s ? usageBetween(s.prev, s.last) : undefined;
  }

  /** A pod's usage, only when every container it reported has one (as metrics-server answers). */
  podUsage(namespace: string, name: string): PodUsage | undefined {
    const key = `${namespace}/${name}`;
    for (const pods of this.pods.values()) {
      const containers = pods.get(key);
      if (!containers || containers.size === 0) continue;
      const out: PodUsage = { namespace, name, timestampMs: 0, windowMs: 0, containers: [] };
      for (const [cname, s] of containers) {
        const u = usageBetween(s.prev, s.last);
        if (!u) return undefined;
        out.timestampMs = Math.max(out.timestampMs, u.timestampMs);
        out.windowMs = Math.max(out.windowMs, u.windowMs);
        out.containers.push({ name: cname, nanoCores: u.nanoCores, memoryBytes: u.memoryBytes });
      }
      out.containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return out;
    }
    return undefined;
  }
}
